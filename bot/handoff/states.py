"""Who answers a conversation, as one explicit state machine.

A conversation is in one `Stage`: with the bot, leaving a message for staff (the office
was closed), arranging a callback (giving a phone number, then choosing a time), waiting
in the staff queue, or with a person. Its `Mode` — what the chat
API reports — follows from the stage. A `Handoff` row records one request for a person
and ends in one `Status`.

Every change goes through `transition(stage, event)`, which refuses a move the table
does not list (`IllegalTransitionError`), so no code path can, say, hand back a conversation
nobody claimed. `mermaid()` draws the same table for docs/architecture.md, and a test
checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mode(str, Enum):
    """Who answers, as the chat API reports it (DESIGN.md contract)."""

    BOT = "bot"
    WAITING = "waiting"
    HUMAN = "human"


class Stage(str, Enum):
    BOT = "bot"
    LEAVING_MESSAGE = "leaving_message"  # the next message is one to leave for staff
    GIVING_PHONE = "giving_phone"  # the next message is the number to call back
    CHOOSING_WINDOW = "choosing_window"  # the callback ticket exists; its time is being chosen
    WAITING = "waiting"
    HUMAN = "human"

    @property
    def mode(self) -> Mode:
        return {Stage.WAITING: Mode.WAITING, Stage.HUMAN: Mode.HUMAN}.get(self, Mode.BOT)


class Status(str, Enum):
    """How one request for a person stands; all but the first two are final."""

    WAITING = "waiting"
    CLAIMED = "claimed"
    HANDED_BACK = "handed_back"
    CLOSED = "closed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN_STATUSES = (Status.WAITING, Status.CLAIMED)


class Event(str, Enum):
    REQUEST = "request"  # the office's chat is open: join the queue
    LEAVE_MESSAGE = "leave_message"  # the office is closed: the next message is for staff
    MESSAGE_LEFT = "message_left"
    EXPIRE = "expire"  # nobody claimed the wait in time
    STOP_WAITING = "stop_waiting"  # the user left the queue
    CLAIM = "claim"
    REPLY = "reply"
    HAND_BACK = "hand_back"
    END = "end"
    CALLBACK = "callback"  # the user asked to be called back
    PHONE_GIVEN = "phone_given"  # a valid number: the callback ticket is created
    WINDOW_CHOSEN = "window_chosen"  # a time (or "any time", or a note instead)
    CANCEL_CALLBACK = "cancel_callback"


@dataclass(frozen=True)
class Step:
    to: Stage
    status: Status | None = None  # what the handoff row becomes, if one is involved


TRANSITIONS: dict[tuple[Stage, Event], Step] = {
    (Stage.BOT, Event.REQUEST): Step(Stage.WAITING, Status.WAITING),
    (Stage.BOT, Event.LEAVE_MESSAGE): Step(Stage.LEAVING_MESSAGE),
    (Stage.LEAVING_MESSAGE, Event.MESSAGE_LEFT): Step(Stage.BOT),
    (Stage.WAITING, Event.EXPIRE): Step(Stage.BOT, Status.EXPIRED),
    (Stage.WAITING, Event.STOP_WAITING): Step(Stage.BOT, Status.CANCELLED),
    (Stage.WAITING, Event.CLAIM): Step(Stage.HUMAN, Status.CLAIMED),
    (Stage.HUMAN, Event.REPLY): Step(Stage.HUMAN, Status.CLAIMED),
    (Stage.HUMAN, Event.HAND_BACK): Step(Stage.BOT, Status.HANDED_BACK),
    (Stage.HUMAN, Event.END): Step(Stage.BOT, Status.CLOSED),
    (Stage.BOT, Event.CALLBACK): Step(Stage.GIVING_PHONE),
    (Stage.LEAVING_MESSAGE, Event.CALLBACK): Step(Stage.GIVING_PHONE),
    (Stage.GIVING_PHONE, Event.CALLBACK): Step(Stage.GIVING_PHONE),
    (Stage.GIVING_PHONE, Event.PHONE_GIVEN): Step(Stage.CHOOSING_WINDOW),
    (Stage.GIVING_PHONE, Event.CANCEL_CALLBACK): Step(Stage.BOT),
    (Stage.CHOOSING_WINDOW, Event.WINDOW_CHOSEN): Step(Stage.BOT),
    (Stage.CHOOSING_WINDOW, Event.CANCEL_CALLBACK): Step(Stage.BOT),
    # A button pressed while arranging a callback: the user changed their mind.
    (Stage.GIVING_PHONE, Event.REQUEST): Step(Stage.WAITING, Status.WAITING),
    (Stage.CHOOSING_WINDOW, Event.REQUEST): Step(Stage.WAITING, Status.WAITING),
    (Stage.GIVING_PHONE, Event.LEAVE_MESSAGE): Step(Stage.LEAVING_MESSAGE),
    (Stage.CHOOSING_WINDOW, Event.LEAVE_MESSAGE): Step(Stage.LEAVING_MESSAGE),
    (Stage.CHOOSING_WINDOW, Event.CALLBACK): Step(Stage.GIVING_PHONE),
}

# How the callback stages are stored (`Conversation.callback_step`).
CALLBACK_STEPS = {Stage.GIVING_PHONE: "phone", Stage.CHOOSING_WINDOW: "window"}


class IllegalTransitionError(Exception):
    def __init__(self, stage: Stage, event: Event) -> None:
        super().__init__(f"{event.value} is not possible while the conversation is {stage.value}")
        self.stage = stage
        self.event = event


def transition(stage: Stage, event: Event) -> Step:
    """The step `event` takes from `stage`, or IllegalTransitionError."""
    step = TRANSITIONS.get((stage, event))
    if step is None:
        raise IllegalTransitionError(stage, event)
    return step


def stage_of(mode: str, leaving_message: bool, callback_step: str | None = None) -> Stage:
    """The stage stored as a conversation's `mode`, `leaving_message` and `callback_step` columns."""
    if mode == Mode.WAITING.value:
        return Stage.WAITING
    if mode == Mode.HUMAN.value:
        return Stage.HUMAN
    for stage, stored in CALLBACK_STEPS.items():
        if callback_step == stored:
            return stage
    return Stage.LEAVING_MESSAGE if leaving_message else Stage.BOT


def mermaid() -> str:
    """The transition table as a Mermaid stateDiagram (docs/architecture.md shows it)."""
    lines = ["stateDiagram-v2", "  [*] --> bot"]
    for (source, event), step in TRANSITIONS.items():
        label = event.value + (f" / {step.status.value}" if step.status and step.to != source else "")
        lines.append(f"  {source.value} --> {step.to.value}: {label}")
    return "\n".join(lines)

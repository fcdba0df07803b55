"""The handoff state machine: every legal move, every illegal one refused, and the
diagram in docs/architecture.md drawn from the same table."""

from __future__ import annotations

import itertools
import re

import pytest

from bot.handoff.states import (
    TRANSITIONS,
    Event,
    IllegalTransitionError,
    Mode,
    Stage,
    Status,
    mermaid,
    stage_of,
    transition,
)
from lotsen.paths import ROOT

LEGAL = {
    (Stage.BOT, Event.REQUEST): (Stage.WAITING, Status.WAITING),
    (Stage.BOT, Event.LEAVE_MESSAGE): (Stage.LEAVING_MESSAGE, None),
    (Stage.LEAVING_MESSAGE, Event.MESSAGE_LEFT): (Stage.BOT, None),
    (Stage.WAITING, Event.EXPIRE): (Stage.BOT, Status.EXPIRED),
    (Stage.WAITING, Event.STOP_WAITING): (Stage.BOT, Status.CANCELLED),
    (Stage.WAITING, Event.CLAIM): (Stage.HUMAN, Status.CLAIMED),
    (Stage.HUMAN, Event.REPLY): (Stage.HUMAN, Status.CLAIMED),
    (Stage.HUMAN, Event.HAND_BACK): (Stage.BOT, Status.HANDED_BACK),
    (Stage.HUMAN, Event.END): (Stage.BOT, Status.CLOSED),
    # Being called back (issue 18).
    (Stage.BOT, Event.CALLBACK): (Stage.GIVING_PHONE, None),
    (Stage.LEAVING_MESSAGE, Event.CALLBACK): (Stage.GIVING_PHONE, None),
    (Stage.GIVING_PHONE, Event.CALLBACK): (Stage.GIVING_PHONE, None),
    (Stage.GIVING_PHONE, Event.PHONE_GIVEN): (Stage.CHOOSING_WINDOW, None),
    (Stage.GIVING_PHONE, Event.CANCEL_CALLBACK): (Stage.BOT, None),
    (Stage.CHOOSING_WINDOW, Event.WINDOW_CHOSEN): (Stage.BOT, None),
    (Stage.CHOOSING_WINDOW, Event.CANCEL_CALLBACK): (Stage.BOT, None),
    (Stage.GIVING_PHONE, Event.REQUEST): (Stage.WAITING, Status.WAITING),
    (Stage.CHOOSING_WINDOW, Event.REQUEST): (Stage.WAITING, Status.WAITING),
    (Stage.GIVING_PHONE, Event.LEAVE_MESSAGE): (Stage.LEAVING_MESSAGE, None),
    (Stage.CHOOSING_WINDOW, Event.LEAVE_MESSAGE): (Stage.LEAVING_MESSAGE, None),
    (Stage.CHOOSING_WINDOW, Event.CALLBACK): (Stage.GIVING_PHONE, None),
}


@pytest.mark.parametrize(("stage", "event"), list(LEGAL))
def test_every_legal_transition(stage: Stage, event: Event) -> None:
    step = transition(stage, event)
    assert (step.to, step.status) == LEGAL[(stage, event)]


ILLEGAL = [pair for pair in itertools.product(Stage, Event) if pair not in LEGAL]


@pytest.mark.parametrize(("stage", "event"), ILLEGAL)
def test_every_other_transition_is_refused(stage: Stage, event: Event) -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        transition(stage, event)
    assert refused.value.stage is stage and refused.value.event is event


def test_the_table_is_exactly_the_legal_set() -> None:
    assert set(TRANSITIONS) == set(LEGAL)
    assert len(ILLEGAL) == len(Stage) * len(Event) - len(LEGAL)


@pytest.mark.parametrize(
    ("mode", "leaving", "callback", "stage", "api_mode"),
    [
        ("bot", False, None, Stage.BOT, Mode.BOT),
        ("bot", True, None, Stage.LEAVING_MESSAGE, Mode.BOT),
        ("bot", False, "phone", Stage.GIVING_PHONE, Mode.BOT),
        ("bot", False, "window", Stage.CHOOSING_WINDOW, Mode.BOT),
        ("waiting", False, None, Stage.WAITING, Mode.WAITING),
        ("human", False, None, Stage.HUMAN, Mode.HUMAN),
    ],
)
def test_stored_columns_map_to_a_stage_and_the_api_mode(
    mode: str, leaving: bool, callback: str | None, stage: Stage, api_mode: Mode
) -> None:
    assert stage_of(mode, leaving, callback) is stage
    assert stage.mode is api_mode


def test_the_architecture_doc_shows_the_state_machine_from_the_code() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    found = re.search(r"```mermaid\n(stateDiagram-v2\n.*?)\n```", doc, re.DOTALL)
    assert found, "docs/architecture.md has no stateDiagram"
    assert found.group(1) == mermaid(), (
        "regenerate the diagram: python -c 'from bot.handoff.states import mermaid; print(mermaid())'"
    )

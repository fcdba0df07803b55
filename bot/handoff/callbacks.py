"""Being called back, with a phone interpreter when no one at the office speaks the language.

Three short steps, each one transaction through the handoff state machine: `/callback`
asks for a phone number; a valid number (Swedish, or international with its country code)
creates the callback ticket at once — so nothing is lost if the user goes quiet — and
offers time windows in the office's phone hours; a window button (or any text, kept as a
note to staff) completes it. A message without a digit while the number is asked for
means the user moved on: the callback is dropped and the bot answers the message.

The number is stored in E.164 form on the ticket only (erased with the conversation) and
never logged; the log masking (`lotsen/privacy.py`) covers it if some library logs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import phonenumbers
from babel.dates import format_date

from bot.channels.base import OutgoingMessage
from bot.db import Conversation, Database, Ticket
from bot.events import Broker
from bot.handoff import notices
from bot.handoff.languages import needs_interpreter
from bot.handoff.states import Event
from lotsen.i18n import t
from lotsen.knowledge import Office
from lotsen.languages import languages
from lotsen.office_hours import STOCKHOLM, Schedule

DEFAULT_REGION = "SE"
MAX_NOTE_CHARS = 1000
NOON = time(12, 0)
# A window is offered today only while there is still time in it.
LAST_START = {"am": time(11, 0), "pm": time(16, 0)}
WINDOWS_OFFERED = 4
ANY_TIME = "any"
_WINDOW = re.compile(r"^(\d{4}-\d{2}-\d{2})_(am|pm)$")
_DIGIT = re.compile(r"\d")


def parse_phone(text: str) -> str | None:
    """The number in E.164 form (`+46701234567`), or None if it is not a valid Swedish
    or international number. A number without a country code is read as Swedish."""
    candidate = text.strip()
    if len(candidate) > 40:
        return None
    try:
        number = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """How the number is shown back to the user and staff (`+46 70 123 45 67`)."""
    return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@dataclass(frozen=True)
class Window:
    day: date
    part: str  # "am" | "pm"

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}_{self.part}"

    @property
    def stored(self) -> str:
        """As kept on the ticket (`Ticket.window`)."""
        return f"{self.day.isoformat()} {'morning' if self.part == 'am' else 'afternoon'}"


def parse_window(value: str | None, now: datetime, horizon_days: int = 14) -> Window | None:
    """A window key from a button, if well-formed and not in the past or far future."""
    found = _WINDOW.match(value or "")
    if not found:
        return None
    try:
        day = date.fromisoformat(found.group(1))
    except ValueError:
        return None
    today = now.astimezone(STOCKHOLM).date()
    if not today <= day <= today + timedelta(days=horizon_days):
        return None
    return Window(day, found.group(2))


def windows(office: Office, now: datetime) -> list[Window]:
    """The next few mornings and afternoons when the office's phone (or chat) hours run."""
    schedule = Schedule.phone(office)
    if schedule is None:
        return []
    local = now.astimezone(STOCKHOLM)
    found: list[Window] = []
    for offset in range(14):
        day = local.date() + timedelta(days=offset)
        for part in ("am", "pm"):
            if offset == 0 and local.time() >= LAST_START[part]:
                continue
            in_part = [
                (start, end)
                for start, end in schedule.intervals(day)
                if (start.time() < NOON if part == "am" else end.time() > NOON)
            ]
            if in_part:
                found.append(Window(day, part))
        if len(found) >= WINDOWS_OFFERED:
            break
    return found[:WINDOWS_OFFERED]


def describe_window(window: Window, language: str, now: datetime) -> str:
    """ "Today, morning", "Tomorrow, afternoon", "Thursday 3 Dec., morning" in `language`."""
    lang = languages().get(language)
    locale = lang.locale if lang else "en"
    today = now.astimezone(STOCKHOLM).date()
    if window.day == today:
        day = t(language, "Today")
    elif window.day == today + timedelta(days=1):
        day = t(language, "Tomorrow")
    else:
        day = format_date(window.day, "EEEE d MMM", locale=locale)
    if window.part == "am":
        return t(language, "{day}, morning", day=day)
    return t(language, "{day}, afternoon", day=day)


def describe_stored_window(stored: str | None, language: str, now: datetime) -> str:
    """A ticket's window as words inside a sentence ("tomorrow in the morning")."""
    if not stored:
        return t(language, "at a time that suits them")
    day_text, _, part = stored.partition(" ")
    day = date.fromisoformat(day_text)
    today = now.astimezone(STOCKHOLM).date()
    morning = part == "morning"
    if day == today:
        return t(language, "today in the morning") if morning else t(language, "today in the afternoon")
    if day == today + timedelta(days=1):
        return t(language, "tomorrow in the morning") if morning else t(language, "tomorrow in the afternoon")
    lang = languages().get(language)
    named = format_date(day, "EEEE d MMMM", locale=lang.locale if lang else "en")
    if morning:
        return t(language, "on {day}, in the morning", day=named)
    return t(language, "on {day}, in the afternoon", day=named)


class Callbacks:
    """The user's side of arranging a callback (HandoffService delegates here)."""

    def __init__(
        self,
        db: Database,
        office_for: Callable[[str | None], Office | None],
        broker: Broker,
        move: Callable[[Conversation, Event], object],
        mirror: Callable[[Conversation, Conversation], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.office_for = office_for
        self.broker = broker
        self.move = move
        self.mirror = mirror
        self.clock = clock

    async def start(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        """`/callback`: ask for the number (or which municipality first)."""
        if conversation.municipality is None:
            return [notices.which_municipality(language)]
        office = self.office_for(conversation.municipality)
        if office is None or Schedule.phone(office) is None:
            return [notices.no_staff_chat(language)]
        await self._step(conversation, Event.CALLBACK)
        interpreter = language if needs_interpreter(office, language) else None
        return [notices.ask_phone(language, interpreter)]

    async def cancel(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        if conversation.callback_step is None:
            return [notices.left_queue(language)]
        await self._step(conversation, Event.CANCEL_CALLBACK)
        return [notices.callback_cancelled(language)]

    async def take_input(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        """A typed message while a callback is being arranged. [] means: not for us, the
        callback is dropped and the bot answers the message."""
        if conversation.callback_step == "phone":
            return await self._take_phone(conversation, text, language)
        return await self._take_note(conversation, text, language)

    async def _take_phone(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        if not _DIGIT.search(text):
            await self._step(conversation, Event.CANCEL_CALLBACK)
            return []
        phone = parse_phone(text)
        if phone is None:
            return [notices.phone_not_understood(language)]
        office = self.office_for(conversation.municipality)
        interpreter = language if office is not None and needs_interpreter(office, language) else None
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            self.move(stored, Event.PHONE_GIVEN)
            ticket = Ticket(
                conversation_id=stored.id,
                municipality=stored.municipality,
                kind="callback",
                text="",
                phone=phone,
                interpreter=interpreter,
                status="open",
            )
            session.add(ticket)
            await session.flush()
            stored.callback_ticket = ticket.id
            await session.commit()
        self.mirror(conversation, stored)
        await self.broker.publish({"type": "queue"})
        now = self.clock()
        offered = windows(office, now) if office else []
        buttons = [(describe_window(w, language, now), w.key) for w in offered]
        return [notices.choose_window(language, display_phone(phone), buttons)]

    async def _take_note(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        """Text instead of a window button: kept as a note to staff, any time."""
        return await self._finish(conversation, None, text.strip()[:MAX_NOTE_CHARS], language)

    async def choose(self, conversation: Conversation, value: str | None, language: str) -> list[OutgoingMessage]:
        """A window button. An old or forged one counts as "any time"."""
        if conversation.callback_step != "window":
            return [notices.callback_already_arranged(language)]
        window = parse_window(value, self.clock())
        return await self._finish(conversation, window, "", language)

    async def _finish(
        self, conversation: Conversation, window: Window | None, note: str, language: str
    ) -> list[OutgoingMessage]:
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            ticket = await session.get(Ticket, stored.callback_ticket) if stored.callback_ticket else None
            self.move(stored, Event.WINDOW_CHOSEN)
            if ticket is not None:
                ticket.window = window.stored if window else None
                if note:
                    ticket.text = note
            await session.commit()
        self.mirror(conversation, stored)
        await self.broker.publish({"type": "queue"})
        if ticket is None or ticket.phone is None:  # erased or handled meanwhile
            return [notices.callback_cancelled(language)]
        when = describe_stored_window(ticket.window, language, self.clock())
        return [notices.callback_arranged(language, display_phone(ticket.phone), when, ticket.interpreter)]

    async def _step(self, conversation: Conversation, event: Event) -> None:
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            self.move(stored, event)
            await session.commit()
        self.mirror(conversation, stored)

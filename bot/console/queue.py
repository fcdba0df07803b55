"""The queue as one staff member reads it: who waits, in which language, whether they
themselves speak it and which colleagues do, and the open tickets (left messages and
callbacks) with what calling back needs — the number, the time window, an interpreter.

Suggesting who should take a chat needs the languages staff list on their profile
(`Staff.languages`); whether an interpreter is needed comes from the office's languages
in the knowledge bank (`bot/handoff/languages.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers

from bot.console import names
from bot.console.service import QueueEntry
from bot.db import Conversation, Staff, Ticket
from bot.handoff.languages import needs_interpreter
from bot.staff.accounts import can, in_scope
from bot.staff.profile import speaks
from lotsen.knowledge import KnowledgeBank
from lotsen.languages import languages

EXCERPT_CHARS = 160


@dataclass(frozen=True)
class Speakers:
    """Who speaks a conversation's language: the viewer, and colleagues by name."""

    language: str  # named inside a sentence ("tigrinja")
    you: bool
    colleagues: list[str]


@dataclass(frozen=True)
class QueueRow:
    entry: QueueEntry
    topic: str
    municipality: str
    language: str  # in the console language ("Tigrinja")
    native: str | None  # as its speakers write it ("ትግርኛ")
    interpreter: str | None  # the language an interpreter must speak, if no one at the office does
    speakers: Speakers | None


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    kind: str
    municipality: str
    language: str
    interpreter: str | None
    phone: str | None  # the callback number as people write it ("+46 70 123 45 67")
    window: str | None  # the callback's time window in words
    excerpt: str


def speakers(
    viewer: Staff, accounts: Sequence[Staff], code: str | None, municipality: str, lang: str
) -> Speakers | None:
    """The viewer and the colleagues (active console accounts working for the
    municipality) who list the language; None when the language is unknown."""
    if not code:
        return None
    colleagues = [
        account.display_name
        for account in accounts
        if account.id != viewer.id
        and not account.disabled
        and can(account.role, "staff")
        and in_scope(account, municipality)
        and speaks(account, code)
    ]
    return Speakers(names.language_in_sentence(code, lang), speaks(viewer, code), colleagues)


def display_phone(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _interpreter(bank: KnowledgeBank, municipality: str | None, code: str | None, lang: str) -> str | None:
    if not code or not needs_interpreter(bank.handoff_office(municipality), code):
        return None
    return names.language_in_sentence(code, lang)


def queue_rows(
    entries: Sequence[QueueEntry], viewer: Staff, accounts: Sequence[Staff], bank: KnowledgeBank, lang: str
) -> list[QueueRow]:
    rows = []
    for entry in entries:
        supported = languages().get(entry.language or "")
        rows.append(
            QueueRow(
                entry,
                names.topic(entry.topic, lang),
                names.municipality(entry.municipality),
                names.language(entry.language, lang),
                supported.native_name if supported else None,
                _interpreter(bank, entry.municipality, entry.language, lang),
                speakers(viewer, accounts, entry.language, entry.municipality, lang),
            )
        )
    return rows


def ticket_row(ticket: Ticket, conversation: Conversation, bank: KnowledgeBank, lang: str) -> TicketRow:
    # A callback names the interpreter's language when it is made; for a left message,
    # whether staff will need one is asked of the office now.
    if ticket.kind == "callback":
        interpreter = names.language_in_sentence(ticket.interpreter, lang) if ticket.interpreter else None
    else:
        interpreter = _interpreter(bank, ticket.municipality, conversation.language, lang)
    text = " ".join(ticket.text.split())
    return TicketRow(
        ticket,
        names.kind(ticket.kind, lang),
        names.municipality(ticket.municipality),
        names.language(conversation.language, lang),
        interpreter,
        display_phone(ticket.phone),
        names.window(ticket.window, lang) if ticket.kind == "callback" else None,
        text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…",
    )

"""The handoff brief as a Swedish-speaking staff member needs it, before they answer.

The conversation may be in Tigrinya, and the bot's answers with it. So the brief says, in
the console language: why a person was asked for; the topic; what the user was told, read
from the knowledge bank in the console language (every bot answer in the handoff's span
that records its topic: the same answer, for the same municipality); each question the
user asked with the assistant's reading of it (the intent by name, the confidence as a
percentage); the conversation's language and municipality; and whether an interpreter is
needed because no one at the office speaks that language.

Only messages of the handoff's span are read (bot/console/service.py), so the brief never
reaches further back than the transcript does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.console import names
from bot.console.service import Transcript
from bot.db import Conversation, Handoff, Message, aware
from bot.handoff.languages import needs_interpreter
from lotsen.knowledge import KnowledgeBank, Office


@dataclass(frozen=True)
class Told:
    """What the user was told on one topic, as the bank has it in the console language."""

    topic: str
    text: str
    fallback: str | None = None  # the language used instead, when the bank lacks the console's


@dataclass(frozen=True)
class Reading:
    """A question and how the assistant read it."""

    text: str
    intent: str
    confidence: str


@dataclass(frozen=True)
class Who:
    """Whom staff will talk to: language, municipality, and the interpreter they need."""

    language: str
    municipality: str
    interpreter: str | None  # the language an interpreter must speak, named; None: not needed


@dataclass(frozen=True)
class StaffBrief:
    reason: str
    topic: str
    question: str | None
    bot_answer: str | None
    who: Who
    told: list[Told]
    readings: list[Reading]


def who(conversation: Conversation, municipality: str | None, office: Office | None, language: str) -> Who:
    code = conversation.language
    interpreter = names.language_in_sentence(code, language) if code and needs_interpreter(office, code) else None
    return Who(names.language(code, language), names.municipality(municipality), interpreter)


def told(messages: Sequence[Message], bank: KnowledgeBank, municipality: str | None, language: str) -> list[Told]:
    """The bank's answer in the console language for each topic the bot answered in the
    span, once per topic, in the order answered."""
    found: list[Told] = []
    seen: set[str] = set()
    for message in messages:
        if message.author != "bot" or not message.topic or message.topic in seen:
            continue
        seen.add(message.topic)
        answer = bank.answer(message.topic, language, municipality)
        if answer is None:
            continue
        fallback = None if answer.language == language else names.language(answer.language, language)
        found.append(Told(names.topic(message.topic, language), "\n\n".join(answer.messages), fallback))
    return found


def _asked_before(handoff: Handoff, message: Message) -> bool:
    """Whether the message was written up to the request (after it, the user talks to staff)."""
    if handoff.message_id is not None:
        return message.id <= handoff.message_id
    return aware(message.created_at) <= aware(handoff.requested_at)


def readings(handoff: Handoff, messages: Sequence[Message], language: str) -> list[Reading]:
    """The user's questions up to the request, each with the assistant's reading."""
    return [
        Reading(m.text, names.intent(m.intent, language), names.confidence(m.confidence, language))
        for m in messages
        if m.author == "user" and not m.text.startswith("/") and _asked_before(handoff, m)
    ]


def staff_brief(found: Transcript, bank: KnowledgeBank, language: str) -> StaffBrief:
    handoff, conversation = found.handoff, found.conversation
    office = bank.handoff_office(handoff.municipality)
    return StaffBrief(
        reason=names.reason(handoff.reason, language),
        topic=names.topic(found.brief.topic, language),
        question=found.brief.question,
        bot_answer=found.brief.bot_answer,
        who=who(conversation, handoff.municipality, office, language),
        told=told(found.messages, bank, handoff.municipality, language),
        readings=readings(handoff, found.messages, language),
    )

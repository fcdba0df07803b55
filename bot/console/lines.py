"""A transcript's messages as staff read them, one `Line` each.

Three things differ from the stored text: a button press shows the button's title and
what it did instead of its payload (bot/console/payloads.py); a phrasebook message shows
the phrase in the console language with the language the user got it in
(bot/console/phrases.py); and every time is Stockholm time with its zone named
(bot/console/times.py). Everything else is the text as the user saw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.console import payloads, phrases
from bot.console.payloads import Press
from bot.console.phrases import Sent
from bot.console.times import stamp
from bot.db import Message
from lotsen.knowledge import Office


@dataclass(frozen=True)
class Line:
    author: str  # user | bot | staff | system (the bubble's class)
    author_name: str | None
    at: str
    text: str  # as the user saw it
    press: Press | None = None
    sent: Sent | None = None


def lines(
    messages: Sequence[Message],
    user_language: str | None,
    office: Office | None,
    language: str,
    now: datetime,
) -> list[Line]:
    """The messages as staff read them; a press is looked up among the messages before it."""
    shown = []
    for index, message in enumerate(messages):
        shown.append(
            Line(
                author=message.author,
                author_name=message.author_name,
                at=stamp(message.created_at, language, now),
                text=message.text,
                press=payloads.press(message, messages[:index], language),
                sent=phrases.shown(message, user_language, office, language),
            )
        )
    return shown

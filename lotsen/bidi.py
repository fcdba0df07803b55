"""Isolating text of the other direction inside a chat bubble, so it reads right.

An Arabic or Persian bubble gets `dir="rtl"` from the conversation's language (not
`dir="auto"`, which lays out "BankID هو …" left to right because its first letter is
Latin). Inside it, each run of Latin-script words is isolated (`<bdi>`), and links are
left-to-right and isolated too; brackets, numbers and punctuation stay outside, so they
take the bubble's direction. A left-to-right bubble isolates Arabic-script runs the same
way. The widget (bot/static/widget.js, `splitRuns`) applies the same patterns; a browser
test checks that both split sample texts identically.
"""

from __future__ import annotations

import re

LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]|tel:\+?[0-9][0-9 -]{3,}[0-9]")
LATIN_RUN = re.compile(
    r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F0-9 .'’\-]*[A-Za-z\u00C0-\u024F0-9]|[A-Za-z\u00C0-\u024F]"
)
_ARABIC = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
ARABIC_RUN = re.compile(f"[{_ARABIC}][{_ARABIC}0-9 \u200c.،؛\\-]*[{_ARABIC}0-9]|[{_ARABIC}]")

Run = tuple[str, str]  # (kind, text): kind is "text", "bdi" or "link"


def isolate_runs(text: str, direction: str) -> list[Run]:
    """Split `text` for a bubble of `direction` ("rtl" or "ltr") into plain text, runs of
    the other direction to isolate, and links."""
    other = LATIN_RUN if direction == "rtl" else ARABIC_RUN
    runs: list[Run] = []
    position = 0
    for link in LINK.finditer(text):
        runs += _split(text[position : link.start()], other)
        runs.append(("link", link.group(0)))
        position = link.end()
    runs += _split(text[position:], other)
    return runs


def _split(text: str, other: re.Pattern[str]) -> list[Run]:
    runs: list[Run] = []
    position = 0
    for found in other.finditer(text):
        if found.start() > position:
            runs.append(("text", text[position : found.start()]))
        runs.append(("bdi", found.group(0)))
        position = found.end()
    if position < len(text):
        runs.append(("text", text[position:]))
    return runs

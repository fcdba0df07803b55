"""Masking personal data newcomers type, before anyone who does not need it sees it.

Personnummer and samordningsnummer, phone numbers and e-mail addresses are replaced by
a marker. Used by the editors' unanswered-questions feed (editors need the question,
not the person); issue 9 applies the same masking to logs.
"""

from __future__ import annotations

import re

MASK = "•••"

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)"),  # personnummer / samordningsnummer
    re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ()-]{6,}\d(?!\d)"),  # phone numbers
)


def mask_personal_data(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text

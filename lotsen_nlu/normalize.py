"""Fold text so spelling variants users really type look the same to the model.

Newcomers type without diacritics ("vardcentral"), with Arabic or Persian forms of the
same letter (ي/ی, ك/ک), with or without the zero-width non-joiner (می‌خواهم/میخواهم),
with tatweel or harakat, Arabic-Indic digits, ё or е. Folding all of these to one form
lets a model trained on a few spellings recognise the others.
"""

from __future__ import annotations

import unicodedata

_CHAR_MAP = str.maketrans(
    {
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
        "\u0640": None,  # tatweel
        "\u064a": "\u06cc",  # Arabic yeh → Persian yeh
        "\u0649": "\u06cc",  # alef maksura → Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf → Persian keheh
        "\u0629": "\u0647",  # teh marbuta → heh
        "\u2019": "'",
        "\u02bc": "'",
        "\u2018": "'",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    }
)


def fold(text: str) -> str:
    """Lower-case, strip combining marks (diacritics, harakat, hamza marks) and unify
    letter variants. Not reversible: use it for matching and features, never for display."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).translate(_CHAR_MAP)


def script_of(ch: str) -> str:
    """The script of a letter: the first word of its Unicode name (LATIN, ARABIC, ETHIOPIC…)."""
    return unicodedata.name(ch, "UNKNOWN").split(" ")[0]

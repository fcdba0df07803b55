"""Per-language word lists in `data/lexicon/<code>.yml`: emergency terms and the names
people use for each supported language.

Emergency terms are matched on folded text. In Arabic and Ethiopic script, particles
and pronouns attach to words (الإسعاف، ብኣምቡላንስ), so a term of five or more letters in
those scripts also matches inside a longer word; everything else matches as a whole
word or phrase, which keeps short terms from firing inside unrelated words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lotsen_nlu.normalize import fold, script_of

ATTACHING_SCRIPTS = {"ARABIC", "ETHIOPIC"}
MIN_INFIX_LETTERS = 5


def _in_attaching_script(term: str) -> bool:
    letters = [ch for ch in term if ch.isalpha()]
    return bool(letters) and all(script_of(ch) in ATTACHING_SCRIPTS for ch in letters)


def term_pattern(term: str) -> str:
    folded = re.escape(fold(term).strip())
    if _in_attaching_script(term) and len(fold(term).replace(" ", "")) >= MIN_INFIX_LETTERS:
        return folded
    return rf"(?<!\w){folded}(?!\w)"


@dataclass
class Lexicon:
    emergency_terms: dict[str, list[str]] = field(default_factory=dict)  # language → terms
    language_names: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # language → code → names
    _emergency: re.Pattern[str] | None = None
    _names: Gazetteer = field(default_factory=lambda: Gazetteer({}))

    @classmethod
    def load(cls, directory: Path) -> Lexicon:
        lexicon = cls()
        for path in sorted(directory.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            lexicon.emergency_terms[path.stem] = [str(t) for t in data.get("emergency_terms") or []]
            lexicon.language_names[path.stem] = {
                str(code): [str(n) for n in names] for code, names in (data.get("language_names") or {}).items()
            }
        names_by_code: dict[str, list[str]] = {}
        for names in lexicon.language_names.values():
            for code, variants in names.items():
                names_by_code.setdefault(code, []).extend(variants)
        lexicon._names = Gazetteer(names_by_code)
        terms = {t for ts in lexicon.emergency_terms.values() for t in ts if fold(t).strip()}
        if terms:
            # Longest first, so a phrase wins over a word inside it.
            alternatives = sorted((term_pattern(t) for t in terms), key=len, reverse=True)
            lexicon._emergency = re.compile("|".join(alternatives))
        return lexicon

    def emergency_match(self, text: str) -> str | None:
        """The first emergency term found in `text`, or None."""
        if self._emergency is None:
            return None
        found = self._emergency.search(fold(text))
        return found.group(0) if found else None

    def language_in(self, text: str) -> str | None:
        """A supported language named in `text` (in any language's words for it), or None.

        The longest name found wins ("ukrainian" over "ukrain…" inside it). Names of seven
        or more letters also match inflected forms (русский → русском, englanti →
        englanniksi) by dropping their last two letters.
        """
        return self._names.find(text)


class Gazetteer:
    """Finds which of several values a text names, by any of each value's names.

    Used for language names, municipality names and interest keywords. Matching is on
    folded text; the longest name found wins; names of seven or more letters also match
    inflected forms; in Arabic and Ethiopic script, particles may attach in front.
    """

    def __init__(self, names: dict[str, list[str]]) -> None:
        self._patterns = [
            (re.compile(_name_pattern(name)), len(fold(name).strip()), value)
            for value, variants in names.items()
            for name in variants
            if fold(name).strip()
        ]

    def find(self, text: str) -> str | None:
        folded = fold(text)
        found = [(length, value) for pattern, length, value in self._patterns if pattern.search(folded)]
        return max(found, key=lambda item: item[0])[1] if found else None  # the first of the longest


def _name_pattern(name: str) -> str:
    folded = fold(name).strip()
    if _in_attaching_script(name) and len(folded) >= 4:
        return re.escape(folded)  # بالعربي, ብትግርኛ: particles attach in front
    stem = folded[:-2] if len(folded) >= 7 else folded
    return rf"(?<!\w){re.escape(stem)}"

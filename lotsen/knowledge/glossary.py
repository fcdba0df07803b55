"""The glossary of official Swedish words (issue 21): what a word in a letter means and
what to do about it, in the user's language.

Editors keep it in `data/knowledge/glossary/*.yml` like the rest of the bank (validated,
hot-reloaded, reviewed by date). `GlossaryFinder` finds every entry whose word or one of
its inflected forms occurs in a message — a question in any language ("what does
'kallelse' mean?"), a word alone, or a sentence pasted from a letter — matching whole
words after folding case, and the last part of a Swedish compound ("betalningspåminnelse"
is a "påminnelse").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from lotsen.knowledge.schema import Reviewed, Strict, _check_languages

MAX_EXPLANATION_CHARS = 300
# A form this long may also end a compound word; shorter ones ("avi", "ombud") only match whole.
MIN_COMPOUND_TAIL = 7
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)

Form = Annotated[str, Field(min_length=2, max_length=60)]


class GlossaryEntry(Strict):
    """One word: its dictionary form, the forms a letter may use, and per language one or
    two sentences that say what it means and what to do."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]  # "1177" is a word too
    word: str = Field(min_length=2, max_length=60)
    forms: list[Form] = Field(min_length=1)
    explanations: dict[str, Annotated[str, Field(min_length=1, max_length=MAX_EXPLANATION_CHARS)]] = Field(min_length=1)

    @field_validator("explanations")
    @classmethod
    def _languages(cls, explanations: dict[str, str]) -> dict[str, str]:
        _check_languages(explanations)
        return explanations

    @model_validator(mode="after")
    def _word_is_a_form(self) -> GlossaryEntry:
        if self.word.casefold() not in {form.casefold() for form in self.forms}:
            raise ValueError(f"forms of {self.word!r} must include the word itself")
        return self


class Glossary(Reviewed):
    """One glossary file (the words are split over several files by theme)."""

    entries: list[GlossaryEntry] = Field(min_length=1)


def words_of(text: str) -> list[str]:
    return [match.group(0) for match in _WORD.finditer(text.casefold())]


@dataclass(frozen=True)
class GlossaryFinder:
    """Every glossary entry named in a text, in the order they first appear."""

    entries: dict[str, GlossaryEntry]  # by id
    _single: dict[str, str]  # one-word form → id
    _phrases: dict[tuple[str, ...], str]  # several-word form → id
    _tails: tuple[tuple[str, str], ...]  # (form, id) that may end a compound, longest first

    @classmethod
    def build(cls, entries: list[GlossaryEntry]) -> GlossaryFinder:
        single: dict[str, str] = {}
        phrases: dict[tuple[str, ...], str] = {}
        for entry in entries:
            for form in {entry.word, *entry.forms}:
                words = tuple(words_of(form))
                if len(words) == 1:
                    single.setdefault(words[0], entry.id)
                elif words:
                    phrases.setdefault(words, entry.id)
        long_forms = [(form, i) for form, i in single.items() if len(form) >= MIN_COMPOUND_TAIL]
        tails = sorted(long_forms, key=lambda pair: -len(pair[0]))
        return cls({e.id: e for e in entries}, single, phrases, tuple(tails))

    def find(self, text: str) -> list[GlossaryEntry]:
        words = words_of(text)
        found: list[str] = []
        longest = max((len(p) for p in self._phrases), default=0)
        index = 0
        while index < len(words):
            matched = None
            for size in range(min(longest, len(words) - index), 1, -1):
                if (phrase := tuple(words[index : index + size])) in self._phrases:
                    matched, index = self._phrases[phrase], index + size
                    break
            if matched is None:
                word = words[index]
                matched = self._single.get(word) or self._tail(word)
                index += 1
            if matched is not None and matched not in found:
                found.append(matched)
        return [self.entries[i] for i in found]

    def _tail(self, word: str) -> str | None:
        """A compound ending in a long glossary form ("betalningspåminnelse")."""
        for form, entry_id in self._tails:
            if len(word) > len(form) and word.endswith(form):
                return entry_id
        return None

"""The whole knowledge bank: topics, offices, associations, interests, the glossary and
local events, checked together.

`load_bank` reads `data/knowledge/` (layout in docs/knowledge.md) and fails as a whole
if any file is invalid, so the store that serves answers never mixes a half-edited bank
with a good one. Given `replace` (relative path → text, or None for a removed file), it
loads the bank as it would be after that change, without touching the directory: that is
how a change is checked before it is published (lotsen/knowledge/publishing.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from lotsen.knowledge.events import Event
from lotsen.knowledge.files import MAX_FILE_BYTES, KnowledgeError, Model, load_file, parse_text
from lotsen.knowledge.glossary import Glossary, GlossaryEntry, GlossaryFinder, words_of
from lotsen.knowledge.schema import (
    Association,
    Interest,
    Interests,
    MunicipalityOffices,
    Office,
    Source,
    Topic,
)
from lotsen_nlu.lexicon import Gazetteer

FALLBACK_LANGUAGES = ("en", "sv")


Text = TypeVar("Text")


def in_language(texts: dict[str, Text], language: str) -> tuple[str, Text]:
    """The text in `language`, else English, else Swedish, else any; with the code used."""
    for code in (language, *FALLBACK_LANGUAGES, *texts):
        if code in texts:
            return code, texts[code]
    raise KeyError("no text in any language")  # the schema requires at least one


@dataclass(frozen=True)
class Answer:
    """What to tell the user, and in which language and for which municipality it is."""

    topic: Topic
    language: str
    messages: list[str]
    sources: list[Source]
    municipality: str | None = None

    def is_fallback(self, requested: str) -> bool:
        return self.language != requested


@dataclass
class KnowledgeBank:
    """Everything editors maintain, indexed for the actions."""

    topics: dict[str, Topic] = field(default_factory=dict)  # by intent
    offices: dict[str, MunicipalityOffices] = field(default_factory=dict)  # by municipality
    associations: list[Association] = field(default_factory=list)
    interests: dict[str, Interest] = field(default_factory=dict)
    glossary: dict[str, GlossaryEntry] = field(default_factory=dict)  # by id
    events: list[Event] = field(default_factory=list)

    @cached_property
    def glossary_finder(self) -> GlossaryFinder:
        return GlossaryFinder.build(list(self.glossary.values()))

    def by_intent(self, intent: str) -> Topic | None:
        return self.topics.get(intent)

    def answer(self, intent: str, language: str, municipality: str | None = None) -> Answer | None:
        """The topic's answer for `municipality` in `language` (or a fallback language)."""
        topic = self.by_intent(intent)
        if topic is None:
            return None
        national_language, national = in_language(topic.answers, language)
        override = topic.overrides.get(municipality or "")
        if override is None:
            return Answer(topic, national_language, list(national), list(topic.sources))
        local_language, local = in_language(override.answers, language)
        messages = list(local) if override.replace else [*local, *national]
        # The note names a fallback language if any part of the answer is not in `language`.
        used = local_language if override.replace or local_language != language else national_language
        return Answer(topic, used, messages, [*override.sources, *topic.sources], municipality)

    def handoff_office(self, municipality: str | None) -> Office | None:
        entry = self.offices.get(municipality or "")
        return entry.handoff_office if entry else None

    @cached_property
    def interest_finder(self) -> Gazetteer:
        """Finds an interest tag from what the user typed, in any language."""
        names: dict[str, list[str]] = {}
        for interest in self.interests.values():
            words = [*interest.names.values(), *(w for ws in interest.keywords.values() for w in ws)]
            names[interest.id] = words
        return Gazetteer(names)

    def find_associations(
        self,
        municipality: str | None,
        interest: str | None = None,
        language: str | None = None,
        speaking: str | None = None,
    ) -> list[Association]:
        """Associations for the user: local ones before national ones, those speaking the
        user's language first within each, then by name; only those whose people speak
        `speaking` if the user asked for a language."""
        found = [
            a
            for a in self.associations
            if (a.national or (municipality in a.municipalities))
            and (interest is None or interest in a.interests)
            and (speaking is None or speaking in a.languages)
        ]
        return sorted(
            found,
            key=lambda a: (municipality not in a.municipalities, language not in a.languages, a.name.casefold()),
        )


Replacements = Mapping[str, str | None]  # relative path (posix) → new text, None: removed


class _Files:
    """The bank's files on disk, with some of them replaced (or removed, or added) in memory."""

    def __init__(self, directory: Path, replace: Replacements | None) -> None:
        self.directory = directory
        self.replace = dict(replace or {})

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.directory).as_posix()

    def listing(self, folder: str) -> list[Path]:
        base = self.directory / folder
        found = set(base.glob("*.yml")) if base.is_dir() else set()
        for relative, text in self.replace.items():
            path = self.directory / relative
            if path.parent != base or path.suffix != ".yml":
                continue
            if text is None:
                found.discard(path)
            else:
                found.add(path)
        return sorted(found)

    def exists(self, path: Path) -> bool:
        relative = self._relative(path)
        return self.replace[relative] is not None if relative in self.replace else path.exists()

    def each(self, folder: str, model: type[Model], errors: list[str]) -> Iterator[tuple[Path, Model]]:
        """Every file of `folder` that parses, with its path; the others' errors go to `errors`."""
        for path in self.listing(folder):
            try:
                yield path, self.load(path, model)
            except KnowledgeError as exc:
                errors.append(str(exc))

    def load(self, path: Path, model: type[Model]) -> Model:
        text = self.replace.get(self._relative(path))
        if text is None:
            return load_file(path, model)
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise KnowledgeError(f"{path}: a knowledge file may be at most {MAX_FILE_BYTES:,} bytes")
        return parse_text(text, model, str(path))


def load_bank(directory: Path, replace: Replacements | None = None) -> KnowledgeBank:
    """Load and cross-check every knowledge file; any error fails the whole load.

    `replace` loads the bank as it would be with those files' texts (None: without the file).
    """
    files = _Files(directory, replace)
    bank = KnowledgeBank()
    errors: list[str] = []

    topic_files: dict[str, Path] = {}
    for path, topic in files.each("topics", Topic, errors):
        if topic.id in topic_files:
            errors.append(f"{path}: duplicate topic id {topic.id!r} (also in {topic_files[topic.id]})")
        elif topic.intent in bank.topics:
            errors.append(f"{path}: intent {topic.intent!r} is already answered by another topic")
        else:
            topic_files[topic.id] = path
            bank.topics[topic.intent] = topic

    interests_file = directory / "interests.yml"
    if files.exists(interests_file):
        try:
            interests = files.load(interests_file, Interests)
            bank.interests = {interest.id: interest for interest in interests.interests}
        except KnowledgeError as exc:
            errors.append(str(exc))

    for path, entry in files.each("offices", MunicipalityOffices, errors):
        if entry.municipality in bank.offices:
            errors.append(f"{path}: {entry.municipality} already has an offices file")
        else:
            bank.offices[entry.municipality] = entry

    association_files: dict[str, Path] = {}
    for path, association in files.each("associations", Association, errors):
        if association.id in association_files:
            errors.append(
                f"{path}: duplicate association id {association.id!r} (also in {association_files[association.id]})"
            )
            continue
        unknown = [tag for tag in association.interests if tag not in bank.interests]
        if unknown:
            errors.append(f"{path}: unknown interest tag(s) {', '.join(unknown)}; see interests.yml")
        association_files[association.id] = path
        bank.associations.append(association)

    errors += _load_glossary(files, bank)
    errors += _load_events(files, bank)
    if errors:
        raise KnowledgeError("\n".join(errors))
    return bank


def _load_glossary(files: _Files, bank: KnowledgeBank) -> list[str]:
    """Every word once, and no form that would point at two words."""
    errors: list[str] = []
    owner: dict[tuple[str, ...], str] = {}
    for path, glossary in files.each("glossary", Glossary, errors):
        for entry in glossary.entries:
            if entry.id in bank.glossary:
                errors.append(f"{path}: duplicate glossary word id {entry.id!r}")
                continue
            for form in {entry.word, *entry.forms}:
                key = tuple(words_of(form))
                if key in owner and owner[key] != entry.id:
                    errors.append(f"{path}: the form {form!r} of {entry.id!r} is also a form of {owner[key]!r}")
                owner.setdefault(key, entry.id)
            bank.glossary[entry.id] = entry
    return errors


def _load_events(files: _Files, bank: KnowledgeBank) -> list[str]:
    """Events name associations and topics that exist."""
    errors: list[str] = []
    associations = {a.id for a in bank.associations}
    seen: set[str] = set()
    for path, event in files.each("events", Event, errors):
        if event.id in seen:
            errors.append(f"{path}: duplicate event id {event.id!r}")
            continue
        if event.association and event.association not in associations:
            errors.append(f"{path}: unknown association {event.association!r}")
        unknown = [tag for tag in event.topics if tag not in bank.topics]
        if unknown:
            errors.append(f"{path}: unknown topic(s) {', '.join(unknown)}; use a topic's intent")
        seen.add(event.id)
        bank.events.append(event)
    return errors

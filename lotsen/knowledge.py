"""The knowledge bank: sourced answers that editors keep in `data/knowledge/`.

Answers are YAML, one file per topic, validated by a pydantic schema. The action
server reads them through `KnowledgeStore`, which notices edited files and reloads them
without a restart; an edit that does not validate is rejected and the previous content
keeps serving, so a typo never takes an answer offline.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from lotsen.languages import supported_codes

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 600
MAX_FILE_BYTES = 256 * 1024  # a topic is a few KB; anything this big is a mistake
FALLBACK_LANGUAGES = ("en", "sv")

Message = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]


class Source(BaseModel):
    """An official page the answer is based on."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    url: HttpUrl


class Topic(BaseModel):
    """One topic: its intent, sources, review dates and an answer per language.

    An answer is a list of chat messages (each at most 600 characters) so long answers
    arrive as several readable bubbles rather than one wall of text.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    intent: str = Field(pattern=r"^ask_[a-z_]+$")
    last_checked: date
    review_by: date
    sources: list[Source] = Field(min_length=1)
    answers: dict[str, list[Message]] = Field(min_length=1)

    @field_validator("answers")
    @classmethod
    def _known_languages(cls, answers: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(answers) - set(supported_codes()))
        if unknown:
            raise ValueError(f"unsupported language code(s): {', '.join(unknown)}")
        empty = sorted(code for code, messages in answers.items() if not messages)
        if empty:
            raise ValueError(f"empty answer for: {', '.join(empty)}")
        return answers


class KnowledgeError(Exception):
    """A knowledge file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Answer:
    """What to tell the user, and in which language it actually is."""

    topic: Topic
    language: str
    messages: list[str]

    def is_fallback(self, requested: str) -> bool:
        return self.language != requested


@dataclass
class KnowledgeBank:
    """All topics, indexed by intent."""

    topics: dict[str, Topic] = field(default_factory=dict)

    def by_intent(self, intent: str) -> Topic | None:
        return self.topics.get(intent)

    def answer(self, intent: str, language: str) -> Answer | None:
        """The topic's answer in `language`, else in English or Swedish; None if no topic."""
        topic = self.by_intent(intent)
        if topic is None:
            return None
        for code in (language, *FALLBACK_LANGUAGES, *topic.answers):
            if code in topic.answers:
                return Answer(topic=topic, language=code, messages=topic.answers[code])
        return None  # unreachable: the schema requires at least one answer


def load_topic(path: Path) -> Topic:
    """Parse and validate one topic file, raising KnowledgeError with file and line."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise KnowledgeError(f"{path}: file is {size:,} bytes; a topic file may be at most {MAX_FILE_BYTES:,}")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise KnowledgeError(f"{where}: invalid YAML: {exc.problem}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc}") from exc
    try:
        return Topic.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(file)'}: {error['msg']}" for error in exc.errors()
        )
        raise KnowledgeError(f"{path}: {problems}") from exc


def load_bank(directory: Path) -> KnowledgeBank:
    """Load every topic under `directory/topics`; any invalid file fails the whole load."""
    bank = KnowledgeBank()
    errors: list[str] = []
    seen_ids: dict[str, Path] = {}
    for path in sorted((directory / "topics").glob("*.yml")):
        try:
            topic = load_topic(path)
        except KnowledgeError as exc:
            errors.append(str(exc))
            continue
        if topic.id in seen_ids:
            errors.append(f"{path}: duplicate topic id {topic.id!r} (also in {seen_ids[topic.id]})")
        elif topic.intent in bank.topics:
            errors.append(f"{path}: intent {topic.intent!r} already answered by another topic")
        else:
            seen_ids[topic.id] = path
            bank.topics[topic.intent] = topic
    if errors:
        raise KnowledgeError("\n".join(errors))
    return bank


class KnowledgeStore:
    """The current knowledge bank, reloaded when its files change.

    A reload costs a `stat` per file on each read, which is cheap next to a chat turn and
    means an editor's saved change is live on the next question.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._bank = KnowledgeBank()
        self.last_error: str | None = None

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        entries = []
        for path in sorted((self.directory / "topics").glob("*.yml")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def get(self) -> KnowledgeBank:
        """The bank as of now: reloaded if files changed, the previous one if they are invalid."""
        signature = self._current_signature()
        if signature == self._signature:
            return self._bank
        with self._lock:
            if signature != self._signature:
                try:
                    self._bank = load_bank(self.directory)
                    self.last_error = None
                    log.info("knowledge bank loaded: %d topics", len(self._bank.topics))
                except KnowledgeError as exc:
                    self.last_error = str(exc)
                    log.error("knowledge edit rejected, previous content still serving:\n%s", exc)
                self._signature = signature
        return self._bank

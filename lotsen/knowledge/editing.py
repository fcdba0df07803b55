"""Saving an editor's change to one answer back into its YAML file.

The file is edited with ruamel.yaml's round-trip mode, so the comments and layout that
other editors rely on survive, and the result goes through the same validator the action
server uses before it replaces the file (atomically, so the action server never reads a
half-written file). A change made on a stale copy is refused rather than overwriting
someone else's edit.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from lotsen.knowledge.files import MAX_FILE_BYTES, KnowledgeError, parse_text, read_text
from lotsen.knowledge.schema import Override, Topic

BLANK_LINES = re.compile(r"\n[ \t]*\n")


class ConflictError(KnowledgeError):
    """The file changed since the editor opened it."""


def split_messages(text: str) -> list[str]:
    """Chat messages from the editor's text box: an empty line separates two messages."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in BLANK_LINES.split(text) if part.strip()]


def join_messages(messages: list[str]) -> str:
    return "\n\n".join(messages)


def fingerprint(text: str) -> str:
    """What the editor's form remembers about the file it was opened from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def topic_path(directory: Path, topic_id: str) -> Path:
    """The file of a topic, by id (file names follow ids, but the id inside decides)."""
    for path in sorted((directory / "topics").glob("*.yml")):
        try:
            topic = parse_text(read_text(path), Topic, str(path))
        except KnowledgeError:
            continue
        if topic.id == topic_id:
            return path
    raise KnowledgeError(f"no topic with id {topic_id!r}")


def _round_trip() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # never re-wrap an editor's long line
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def with_answer(text: str, language: str, municipality: str | None, messages: list[str]) -> str:
    """The file's text with one language's answer (national or one municipality's) replaced."""
    yaml = _round_trip()
    data = yaml.load(text)
    if not isinstance(data, CommentedMap):
        raise KnowledgeError("the topic file is not a mapping")
    values = [LiteralScalarString(m) if "\n" in m else m for m in messages]
    if municipality is None:
        data["answers"][language] = values
    else:
        overrides = data.setdefault("overrides", CommentedMap())
        override = overrides.setdefault(municipality, CommentedMap())
        override.setdefault("answers", CommentedMap())[language] = values
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def current_messages(topic: Topic, language: str, municipality: str | None) -> list[str]:
    if municipality is None:
        return list(topic.answers.get(language, []))
    override: Override | None = topic.overrides.get(municipality)
    return list(override.answers.get(language, [])) if override else []


def save_answer(
    path: Path, language: str, municipality: str | None, messages: list[str], expected_fingerprint: str
) -> Topic:
    """Validate and write one answer; raise KnowledgeError (with line) or ConflictError."""
    if not messages:
        raise KnowledgeError("an answer needs at least one message")
    original = read_text(path)
    if fingerprint(original) != expected_fingerprint:
        raise ConflictError(f"{path.name} was changed by someone else after you opened it; reload and redo your change")
    updated = with_answer(original, language, municipality, messages)
    if len(updated.encode("utf-8")) > MAX_FILE_BYTES:
        raise KnowledgeError(f"{path.name} would be larger than {MAX_FILE_BYTES:,} bytes")
    topic = parse_text(updated, Topic, path.name)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(updated)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return topic

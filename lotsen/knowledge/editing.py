"""Saving an editor's change to one answer back into its YAML file.

The file is edited with ruamel.yaml's round-trip mode, so the comments and layout that
other editors rely on survive, and the result is published through
`lotsen.knowledge.publishing`: checked with everything `make check-data` checks on the
whole bank, recorded as a revision and written atomically. A change made on a stale copy
is refused rather than overwriting someone else's edit.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from lotsen.knowledge.files import KnowledgeError, parse_text, read_text
from lotsen.knowledge.publishing import ConflictError as ConflictError  # the editor pages import it from here
from lotsen.knowledge.publishing import Journal, Publication, Publisher
from lotsen.knowledge.publishing import fingerprint as fingerprint
from lotsen.knowledge.schema import Override, Topic

BLANK_LINES = re.compile(r"\n[ \t]*\n")


def split_messages(text: str) -> list[str]:
    """Chat messages from the editor's text box: an empty line separates two messages."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in BLANK_LINES.split(text) if part.strip()]


def join_messages(messages: list[str]) -> str:
    return "\n\n".join(messages)


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


async def save_answer(
    publisher: Publisher,
    journal: Journal,
    path: Path,
    language: str,
    municipality: str | None,
    messages: list[str],
    *,
    expected_fingerprint: str,
    actor: str,
    summary: str,
) -> Publication:
    """Publish one answer (see lotsen.knowledge.publishing for the check and the revision).

    Raises ConflictError if the file changed since `expected_fingerprint`, RefusedError
    (with every problem) if the bank would break, or another KnowledgeError.
    """
    if not messages:
        raise KnowledgeError("an answer needs at least one message")
    original = await asyncio.to_thread(read_text, path)
    if fingerprint(original) != expected_fingerprint:  # the change is made on the editor's version
        raise ConflictError(f"{path.name} was changed by someone else after you opened it; reload and redo your change")
    updated = with_answer(original, language, municipality, messages)
    return await publisher.publish(
        path, updated, expected=expected_fingerprint, actor=actor, summary=summary, journal=journal
    )

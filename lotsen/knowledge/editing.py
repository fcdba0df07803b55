"""Saving an editor's change back into its YAML file: one answer, an office's details, an
association's or an event's fields (or a new one, or its removal), a glossary word (or a
new word in a glossary file), a review date.

The file is edited with ruamel.yaml's round-trip mode, so the comments and layout that
other editors rely on survive — only the keys that changed are touched, written the way
their neighbours are (quotes, `[a, b]` lists) — and the result is published through
`lotsen.knowledge.publishing`: checked with everything `make check-data` checks on the
whole bank, recorded as a revision and written atomically. A change made on a stale copy
is refused rather than overwriting someone else's edit.
"""

from __future__ import annotations

import asyncio
import copy
import io
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from lotsen.knowledge.events import Event
from lotsen.knowledge.files import KnowledgeError, parse_text, read_text
from lotsen.knowledge.glossary import Glossary, GlossaryEntry
from lotsen.knowledge.publishing import ConflictError as ConflictError  # the editor pages import it from here
from lotsen.knowledge.publishing import Journal, Publication, Publisher
from lotsen.knowledge.publishing import fingerprint as fingerprint
from lotsen.knowledge.schema import Association, MunicipalityOffices, Office, Override, Topic

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


# -- offices, associations and review dates (the editor's form pages) ------------------------

Values = Mapping[str, object]  # a key's new value; None, "", [] or {} removes the key
Edit = Callable[[str | None], str | None]  # the file's text (None: absent) → its new text (None: remove)
Entry = TypeVar("Entry", bound=BaseModel)


def _find(directory: Path, folder: str, model: type[Entry], wanted: Callable[[Entry], bool], missing: str) -> Path:
    """The first file in `folder` whose entry is `wanted` (files that do not parse are skipped)."""
    for path in sorted((directory / folder).glob("*.yml")):
        try:
            entry = parse_text(read_text(path), model, str(path))
        except KnowledgeError:
            continue
        if wanted(entry):
            return path
    raise KnowledgeError(missing)


def offices_path(directory: Path, municipality: str) -> Path:
    """The offices file of a municipality (by the `municipality` inside, like topic_path)."""
    missing = f"no offices file for {municipality!r}"
    return _find(directory, "offices", MunicipalityOffices, lambda e: e.municipality == municipality, missing)


def association_path(directory: Path, association_id: str) -> Path:
    missing = f"no association with id {association_id!r}"
    return _find(directory, "associations", Association, lambda e: e.id == association_id, missing)


def event_path(directory: Path, event_id: str) -> Path:
    missing = f"no event with id {event_id!r}"
    return _find(directory, "events", Event, lambda e: e.id == event_id, missing)


def glossary_path(directory: Path, entry_id: str) -> Path:
    """The glossary file that has the word (the words are split over files by theme)."""
    missing = f"no glossary word with id {entry_id!r}"
    return _find(directory, "glossary", Glossary, lambda g: any(e.id == entry_id for e in g.entries), missing)


def _load_mapping(text: str) -> CommentedMap:
    try:
        data = _round_trip().load(text)
    except YAMLError as exc:  # the publisher names the line; here it is enough to refuse
        raise KnowledgeError(f"the file is not valid YAML: {exc}") from exc
    if not isinstance(data, CommentedMap):
        raise KnowledgeError("the file is not a mapping")
    return data


def _dump(data: CommentedMap) -> str:
    out = io.StringIO()
    _round_trip().dump(data, out)
    return out.getvalue()


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _plain_is_safe(text: str, flow: bool) -> bool:
    """Whether the bank's reader (PyYAML, YAML 1.1) reads `text` back unquoted as the same
    string: ruamel writes YAML 1.2, where `12:00` and `yes` are strings, but 1.1 reads
    them as 720 and True."""
    document = f"[{text}]" if flow else f"k: {text}"
    try:
        return bool(yaml.safe_load(document) == ([text] if flow else {"k": text}))
    except yaml.YAMLError:
        return False


def _scalars(values: Sequence[object]) -> bool:
    return all(not isinstance(value, (list, dict)) for value in values)


def _template(like: object, key: str, value: object, keys: Collection[str]) -> object:
    """What a new `key: value` of a mapping with `keys` is written like: the same key in
    `like`, else, if `like` is the same kind of mapping (a key in common, e.g. another
    weekday), a value of the same type."""
    if not isinstance(like, dict):
        return None
    if key in like:
        return like[key]
    if set(like) & set(keys):
        return next((other for other in like.values() if isinstance(other, type(value))), None)
    return None


def _styled(value: object, like: object = None, *, flow: bool = False, in_list: bool = False) -> object:
    """`value` as ruamel nodes, written the way `like` (the value it replaces, or a sibling
    of the same kind) is: quoted like it; lists of scalars, and mappings of scalars that
    are list items (`- {date: 2026-12-28, note: …}`), in flow style."""
    if isinstance(value, str):
        if "\n" in value:
            return LiteralScalarString(value)
        if isinstance(like, (DoubleQuotedScalarString, SingleQuotedScalarString)):
            return type(like)(value)
        return value if _plain_is_safe(value, flow) else DoubleQuotedScalarString(value)
    if isinstance(value, list):
        template = like[0] if isinstance(like, list) and like else None
        inline = _scalars(value)
        seq = CommentedSeq(_styled(item, template, flow=inline, in_list=True) for item in value)
        if inline:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        inline = in_list and _scalars(list(value.values()))
        mapping = CommentedMap()
        for key, item in value.items():
            if not _empty(item):
                mapping[key] = _styled(item, _template(like, key, item, value), flow=inline)
        if inline:
            mapping.fa.set_flow_style()
        return mapping
    return value


def _position(target: CommentedMap, key: str, order: Sequence[str]) -> int:
    """Where a new key goes: before the nearest key after it in `order` that the file has."""
    later = list(order)[list(order).index(key) + 1 :] if key in order else []
    existing = list(target)
    for following in later:
        if following in target:
            return existing.index(following)
    return len(existing)


def _delete(target: CommentedMap, key: str) -> None:
    """Remove a key, but not the whole-line comments ruamel keeps with it: those come after
    its line and are about what follows (the next office, the end of the file), so they
    move to the line before it."""
    slot = target.ca.items.get(key)
    token = slot[2] if slot and len(slot) > 2 else None
    keys = list(target)
    previous = keys[keys.index(key) - 1] if keys.index(key) > 0 else None
    del target[key]
    following = token.value.partition("\n")[2] if token is not None else ""
    if not following.strip() or previous is None:
        return
    holder: CommentedMap | CommentedSeq = target
    last: object = previous
    while True:  # down to the last line the previous value is written on
        value = holder[last]
        if not isinstance(value, (CommentedMap, CommentedSeq)) or not value or value.fa.flow_style():
            break
        holder, last = value, (list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1)
    comments = holder.ca.items.setdefault(last, [None, None, None, None])
    position = 2 if isinstance(holder, CommentedMap) else 0
    if comments[position] is None:
        comments[position] = CommentToken(f"\n{following}", CommentMark(0), None)
    else:
        comments[position].value += following


def _merge(target: CommentedMap, values: Values, order: Sequence[str], *, partial: bool) -> None:
    """Put `values` into `target` in place, touching only what differs, so comments, quotes
    and the order of the rest stay as the editor wrote them. `partial`: keys not in
    `values` stay (a file's top level); otherwise they go (a nested mapping is replaced)."""
    before = CommentedMap(target)  # the templates for new keys, as they were
    if not partial:
        for key in [k for k in target if k not in values]:
            _delete(target, key)
    for key, value in values.items():
        if _empty(value):
            if key in target:
                _delete(target, key)
            continue
        if key in target:
            old = target[key]
            if isinstance(old, CommentedMap) and isinstance(value, dict):
                _merge(old, value, list(value), partial=False)
            elif old != value:
                target[key] = _styled(value, old)
            continue
        # A replaced mapping's old keys are all of its kind (other weekdays); a file's are not.
        like = _template(before, key, value, values if partial else before)
        target.insert(_position(target, key, order), key, _styled(value, like))


def with_fields(text: str, values: Values, order: Sequence[str]) -> str:
    """The file's text with top-level keys set (or removed); `order` places new keys."""
    data = _load_mapping(text)
    _merge(data, values, order, partial=True)
    return _dump(data)


def with_office(text: str, office_id: str, values: Values) -> str:
    """The offices file's text with one office's fields set (or removed)."""
    data = _load_mapping(text)
    offices = data.get("offices")
    office = next((o for o in offices or [] if isinstance(o, CommentedMap) and o.get("id") == office_id), None)
    if office is None:
        raise KnowledgeError(f"no office with id {office_id!r} in the file")
    _merge(office, values, list(Office.model_fields), partial=True)
    return _dump(data)


# A block list written at its key's indentation ("forms:" then "- kallelse" below the f).
FLUSH_LISTS = re.compile(r"(?m)^( +)[^\s#-][^\n]*:[ \t]*\n\1- ")


def _entries(data: CommentedMap) -> CommentedSeq:
    entries = data.get("entries")
    if not isinstance(entries, CommentedSeq) or not entries:
        raise KnowledgeError("the glossary file has no list of entries")
    return entries


def _item_lines(lines: list[str], data: CommentedMap, index: int) -> tuple[int, int]:
    """The lines [start, end) of `entries[index]`, without the empty and comment lines after
    it (they are about what follows, and stay as they are)."""
    entries = _entries(data)
    start = entries.lc.item(index)[0]
    if index + 1 < len(entries):
        end = entries.lc.item(index + 1)[0]
    else:
        keys = list(data)
        following = keys[keys.index("entries") + 1 :]
        end = data.lc.key(following[0])[0] if following else len(lines)
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return start, end


def _comments(node: object) -> list[CommentToken]:
    """Every comment ruamel keeps in `node` and below it."""
    found: list[CommentToken] = []
    if isinstance(node, (CommentedMap, CommentedSeq)):
        pending: list[object] = [node.ca.comment, *node.ca.items.values()]
        while pending:
            item = pending.pop()
            if isinstance(item, CommentToken):
                found.append(item)
            elif isinstance(item, list):
                pending.extend(item)
        for child in node.values() if isinstance(node, CommentedMap) else node:
            found += _comments(child)
    return found


def _item_text(entry: CommentedMap, text: str, indent: str) -> str:
    """One list item alone, as the file writes its items: at `indent`, and block lists inside
    it at their key's indentation if the file does so (the whole file is not dumped again:
    ruamel writes one list style, and the glossary files use two). Comments on a line of
    their own come back as they were written; those after a value keep their column."""
    yaml = _round_trip()
    base = 2  # where a top-level list's dash goes with `_round_trip`'s indentation
    if FLUSH_LISTS.search(text):
        yaml.indent(mapping=2, sequence=2, offset=0)
        base = 0
    shift = len(indent) - base
    for token in {id(token): token for token in _comments(entry)}.values():  # one token may be kept twice
        if token.start_mark is not None and not token.value.startswith("\n"):
            mark = copy.copy(token.start_mark)  # the scanner's mark, maybe shared: not changed in place
            mark.column = max(mark.column - shift, 0)
            token.start_mark = mark
    out = io.StringIO()
    yaml.dump(CommentedSeq([entry]), out)
    lines = out.getvalue().splitlines(keepends=True)
    return "".join(
        line if not line.strip() or line.lstrip().startswith("#") else indent + line[base:] for line in lines
    )


def _without_comment_after(entry: CommentedMap) -> None:
    """Leave out the empty and comment lines after the item (they are about what follows
    and stay where they are in the file); a comment on its last line stays with it."""
    found = _last_line(entry)
    if found is None:
        return
    holder, last, slot = found
    comments = holder.ca.items.get(last)
    token = comments[slot] if comments and len(comments) > slot else None
    if token is not None:
        same_line = token.value.partition("\n")[0]
        comments[slot] = CommentToken(f"{same_line}\n", token.start_mark, None) if "#" in same_line else None


def _last_line(node: object) -> tuple[CommentedMap | CommentedSeq, object, int] | None:
    """Where ruamel keeps the comment after a block node's last line: (holder, key, slot)."""
    if not isinstance(node, (CommentedMap, CommentedSeq)) or not node or node.fa.flow_style():
        return None
    holder: CommentedMap | CommentedSeq = node
    last: object = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    while (deeper := _last_line(holder[last])) is not None:
        holder, last, _ = deeper
    return holder, last, 2 if isinstance(holder, CommentedMap) else 0


def _lists_like(entry: CommentedMap, like: object) -> None:
    """Block lists stay block lists (`_styled` writes a list of words `[a, b]`)."""
    for key, value in entry.items():
        old = like.get(key) if isinstance(like, Mapping) else None
        if isinstance(value, CommentedSeq) and isinstance(old, CommentedSeq) and not old.fa.flow_style():
            value.fa.set_block_style()


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def with_glossary_entry(text: str, entry_id: str, values: Values) -> str:
    """The glossary file's text with one word's fields set (or removed), like `with_office`;
    only that word's lines are written again, the rest of the file stays as it is."""
    data = _load_mapping(text)
    entries = _entries(data)
    index = next((i for i, e in enumerate(entries) if isinstance(e, CommentedMap) and e.get("id") == entry_id), None)
    if index is None:
        raise KnowledgeError(f"no glossary word with id {entry_id!r} in the file")
    entry = entries[index]
    _without_comment_after(entry)
    before = {key: entry[key] for key in entry}
    _merge(entry, values, list(GlossaryEntry.model_fields), partial=True)
    _lists_like(entry, before)
    lines = text.splitlines(keepends=True)
    start, end = _item_lines(lines, data, index)
    if not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join([*lines[:start], _item_text(entry, text, _indent_of(lines[start])), *lines[end:]])


def with_new_glossary_entry(text: str, values: Values) -> str:
    """The glossary file's text with a new word after the last one, written like it (and,
    if the words are separated by an empty line, so is the new one)."""
    data = _load_mapping(text)
    entries = _entries(data)
    previous = entries[-1]
    entry = _styled(dict(values), previous)
    assert isinstance(entry, CommentedMap)
    _lists_like(entry, previous)
    lines = text.splitlines(keepends=True)
    start, end = _item_lines(lines, data, len(entries) - 1)
    if not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    blank = "\n" if start > 0 and len(entries) > 1 and not lines[start - 1].strip() else ""
    return "".join([*lines[:end], blank, _item_text(entry, text, _indent_of(lines[start])), *lines[end:]])


def new_file(values: Values, comment: str | None = None) -> str:
    """A new knowledge file with `values` in their order (and a first comment line)."""
    data = CommentedMap()
    _merge(data, values, list(values), partial=True)
    if comment:
        data.yaml_set_start_comment(" ".join(comment.split()))
    return _dump(data)


async def save_edit(
    publisher: Publisher,
    journal: Journal,
    path: Path,
    edit: Edit,
    *,
    expected_fingerprint: str,
    actor: str,
    summary: str,
) -> Publication:
    """Apply `edit` to the file as the editor saw it and publish the result (create, change
    or remove), through the same checks and revision as `save_answer`."""
    original = await asyncio.to_thread(lambda: read_text(path) if path.exists() else None)
    if fingerprint(original) != expected_fingerprint:
        raise ConflictError(f"{path.name} was changed by someone else after you opened it; reload and redo your change")
    return await publisher.publish(
        path, edit(original), expected=expected_fingerprint, actor=actor, summary=summary, journal=journal
    )

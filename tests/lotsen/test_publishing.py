"""Publishing a change: checked on the whole bank as `make check-data` checks it, refused
with the reasons, or recorded as a revision and then written — never a change without its
revision."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import date
from pathlib import Path

import pytest
import yaml

from lotsen.knowledge import load_bank
from lotsen.knowledge.files import KnowledgeError
from lotsen.knowledge.publishing import (
    ABSENT,
    ConflictError,
    NotRecordedError,
    Publisher,
    RefusedError,
    Revision,
    file_state,
    fingerprint,
)

TODAY = date(2026, 11, 23)
EMERGENCY = "topics/emergency.yml"


class MemoryJournal:
    """Revisions in a list; `fail` makes `record` raise (a database that is down)."""

    def __init__(self, fail: bool = False, delay: float = 0.0) -> None:
        self.revisions: dict[int, Revision] = {}
        self.fail = fail
        self.delay = delay
        self.forgotten: list[int] = []

    async def record(self, revision: Revision) -> int:
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("database unreachable")
        revision_id = len(self.revisions) + len(self.forgotten) + 1
        self.revisions[revision_id] = revision
        return revision_id

    async def forget(self, revision_id: int) -> None:
        del self.revisions[revision_id]
        self.forgotten.append(revision_id)


@pytest.fixture
def publisher(knowledge_dir: Path) -> Publisher:
    return Publisher(knowledge_dir, today=lambda: TODAY)


def text_of(directory: Path, relative: str) -> str:
    return (directory / relative).read_text(encoding="utf-8")


def temporary_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.name.endswith(".tmp")]


def without_112_in_arabic(text: str) -> str:
    data = yaml.safe_load(text)
    first = data["answers"]["ar"][0]
    assert first.startswith("112")
    changed = text.replace(first, first.removeprefix("112").lstrip(" —"), 1)
    assert changed != text
    return changed


async def publish(publisher: Publisher, journal: MemoryJournal, relative: str, text: str | None, **kwargs: str) -> int:
    current = publisher.read(relative)
    found = await publisher.publish(
        relative,
        text,
        expected=kwargs.get("expected", fingerprint(current)),
        actor=kwargs.get("actor", "amina"),
        summary=kwargs.get("summary", "a test change"),
        journal=journal,
    )
    assert found.revision_id is not None
    return found.revision_id


async def test_valid_change_is_recorded_with_before_and_after_then_written(
    publisher: Publisher, knowledge_dir: Path
) -> None:
    journal = MemoryJournal()
    before = text_of(knowledge_dir, "topics/bankid.yml")
    after = before.replace("review_by: 2027-02-23", "review_by: 2027-03-01")
    revision_id = await publish(publisher, journal, "topics/bankid.yml", after, actor="amina", summary="later review")
    assert journal.revisions[revision_id] == Revision("amina", "topics/bankid.yml", "later review", before, after)
    assert text_of(knowledge_dir, "topics/bankid.yml") == after
    assert str(load_bank(knowledge_dir).by_intent("ask_bankid").review_by) == "2027-03-01"  # type: ignore[union-attr]


async def test_emergency_answer_without_112_is_refused_and_nothing_changes(
    publisher: Publisher, knowledge_dir: Path
) -> None:
    journal = MemoryJournal()
    original = text_of(knowledge_dir, EMERGENCY)
    with pytest.raises(RefusedError) as refused:
        await publish(publisher, journal, EMERGENCY, without_112_in_arabic(original))
    assert refused.value.verdict.refused == ["topic emergency: the first ar message must start with 112"]
    assert text_of(knowledge_dir, EMERGENCY) == original
    assert journal.revisions == {}
    assert temporary_files(knowledge_dir) == []


async def test_schema_error_is_refused_with_the_file_and_line(publisher: Publisher, knowledge_dir: Path) -> None:
    original = text_of(knowledge_dir, "topics/bankid.yml")
    lines = original.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("review_by:"))
    broken = original.replace(lines[number - 1], "review_by: next spring")
    verdict = publisher.check("topics/bankid.yml", broken)
    assert [p for p in verdict.refused if p.startswith(f"topics/bankid.yml:{number}: review_by:")], verdict


async def test_rules_across_files_are_checked(publisher: Publisher, knowledge_dir: Path) -> None:
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    related = publisher.check("topics/bankid.yml", bankid.replace("ask_id_card]", "ask_nothing]", 1))
    assert related.refused == ["topic bankid: related names no other topic: ask_nothing"]
    removed = publisher.check("topics/dental.yml", None)
    assert removed.refused[0] == "no topic answers these intents: ask_dental"
    assert "topic healthcare: related names no other topic: ask_dental" in removed.refused
    data = yaml.safe_load(text_of(knowledge_dir, "topics/sfi.yml"))
    del data["answers"]["ti"]
    missing = publisher.check("topics/sfi.yml", yaml.safe_dump(data, allow_unicode=True))
    assert missing.refused == ["topic sfi: no answer in ti"]


async def test_problems_the_bank_already_has_do_not_block_a_change(publisher: Publisher, knowledge_dir: Path) -> None:
    """A topic still being translated: each language can be added on its own, but none removed."""
    path = knowledge_dir / "topics" / "sfi.yml"
    complete = yaml.safe_load(path.read_text(encoding="utf-8"))
    partial = yaml.safe_load(path.read_text(encoding="utf-8"))
    del partial["answers"]["ti"], partial["answers"]["uk"]
    path.write_text(yaml.safe_dump(partial, allow_unicode=True), encoding="utf-8")

    partial["answers"]["ti"] = complete["answers"]["ti"]
    verdict = publisher.check("topics/sfi.yml", yaml.safe_dump(partial, allow_unicode=True))
    assert verdict.ok and verdict.remaining == ["topic sfi: no answer in uk"]
    del partial["answers"]["en"]
    verdict = publisher.check("topics/sfi.yml", yaml.safe_dump(partial, allow_unicode=True))
    assert verdict.refused == ["topic sfi: no answer in en"]


async def test_nothing_is_published_into_a_bank_that_does_not_load_except_its_fix(
    publisher: Publisher, knowledge_dir: Path
) -> None:
    journal = MemoryJournal()
    work = knowledge_dir / "topics" / "work.yml"
    good = work.read_text(encoding="utf-8")
    work.write_text(good.replace("answers:", "answers: [", 1), encoding="utf-8")
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    with pytest.raises(RefusedError) as refused:
        await publish(publisher, journal, "topics/bankid.yml", bankid.replace("2027-02-23", "2027-03-01"))
    assert any(p.startswith("topics/work.yml:") and "not valid YAML" in p for p in refused.value.verdict.refused)
    await publish(publisher, journal, "topics/work.yml", good)  # e.g. restoring the last good version
    assert work.read_text(encoding="utf-8") == good


async def test_warnings_do_not_block_and_name_the_changed_file(knowledge_dir: Path) -> None:
    late = Publisher(knowledge_dir, today=lambda: date(2030, 1, 1))
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    verdict = late.check("topics/bankid.yml", bankid + "# checked\n")
    assert verdict.ok
    assert verdict.warnings == ["topic bankid: review_by 2027-02-23 has passed"]  # not the other topics'


async def test_stale_form_is_a_conflict_and_records_nothing(publisher: Publisher, knowledge_dir: Path) -> None:
    journal = MemoryJournal()
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    with pytest.raises(ConflictError):
        await publish(publisher, journal, "topics/bankid.yml", bankid + "# mine\n", expected=fingerprint("older"))
    with pytest.raises(ConflictError):  # "create" a file that exists
        await publish(publisher, journal, "topics/bankid.yml", bankid + "# mine\n", expected=ABSENT)
    assert journal.revisions == {} and text_of(knowledge_dir, "topics/bankid.yml") == bankid


async def test_two_saves_at_once_from_the_same_version_one_wins(publisher: Publisher, knowledge_dir: Path) -> None:
    journal = MemoryJournal(delay=0.2)  # the first save holds the lock while it is recorded
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    results = await asyncio.gather(
        publish(publisher, journal, "topics/bankid.yml", bankid + "# first\n", expected=fingerprint(bankid)),
        publish(publisher, journal, "topics/bankid.yml", bankid + "# second\n", expected=fingerprint(bankid)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "int"]
    (revision,) = journal.revisions.values()
    assert text_of(knowledge_dir, "topics/bankid.yml") == revision.after


async def test_a_revision_that_cannot_be_recorded_leaves_the_file_unchanged(
    publisher: Publisher, knowledge_dir: Path
) -> None:
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    with pytest.raises(NotRecordedError):
        await publish(publisher, MemoryJournal(fail=True), "topics/bankid.yml", bankid + "# lost\n")
    assert text_of(knowledge_dir, "topics/bankid.yml") == bankid
    assert temporary_files(knowledge_dir) == []


async def test_a_failed_write_removes_its_revision(
    publisher: Publisher, knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    journal = MemoryJournal()
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    with pytest.raises(KnowledgeError, match="No space left"):
        await publish(publisher, journal, "topics/bankid.yml", bankid + "# lost\n")
    assert journal.revisions == {} and journal.forgotten == [1]
    assert text_of(knowledge_dir, "topics/bankid.yml") == bankid
    assert temporary_files(knowledge_dir) == []


async def test_a_crash_between_revision_and_rename_shows_as_not_applied(
    publisher: Publisher, knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def power_cut(source: object, target: object) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(os, "replace", power_cut)
    journal = MemoryJournal()
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    with pytest.raises(SystemExit):
        await publish(publisher, journal, "topics/bankid.yml", bankid + "# lost\n")
    (revision,) = journal.revisions.values()  # recorded first: never a change without a revision
    assert text_of(knowledge_dir, "topics/bankid.yml") == bankid
    assert file_state(bankid, revision) == "not_applied"
    assert file_state(bankid + "# lost\n", revision) == "current"
    assert file_state("edited in git", revision) == "changed"


async def test_unchanged_text_records_nothing(publisher: Publisher, knowledge_dir: Path) -> None:
    journal = MemoryJournal()
    bankid = text_of(knowledge_dir, "topics/bankid.yml")
    found = await publisher.publish(
        "topics/bankid.yml", bankid, expected=fingerprint(bankid), actor="a", summary="s", journal=journal
    )
    assert found.revision_id is None and journal.revisions == {}


async def test_files_are_created_and_removed_with_their_revisions(publisher: Publisher, knowledge_dir: Path) -> None:
    journal = MemoryJournal()
    association = text_of(knowledge_dir, "associations/hej-framling.yml")
    copy = association.replace("id: hej-framling", "id: hej-framling-2", 1)
    created = await publish(publisher, journal, "associations/hej-framling-2.yml", copy, expected=ABSENT)
    assert journal.revisions[created].before is None
    assert len(load_bank(knowledge_dir).associations) == 16
    removed = await publish(publisher, journal, "associations/hej-framling-2.yml", None)
    assert journal.revisions[removed].after is None
    assert not (knowledge_dir / "associations" / "hej-framling-2.yml").exists()


async def test_the_file_keeps_its_permissions(publisher: Publisher, knowledge_dir: Path) -> None:
    path = knowledge_dir / "topics" / "bankid.yml"
    path.chmod(0o644)
    await publish(publisher, MemoryJournal(), "topics/bankid.yml", path.read_text(encoding="utf-8") + "# x\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "path", ["../secrets.yml", "topics/../../x.yml", "topics/bankid.yaml", "shared/facts.md", "/etc/passwd", "a.yml"]
)
def test_only_the_bank_s_files_can_be_published(publisher: Publisher, path: str) -> None:
    with pytest.raises(KnowledgeError):
        publisher.relative(path)


def test_bank_is_loaded_with_a_file_replaced_in_memory(knowledge_dir: Path) -> None:
    before = {p: p.read_bytes() for p in knowledge_dir.rglob("*.yml")}
    bankid = text_of(knowledge_dir, "topics/bankid.yml").replace("intent: ask_bankid", "intent: ask_bank_id")
    bank = load_bank(knowledge_dir, {"topics/bankid.yml": bankid, "topics/dental.yml": None})
    assert "ask_bank_id" in bank.topics and "ask_bankid" not in bank.topics and "ask_dental" not in bank.topics
    assert {p: p.read_bytes() for p in knowledge_dir.rglob("*.yml")} == before

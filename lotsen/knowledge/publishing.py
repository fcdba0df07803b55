"""Publishing a change to the knowledge bank: the one way a file changes from the web.

A change is one file's new text (or its removal), given with the fingerprint of the text
the editor started from. It is checked with everything `make check-data` checks, on the
whole bank as it would be after the change: the bank is loaded in memory with that one
file's text replaced (`load_bank(..., replace=...)`), so nothing is copied or written to
check it. A change is refused, with the problems, if

- the bank would not load (a schema error, file and line; a duplicate id; …), or
- it adds a problem the bank does not have now: a missing language, an emergency answer
  without 112 or 1177, a related topic that does not exist, an intent with no topic, …

Problems the bank already has (a new topic still being translated) do not block a change,
so an editor can fill in one language at a time; they are returned as `remaining`.
Warnings (review dates, unverified office details) never block; those about the changed
file and new ones are returned.

An accepted change is recorded as a revision (who, when, which file, a summary, the text
before and after; `Journal`, in the gateway a `knowledge_revisions` row) and written, in
this order, so that no crash can leave a changed file without its revision:

1. a lock on the directory (`flock`, shared by every gateway process on the host) is
   taken, and the file's current text must still be the one the editor started from
   (else `ConflictError`, which the editor pages show as 409);
2. the check (about 40 ms for the whole bank);
3. the new text is written to a temporary file beside the target and flushed to disk;
4. the revision is committed. If that fails, the temporary file is deleted and nothing
   has changed (`NotRecordedError`);
5. the temporary file replaces the target in one rename (the action server reads the old
   file or the new one, never half of one). If the rename fails, the revision is deleted
   again and the error raised.

Between 4 and 5 there is no `await`, only a rename; a crash exactly there (in practice a
power cut) leaves a revision whose text is not in the file. The revision pages compare
the newest revision of a file with the file and say so (`file_state`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from lotsen.check_data import Report, report
from lotsen.knowledge.events import Event
from lotsen.knowledge.files import MAX_FILE_BYTES, KnowledgeError, parse_text, read_text
from lotsen.knowledge.glossary import Glossary
from lotsen.knowledge.schema import Association, MunicipalityOffices, Topic
from lotsen.paths import ROOT

log = logging.getLogger(__name__)

DOMAIN_FILE = ROOT / "domain.yml"
# The files the bank reads (lotsen/knowledge/bank.py); nothing else can be published.
PUBLISHABLE = re.compile(
    r"(topics|offices|associations|events|glossary)/[A-Za-z0-9][A-Za-z0-9_.-]*\.yml|interests\.yml"
)
ABSENT = "absent"  # the fingerprint of a file that does not exist
LOCK_TIMEOUT_SECONDS = 10.0
MAX_SUMMARY_CHARS = 200  # knowledge_revisions.summary


def fingerprint(text: str | None) -> str:
    """What an editor's form remembers about the file it was opened from."""
    return ABSENT if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


class ConflictError(KnowledgeError):
    """The file changed since the editor opened it."""


class RefusedError(KnowledgeError):
    """The change would break the bank; `verdict.refused` says how."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__("\n".join(verdict.refused))
        self.verdict = verdict


class NotRecordedError(KnowledgeError):
    """The revision could not be stored, so the file was not changed."""


class BusyError(KnowledgeError):
    """Another change was being published for longer than the lock timeout."""


@dataclass(frozen=True)
class Revision:
    """One published change, as a journal stores it."""

    actor: str  # the staff member's username
    path: str  # relative to the knowledge directory, e.g. "topics/bankid.yml"
    summary: str
    before: str | None  # None: the file was created
    after: str | None  # None: the file was removed


class Journal(Protocol):
    """Where revisions are kept (the gateway: `bot.editor.revisions.DatabaseJournal`)."""

    def record(self, revision: Revision) -> Awaitable[int]:
        """Store the revision durably (committed) and return its id."""

    def forget(self, revision_id: int) -> Awaitable[None]:
        """Delete a revision whose change could not be written."""


@dataclass(frozen=True)
class Verdict:
    """What the check found in the bank as it would be after a change."""

    refused: list[str] = field(default_factory=list)  # problems the change adds: it may not be published
    remaining: list[str] = field(default_factory=list)  # problems the bank already had (do not block)
    warnings: list[str] = field(default_factory=list)  # about the changed file, or new (do not block)

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass(frozen=True)
class Publication:
    path: str
    revision_id: int | None  # None: the text was already the file's; nothing was written
    verdict: Verdict


Signature = tuple[object, ...]


class Publisher:
    """Checks and publishes changes to the bank under `directory` (see the module docstring)."""

    def __init__(
        self,
        directory: Path,
        domain_file: Path = DOMAIN_FILE,
        today: Callable[[], date] = date.today,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    ) -> None:
        self.directory = directory
        self.domain_file = domain_file
        self.today = today
        self.lock_timeout = lock_timeout
        self._baseline: tuple[Signature, Report] | None = None

    # -- paths and texts -------------------------------------------------------------

    def relative(self, path: Path | str) -> str:
        """`path` (absolute, or relative to the directory) as a publishable relative path."""
        candidate = Path(path)
        if candidate.is_absolute():
            try:
                candidate = candidate.relative_to(self.directory)
            except ValueError:
                raise KnowledgeError(f"{path}: not in the knowledge bank") from None
        relative = candidate.as_posix()
        if not PUBLISHABLE.fullmatch(relative):
            raise KnowledgeError(
                f"{relative}: not a knowledge file (topics/, offices/, associations/, events/, glossary/*.yml)"
            )
        return relative

    def read(self, relative: str) -> str | None:
        """The file's current text, None if it does not exist."""
        path = self.directory / self.relative(relative)
        return read_text(path) if path.exists() else None

    def _signature(self) -> Signature:
        entries: list[object] = [self.today()]
        rules = self.domain_file.parent / "data" / "rules" / "topics.yml"  # what check_data.report reads
        for path in sorted([*self.directory.rglob("*"), self.domain_file, rules]):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def _current_report(self) -> Report:
        """The report on the bank as it is on disk, cached until a file changes."""
        signature = self._signature()
        if self._baseline is None or self._baseline[0] != signature:
            self._baseline = (signature, report(self.directory, self.domain_file, self.today()))
        return self._baseline[1]

    def _readable(self, message: str) -> str:
        """Problems name files relative to the bank (topics/bankid.yml:12: …), as editors know them."""
        return message.replace(f"{self.directory}{os.sep}", "")

    # -- checking --------------------------------------------------------------------

    def _check(self, relative: str, text: str | None, unchanged: bool = False) -> tuple[Verdict, Report]:
        if text is not None and len(text.encode("utf-8")) > MAX_FILE_BYTES:
            problem = f"{relative}: a knowledge file may be at most {MAX_FILE_BYTES:,} bytes"
            return Verdict(refused=[problem]), Report(None)
        before = self._current_report()
        after = before if unchanged else report(self.directory, self.domain_file, self.today(), {relative: text})
        subjects = _subjects(relative, text, str(self.directory / relative))
        if after.bank is None or before.bank is None:
            # A bank that does not load is not served at all: nothing is published into one
            # (and the rules across files, such as the emergency rule, could not be checked).
            about_file = [p for p in after.problems if p.startswith(subjects)]
            refused, remaining = ([], about_file) if unchanged else (after.problems, [])
        else:
            known = set(before.problems)
            refused = [p for p in after.problems if p not in known]
            remaining = [p for p in after.problems if p in known and p.startswith(subjects)]
        old_warnings = set(before.warnings)
        warnings = [w for w in after.warnings if w not in old_warnings or w.startswith(subjects)]
        verdict = Verdict(
            refused=[self._readable(p) for p in refused],
            remaining=[self._readable(p) for p in remaining],
            warnings=[self._readable(w) for w in warnings],
        )
        return verdict, after

    def check(self, path: Path | str, text: str | None) -> Verdict:
        """What publishing `text` as the file at `path` (None: removing it) would do: the
        problems it would add (`refused`), and the problems and warnings about that file."""
        relative = self.relative(path)
        return self._check(relative, text, unchanged=text == self.read(relative))[0]

    # -- publishing ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """One change at a time per directory, across the gateway processes on this host."""
        handle = os.open(self.directory, os.O_RDONLY)
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise BusyError("another change is being saved; try again in a moment") from None
                    await asyncio.sleep(0.02)
            yield
        finally:
            os.close(handle)  # releases the lock

    async def publish(
        self,
        path: Path | str,
        text: str | None,
        *,
        expected: str,
        actor: str,
        summary: str,
        journal: Journal,
    ) -> Publication:
        """Check the change, record its revision and write it (in that order), or raise.

        `expected` is the fingerprint of the text the change was made on (`ABSENT` for a
        new file). Raises ConflictError, RefusedError (with the verdict), NotRecordedError,
        BusyError, or KnowledgeError if the file cannot be written.
        """
        relative = self.relative(path)
        target = self.directory / relative
        async with self._locked():
            before = await asyncio.to_thread(self.read, relative)
            if fingerprint(before) != expected:
                raise ConflictError(
                    f"{relative} was changed by someone else after you opened it; reload and redo your change"
                )
            if text == before:
                return Publication(relative, None, Verdict())
            verdict, after_report = await asyncio.to_thread(self._check, relative, text)
            if not verdict.ok:
                raise RefusedError(verdict)
            staged = await asyncio.to_thread(_stage, target, text) if text is not None else None
            revision = Revision(actor, relative, summary[:MAX_SUMMARY_CHARS], before, text)
            try:
                revision_id = await journal.record(revision)
            except BaseException as exc:
                if staged is not None:
                    staged.unlink(missing_ok=True)
                if isinstance(exc, Exception):
                    log.exception("revision of %s not recorded; the file is unchanged", relative)
                    message = f"{relative}: the change could not be recorded; nothing was changed"
                    raise NotRecordedError(message) from exc
                raise
            try:
                _apply(target, staged)  # no await between the commit and this: see the docstring
            except OSError as exc:
                if staged is not None:
                    staged.unlink(missing_ok=True)
                await _forget(journal, revision_id, relative)
                raise KnowledgeError(f"{relative}: cannot write the file: {exc}") from exc
            self._baseline = (self._signature(), after_report)
        log.info("knowledge: %s published %s (revision %d): %s", actor, relative, revision_id, revision.summary)
        return Publication(relative, revision_id, verdict)


def _subjects(relative: str, text: str | None, where: str) -> tuple[str, ...]:
    """The prefixes of check-data warnings about what the file defines."""
    prefixes = [f"{where}:"]
    folder = relative.partition("/")[0]
    if text is not None:
        with contextlib.suppress(KnowledgeError):
            if folder == "topics":
                topic = parse_text(text, Topic, where).id
                prefixes += [f"topic {topic}:", f"topic {topic}, "]  # and its overrides
            elif folder == "associations":
                prefixes.append(f"association {parse_text(text, Association, where).id}:")
            elif folder == "offices":
                entry = parse_text(text, MunicipalityOffices, where)
                prefixes += [f"offices {entry.municipality}:", *(f"office {o.id}:" for o in entry.offices)]
            elif folder == "events":
                prefixes.append(f"event {parse_text(text, Event, where).id}:")
            elif folder == "glossary":
                prefixes += [f"glossary word {e.id}:" for e in parse_text(text, Glossary, where).entries]
            else:
                prefixes.append("interest ")
    return tuple(prefixes)


def _stage(target: Path, text: str) -> Path:
    """Write `text` beside `target` and flush it to disk; the file to rename over it."""
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    staged = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; keep the mode the knowledge file had.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        staged.chmod(mode)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def _apply(target: Path, staged: Path | None) -> None:
    if staged is None:
        target.unlink()
    else:
        os.replace(staged, target)
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows it
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


async def _forget(journal: Journal, revision_id: int, relative: str) -> None:
    try:
        await journal.forget(revision_id)
    except Exception:  # the write error is the one to report
        log.exception("revision %d of %s was not written and could not be deleted", revision_id, relative)


def file_state(current: str | None, revision: Revision) -> str:
    """How the newest revision of a file relates to the file now: "current" (the file is
    its `after`), "not_applied" (the file is still its `before`: the write was interrupted)
    or "changed" (the file was changed outside the editor since, e.g. by git)."""
    if current == revision.after:
        return "current"
    if current == revision.before:
        return "not_applied"
    return "changed"

"""The knowledge bank as a running process sees it: reloaded when an editor saves a file.

A reload costs one `stat` per knowledge file on each read, which is cheap next to a chat
turn and means a saved change is live on the next question, with no retraining and no
restart. An edit that does not validate is rejected as a whole: the previous bank keeps
serving and the error is kept in `last_error` (and logged) for the editor pages.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from lotsen.knowledge.bank import KnowledgeBank, load_bank
from lotsen.knowledge.files import KnowledgeError

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class KnowledgeStore:
    """The current knowledge bank under `directory`, reloaded when its files change."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._signature: Signature | None = None
        self._bank = KnowledgeBank()
        self.last_error: str | None = None

    def _current_signature(self) -> Signature:
        entries = []
        for path in sorted(self.directory.rglob("*.yml")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((str(path.relative_to(self.directory)), stat.st_mtime_ns, stat.st_size))
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

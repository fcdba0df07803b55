"""The knowledge bank as the action server sees it: one store per process, reloaded when
an editor saves a file (see lotsen/knowledge/store.py).

The store is made on first use from the configured directory (`LOTSEN_KNOWLEDGE_DIR`), so
importing the actions reads no setting; actions that tests give their own store keep it.
"""

from __future__ import annotations

from functools import cache

from actions import config
from lotsen.knowledge import KnowledgeStore


@cache
def store() -> KnowledgeStore:
    """The process's store, for the bank under the configured knowledge directory."""
    return KnowledgeStore(config.settings().knowledge_dir)


_process_store = store  # for UsesKnowledge, whose `store` argument and property shadow the name


class UsesKnowledge:
    """Mixin for actions that read the bank: the process's store unless one is given.

    Not an `Action` itself, so rasa-sdk does not register it; the store is looked up when
    first read, not when rasa-sdk instantiates the action at start.
    """

    def __init__(self, store: KnowledgeStore | None = None) -> None:
        self._store = store

    @property
    def store(self) -> KnowledgeStore:
        return self._store if self._store is not None else _process_store()

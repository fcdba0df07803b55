"""Rasa's SQL tracker store, without reloading a conversation on every message.

Configured in endpoints.yml (`type: lotsen_rasa.tracker_store.CachedSQLTrackerStore`),
Rasa's documented way to plug in a tracker store; the table, the rows and the URL are
Rasa's own (`SQLTrackerStore`), so erasure, retention and a PostgreSQL deployment work
on it unchanged (docs/deploy.md).

Measured under `make bench` (reports/bench.md), Rasa 3.6's store spent a third of the
Rasa server's CPU per message on: opening a new SQLite connection for every query (its
engine uses SQLAlchemy 1.4's NullPool for SQLite files, and each connection repeats the
WAL pragmas), loading and replaying every event of the conversation on each message,
and counting them again before each save to know which ones are new.

Here each process keeps the trackers it saved last (an LRU of `cache_size`). A tracker
is served from memory only when (1) the newest event row of that conversation in the
database is still the one this process wrote, so another Rasa server, the gateway's
erasure or retention has not touched it, and (2) the tracker has exactly the events that
were saved, so a request that changed it without saving left nothing behind. Otherwise
it is loaded as Rasa loads it. A save of a tracker served that way writes the events
after the ones it knows are stored (the lock store keeps every other server off the
conversation meanwhile); any other tracker is saved the slow way, Rasa's own.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 256  # conversations; a returning one older than that is loaded once


@dataclass
class _Entry:
    tracker: DialogueStateTracker
    stored: int  # events of `tracker` that are in the database
    last_id: int | None  # the newest event row of this conversation when it was saved or loaded


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # One connection per thread, kept open (Rasa queries from its event loop thread).
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[str, _Entry] = OrderedDict()

    def _newest_id(self, connection: Any, sender_id: str) -> int | None:
        table = self.SQLEvent.__table__
        newest: int | None = connection.execute(
            sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)
        ).scalar()
        return newest

    def _remember(self, sender_id: str, entry: _Entry) -> None:
        self._cache[sender_id] = entry
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: from memory when the database agrees, else loaded."""
        entry = self._cache.get(sender_id)
        with self.engine.connect() as connection:
            newest = self._newest_id(connection, sender_id)
        if entry is not None and entry.last_id == newest and len(entry.tracker.events) == entry.stored:
            self._cache.move_to_end(sender_id)
            return entry.tracker
        self._cache.pop(sender_id, None)
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            with self.engine.connect() as connection:
                if self._newest_id(connection, sender_id) == newest:  # nothing written while loading
                    self._remember(sender_id, _Entry(tracker, len(tracker.events), newest))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        entry = self._cache.get(tracker.sender_id)
        if entry is not None and entry.tracker is tracker and self.event_broker is None:
            # This very object was served by `retrieve` after checking the database, and the
            # lock store keeps other servers off this conversation until the message is done.
            new = [
                self._row(tracker.sender_id, event) for event in itertools.islice(tracker.events, entry.stored, None)
            ]
            last_id = entry.last_id
            if new:
                with self.engine.begin() as connection:  # plain statements: the ORM's flush cost more
                    connection.execute(self.SQLEvent.__table__.insert(), new)
                    last_id = self._newest_id(connection, tracker.sender_id)
            self._remember(tracker.sender_id, _Entry(tracker, len(tracker.events), last_id))
            return
        # Not ours, or written by someone else since: Rasa's own save counts what is stored.
        self._cache.pop(tracker.sender_id, None)
        await super().save(tracker)
        with self.engine.connect() as connection:
            newest = self._newest_id(connection, tracker.sender_id)
        self._remember(tracker.sender_id, _Entry(tracker, len(tracker.events), newest))

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """One event's columns, as Rasa's own save writes them."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

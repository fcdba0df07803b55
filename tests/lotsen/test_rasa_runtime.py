"""What the Rasa server runs besides the model (issue 20): the cached SQL tracker store
writes the rows Rasa's own store writes and never serves a tracker the database has
moved past; the classifier's prepared weights give the numbers the plain product gives.

Runs in the Rasa environment, in a subprocess (tests/lotsen/test_encoder.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lotsen.test_encoder import run_in_rasa

TRACKER_STORE = r"""
import asyncio, json, sqlite3, sys
from pathlib import Path
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig
from lotsen_rasa.tracker_store import CachedSQLTrackerStore

tmp = Path(sys.argv[1])
domain = Domain.load("domain.yml")

def turn(tracker, text, intent):
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=1.0 + len(tracker.events)))
    tracker.update(ActionExecuted("action_answer", timestamp=2.0 + len(tracker.events)))
    tracker.update(BotUttered(f"svar på {text}", timestamp=3.0 + len(tracker.events)))
    tracker.update(ActionExecuted("action_listen", timestamp=4.0 + len(tracker.events)))

def rows(path, sender):
    with sqlite3.connect(path) as db:
        return [tuple(r) for r in db.execute(
            "SELECT type_name, timestamp, intent_name, action_name, data FROM events WHERE sender_id=? ORDER BY id",
            (sender,))]

def comparable(found):
    # The first action_listen is stamped with the clock when the tracker is created.
    return [(t, i, a, {k: v for k, v in json.loads(d).items() if k != "timestamp"}) for t, _, i, a, d in found]

async def conversation(store, sender):
    tracker = await store.get_or_create_tracker(sender, append_action_listen=True)
    for text, intent in (("hej", "greet"), ("bankid", "ask_bankid"), ("tack", "thanks")):
        tracker = await store.retrieve(sender)
        turn(tracker, text, intent)
        await store.save(tracker)
    return tracker

async def main():
    result = {}
    plain_path, cached_path = tmp / "plain.db", tmp / "cached.db"
    plain = SQLTrackerStore(domain, host=f"sqlite:///{plain_path}")
    # Loaded the way endpoints.yml loads it (Rasa falls back to memory on a bad type).
    cached = TrackerStore.create(
        EndpointConfig(type="lotsen_rasa.tracker_store.CachedSQLTrackerStore", url=f"sqlite:///{cached_path}"), domain
    )
    result["class"] = type(cached).__name__
    await conversation(plain, "anna")
    tracker = await conversation(cached, "anna")
    result["same_rows"] = comparable(rows(plain_path, "anna")) == comparable(rows(cached_path, "anna"))
    stamps = [[r[1] for r in rows(path, "anna")][1:] for path in (plain_path, cached_path)]
    result["same_stamps"] = stamps[0] == stamps[1]
    result["row_count"] = len(rows(cached_path, "anna"))

    # Served from memory while the database agrees: the same object, no reload.
    again = await cached.retrieve("anna")
    result["from_memory"] = again is tracker

    # Another Rasa server (another store on the same database) adds a turn: reloaded.
    other = CachedSQLTrackerStore(domain, host=f"sqlite:///{cached_path}")
    theirs = await other.retrieve("anna")
    turn(theirs, "skola", "ask_school")
    await other.save(theirs)
    reloaded = await cached.retrieve("anna")
    result["sees_other_server"] = reloaded is not tracker and reloaded.latest_message.text == "skola"

    # Changed in memory but never saved (a failed request): reloaded from the database.
    turn(reloaded, "glömt", "greet")
    fresh = await cached.retrieve("anna")
    result["unsaved_dropped"] = fresh.latest_message.text == "skola" and fresh is not reloaded

    # A save after a reload writes only the new events, once.
    turn(fresh, "bostad", "ask_housing")
    await cached.save(fresh)
    await cached.save(fresh)
    texts = [json.loads(r[4]).get("text") for r in rows(cached_path, "anna") if r[0] == "user"]
    result["texts"] = texts

    # Erased by the gateway (rows deleted in the database): gone here too.
    with sqlite3.connect(cached_path) as db:
        db.execute("DELETE FROM events WHERE sender_id = 'anna'")
    result["erased"] = await cached.retrieve("anna") is None

    # The cache is bounded.
    small = CachedSQLTrackerStore(domain, host=f"sqlite:///{tmp / 'small.db'}", cache_size=2)
    for sender in ("a", "b", "c"):
        await small.get_or_create_tracker(sender)
    result["bounded"] = list(small._cache) == ["b", "c"]
    print(json.dumps(result))

asyncio.run(main())
"""


def test_the_cached_tracker_store_agrees_with_the_database(tmp_path: Path) -> None:
    result = run_in_rasa(TRACKER_STORE, tmp_path)
    assert result["class"] == "CachedSQLTrackerStore"
    assert result["same_rows"] is True and result["same_stamps"] is True
    assert result["row_count"] == 13  # listen + 3 turns × 4
    assert result["from_memory"] is True
    assert result["sees_other_server"] is True
    assert result["unsaved_dropped"] is True
    assert result["texts"] == ["hej", "bankid", "tack", "skola", "bostad"]
    assert result["erased"] is True
    assert result["bounded"] is True


CLASSIFIER = r"""
import json
import numpy as np
from scipy import sparse
from lotsen_nlu.classifier import CascadeIntentClassifier, _softmax

rng = np.random.default_rng(3)
coefficients = rng.normal(size=(22, 5000)).astype(np.float32)
intercept = rng.normal(size=22).astype(np.float32)
features = sparse.random(4, 5000, density=0.01, format="csr", random_state=4, dtype=np.float64)
plain = _softmax(np.asarray(features @ coefficients.T + intercept, dtype=np.float64))
component = CascadeIntentClassifier.__new__(CascadeIntentClassifier)
component._prepared = {}
fast = component._probabilities(features, (coefficients, intercept))
fast_again = component._probabilities(features, (coefficients, intercept))
print(json.dumps({
    "largest_difference": float(np.abs(plain - fast).max()),
    "same_ranking": bool((np.argsort(-plain, axis=1) == np.argsort(-fast, axis=1)).all()),
    "repeatable": bool(np.array_equal(fast, fast_again)),
    "prepared_once": len(component._prepared) == 1,
    "float32": str(next(iter(component._prepared.values()))[1].dtype),
}))
"""


def test_prepared_weights_give_the_same_probabilities(tmp_path: Path) -> None:
    result = run_in_rasa(CLASSIFIER, tmp_path)
    assert float(result.pop("largest_difference")) < 1e-5  # type: ignore[arg-type]
    assert result == {"same_ranking": True, "repeatable": True, "prepared_once": True, "float32": "float32"}

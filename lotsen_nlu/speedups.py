"""Two changes that make the Rasa 3.6 server cheaper per message (measured with py-spy
under load; before/after figures in reports/bench.md).

1. Stop re-checking a constant JSON schema on every custom action call.

Rasa validates each action server response with `jsonschema.validate(result, spec)`,
which first validates the (constant) schema itself against the JSON Schema metaschema.
Profiling the Rasa server under load with py-spy showed that check alone taking ~64 % of
its CPU (reports/bench.md). This module, imported with Lotsen's custom components (so it
runs inside the Rasa process), replaces `jsonschema.validate` with an equivalent that
checks each distinct schema once and reuses its validator. Results and errors are the
same as jsonschema's own `validate` (same validator class, same `best_match` error).

2. Rasa's SQLite tracker store (the embedded default) then spent ~30 % of its time saving
and ~10 % committing. With write-ahead logging and `synchronous=NORMAL` a commit no longer
waits for a disk flush; after a power cut the newest dialogue turns of Rasa's context
could be lost, but never the conversation itself, which the gateway stores (with full
sync) before anything else. PostgreSQL trackers (issue 9) are unaffected.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import jsonschema
from jsonschema import exceptions, validators
from sqlalchemy import event
from sqlalchemy.engine import Engine

_lock = threading.Lock()
_validators: dict[str, Any] = {}
_original = jsonschema.validate


def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """`jsonschema.validate`, with the schema check and validator built once per schema."""
    if args or kwargs:
        _original(instance, schema, cls, *args, **kwargs)
        return
    key = json.dumps(schema, sort_keys=True, default=repr) + repr(cls)
    validator = _validators.get(key)
    if validator is None:
        with _lock:
            validator = _validators.get(key)
            if validator is None:
                validator_class = cls or validators.validator_for(schema)
                validator_class.check_schema(schema)
                validator = validator_class(schema)
                _validators[key] = validator
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def install() -> None:
    jsonschema.validate = validate
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)

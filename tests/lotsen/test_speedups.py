"""The Rasa-process speed-ups: cached schema validation behaves exactly like jsonschema's,
and SQLite tracker connections use write-ahead logging.

Runs in the Rasa environment (where jsonschema and Rasa live), on Rasa's own action
response schema, with valid and invalid responses."""

from __future__ import annotations

import subprocess

from lotsen.paths import RASA_VENV, ROOT

SCRIPT = r"""
import jsonschema
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from lotsen_nlu import speedups

spec = RemoteAction.action_response_format_spec()
cases = [
    {"events": [], "responses": [{"text": "hej"}]},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": [{"text": 5}]},
]

def outcome(validate, case):
    try:
        validate(case, spec)
        return "ok"
    except ValidationError as exc:
        return "error: " + exc.message

before = [outcome(jsonschema.validate, c) for c in cases]
speedups.install()
validator_class = jsonschema.validators.validator_for(spec)
original_check = validator_class.check_schema
calls = []
validator_class.check_schema = classmethod(lambda cls, schema: (calls.append(1), original_check(schema))[1])
after = [outcome(jsonschema.validate, c) for c in cases] + [outcome(jsonschema.validate, c) for c in cases]
assert jsonschema.validate is speedups.validate
assert after == before + before, (before, after)
assert len(speedups._validators) == 1
assert len(calls) == 1, calls  # the schema is checked once, not on every response
import sqlalchemy, tempfile, os
engine = sqlalchemy.create_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "tracker.db"))
with engine.connect() as connection:
    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
print("same", before)
"""


def test_cached_validation_matches_jsonschema_on_rasas_action_schema() -> None:
    done = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("same ['ok', \"error: 'not a list' is not of type 'array'\"")

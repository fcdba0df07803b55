"""The supervisor's log files: every line of every process masked, written under the log
directory, rotated at midnight and kept `LOTSEN_LOG_RETENTION_DAYS` days."""

from __future__ import annotations

import datetime
import os
import re
import sys
import time
from pathlib import Path

import pytest

from lotsen import stack as stack_module
from lotsen.privacy import MASK
from lotsen.settings import Settings
from lotsen.stack import DEFAULT_LOG_RETENTION_DAYS, ProcessLog, RetainedLogFile, Stack, StackConfig


def day(days_ago: int) -> str:
    return (datetime.date.today() - datetime.timedelta(days=days_ago)).isoformat()


def test_a_process_output_is_masked_in_its_log_file_whatever_way_it_was_printed(tmp_path: Path) -> None:
    stack = Stack(StackConfig(var_dir=tmp_path, model=tmp_path / "m.tar.gz"), log_dir=tmp_path / "logs")
    script = (
        "import sys, warnings\n"
        "print('user said 19900101-1234')\n"  # a print, not a log record
        "print('ring 070-123 45 67', file=sys.stderr)\n"
        "warnings.warn('anna@example.se')\n"
    )
    stack.start_one("child", [sys.executable, "-c", script], {"PATH": os.environ["PATH"]})
    stack.processes["child"].wait(timeout=30)
    stack.stop()
    lines = (tmp_path / "logs" / "child.log").read_text(encoding="utf-8").splitlines()
    text = "\n".join(lines)
    assert f"user said {MASK}" in text and f"ring {MASK}" in text and f"UserWarning: {MASK}" in text
    assert "1234" not in text and "45 67" not in text and "anna@" not in text
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line) for line in lines)  # each line with its time


def test_a_lines_own_timestamp_is_not_taken_for_a_phone_number(tmp_path: Path) -> None:
    log = ProcessLog("rasa", tmp_path, days=14, echo=False)
    log.write("2026-12-02 07:45:35 WARNING  rasa.core - user said 19900101-1234\n")
    log.write("\x1b[0m2026-12-02 07:45:36,123 INFO x - ring 070-123 45 67\n")
    log.close()
    text = (tmp_path / "rasa.log").read_text(encoding="utf-8")
    assert f" 2026-12-02 07:45:35 WARNING  rasa.core - user said {MASK}\n" in text
    assert f" \x1b[0m2026-12-02 07:45:36,123 INFO x - ring {MASK}\n" in text


def test_log_files_rotate_at_midnight_and_are_kept_so_many_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for days_ago in (30, 4, 3, 2):
        (tmp_path / f"gateway.log.{day(days_ago)}").write_text("old\n")
    (tmp_path / "gateway.log.notes").write_text("not a rotated log\n")
    log = ProcessLog("gateway", tmp_path, days=3, echo=False)
    # Files past the retention go at start already (a stack stopped for weeks keeps none).
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gateway.log",
        f"gateway.log.{day(3)}",
        f"gateway.log.{day(2)}",
        "gateway.log.notes",
    ]
    log.write("before midnight 19900101-1234\n")
    log.file.rolloverAt = int(time.time()) - 1  # midnight has passed: it is tomorrow
    monkeypatch.setattr(stack_module, "_today", lambda: datetime.date.today() + datetime.timedelta(days=1))
    log.write("after midnight\n")
    log.close()
    rotated = tmp_path / f"gateway.log.{day(1)}"
    assert rotated.read_text(encoding="utf-8").endswith(f" before midnight {MASK}\n")
    assert (tmp_path / "gateway.log").read_text(encoding="utf-8").endswith(" after midnight\n")
    # Rotating dropped the file that is now older than three days.
    assert not (tmp_path / f"gateway.log.{day(3)}").exists()
    assert (tmp_path / f"gateway.log.{day(2)}").exists() and (tmp_path / "gateway.log.notes").exists()


def test_a_quiet_process_log_still_rotates(tmp_path: Path) -> None:
    log = ProcessLog("actions", tmp_path, days=2, echo=False)
    log.write("one line\n")
    (tmp_path / f"actions.log.{day(5)}").write_text("old\n")
    log.file.rolloverAt = int(time.time()) - 1
    log.file.rotate_if_due()  # what the supervisor's loop calls every half second
    log.close()
    assert (tmp_path / f"actions.log.{day(1)}").read_text(encoding="utf-8").endswith(" one line\n")
    assert not (tmp_path / f"actions.log.{day(5)}").exists()


def test_retention_comes_from_the_settings(tmp_path: Path) -> None:
    settings = Settings.from_env({"LOTSEN_LOG_RETENTION_DAYS": "30", "LOTSEN_VAR_DIR": str(tmp_path)})
    assert StackConfig.from_settings(settings).log_retention_days == 30
    assert StackConfig().log_retention_days == DEFAULT_LOG_RETENTION_DAYS == 14
    assert RetainedLogFile(tmp_path / "x.log", 30).days == 30


def test_make_run_writes_under_var_logs_and_echoes(tmp_path: Path) -> None:
    stack = Stack(StackConfig(var_dir=tmp_path, model=tmp_path / "m.tar.gz"))
    assert stack.log_dir == tmp_path / "logs" and stack.echo
    tested = Stack(StackConfig(var_dir=tmp_path, model=tmp_path / "m.tar.gz"), log_dir=tmp_path / "t")
    assert tested.log_dir == tmp_path / "t" and not tested.echo

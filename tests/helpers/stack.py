"""Run the real three-process stack on free ports for integration tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from lotsen.office_hours import day_off
from lotsen.paths import KNOWLEDGE_DIR, ROOT
from lotsen.stack import Stack, StackConfig
from lotsen.train import ensure_model
from tests.helpers.chat import say_over_http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_config(tmp: Path) -> StackConfig:
    """Free ports, and a copy of the knowledge bank that tests may edit while it runs."""
    knowledge = tmp / "knowledge"
    if not knowledge.exists():
        shutil.copytree(KNOWLEDGE_DIR, knowledge)
    return StackConfig(
        extra_env={
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge),
            "LOTSEN_SECRET_KEY": "integration-tests-only",
            # Every test user comes from 127.0.0.1: one session starts many conversations and,
            # since the stack got faster (issue 20), the bench smoke run alone sends more than
            # the default 120 messages a minute from that one address.
            "LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR": "100000",
            "LOTSEN_ADDRESS_MESSAGES_PER_MINUTE": "100000",
        },
        gateway_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        gateway_host="127.0.0.1",
        var_dir=tmp / "var",
        model=ensure_model(),  # trains once if `make train` has not run
    )


def new_stack(tmp: Path) -> Stack:
    config = stack_config(tmp)
    config.var_dir.mkdir(parents=True, exist_ok=True)
    return Stack(config, log_dir=tmp / "logs")


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def health(stack: Stack) -> httpx.Response | None:
    try:
        return httpx.get(f"{stack.config.gateway_url}/healthz", timeout=5)
    except httpx.HTTPError:
        return None


def say(stack: Stack, sender: str, text: str, **metadata: str) -> dict[str, Any]:
    return say_over_http(stack.config.gateway_url, sender, text, metadata)


PASSWORD = "browser-test-password"


def create_staff(stack: Stack, username: str, name: str, municipalities: str = "linkoping") -> None:
    """A staff account in the running stack, made the way an admin would: `python -m bot.staff.accounts`
    (`make add-user`); it works for `municipalities` (comma-separated ids)."""
    env = {**os.environ, **stack.config.extra_env, "LOTSEN_VAR_DIR": str(stack.config.var_dir)}
    env["LOTSEN_NEW_PASSWORD"] = PASSWORD
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.staff.accounts",
            username,
            "--role",
            "staff",
            "--name",
            name,
            "--municipalities",
            municipalities,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


OPEN_ALL_DAY = "\n".join(f'      {day}: ["00:00-24:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))


@contextmanager
def office_open_all_day(stack: Stack) -> Iterator[None]:
    """Linköping's chat open around the clock (holidays still close it: then skip)."""
    if day_off(datetime.now(ZoneInfo("Europe/Stockholm")).date()):
        pytest.skip("today is a Swedish public holiday or eve: every office is closed, so no handoff")
    path = Path(stack.config.extra_env["LOTSEN_KNOWLEDGE_DIR"]) / "offices" / "linkoping.yml"
    original = path.read_text(encoding="utf-8")
    start = original.index("    chat_hours:\n")
    end = original.index("    unverified:", start)
    path.write_text(original[:start] + "    chat_hours:\n" + OPEN_ALL_DAY + "\n" + original[end:], encoding="utf-8")
    try:
        yield
    finally:
        path.write_text(original, encoding="utf-8")

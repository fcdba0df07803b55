"""`python -m lotsen.stack` (what `make run` starts) comes up healthy, starts a crashed
process again, and SIGTERM or Ctrl-C leaves no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from lotsen.paths import ROOT
from tests.helpers.stack import stack_config, wait_for

pytestmark = pytest.mark.integration


def children_of(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in result.stdout.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_run_prints_urls_and_a_signal_stops_all_three(tmp_path: Path, stop_signal: signal.Signals) -> None:
    config = stack_config(tmp_path)
    env = {
        **os.environ,
        "LOTSEN_PORT": str(config.gateway_port),
        "LOTSEN_RASA_PORT": str(config.rasa_port),
        "LOTSEN_ACTIONS_PORT": str(config.actions_port),
        "LOTSEN_HOST": "127.0.0.1",
        "LOTSEN_VAR_DIR": str(tmp_path / "var"),
    }
    output = open(tmp_path / "run.log", "w+b")  # noqa: SIM115
    # Started with SIGINT ignored, as a shell does for background jobs: Ctrl-C must still work.
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "lotsen.stack"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        wait_for(lambda: b"Lotsen is up" in (tmp_path / "run.log").read_bytes(), timeout=180, interval=1)
        log = (tmp_path / "run.log").read_text(errors="replace")
        assert f"http://localhost:{config.gateway_port}/" in log
        assert "LOTSEN_TELEGRAM_TOKEN" in log  # how to enable Telegram
        assert httpx.get(f"http://127.0.0.1:{config.gateway_port}/healthz", timeout=5).status_code == 200
        children = children_of(supervisor.pid)
        assert len(children) == 3

        # A crashed process is started again without anyone stepping in.
        actions = next(pid for pid in children if b"rasa_sdk" in Path(f"/proc/{pid}/cmdline").read_bytes())
        os.kill(actions, signal.SIGKILL)
        wait_for(lambda: b"actions stopped on its own" in (tmp_path / "run.log").read_bytes(), timeout=30)
        health = f"http://127.0.0.1:{config.actions_port}/health"
        wait_for(lambda: _answers(health), timeout=60)
        children = children_of(supervisor.pid)
        assert len(children) == 3 and actions not in children

        supervisor.send_signal(stop_signal)
        assert supervisor.wait(timeout=30) == 0
        wait_for(lambda: not any(alive(pid) for pid in children), timeout=15)
        assert (tmp_path / "var" / "rasa-tracker.db").exists()
        assert (tmp_path / "var" / "lotsen.db").exists()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        output.close()

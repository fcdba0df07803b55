"""One real stack for the whole integration session (Rasa takes ~15 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lotsen.stack import Stack
from tests.helpers.stack import health, new_stack, office_open_all_day, say, wait_for


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("stack")
    running = new_stack(tmp)
    # Gateway and actions first: Rasa's loading phase is then observable (see test_startup).
    running.start(only=("actions", "gateway"))
    wait_for(lambda: health(running) is not None, timeout=60)
    running.started_without_rasa = health(running)  # type: ignore[attr-defined]
    running.reply_without_rasa = say(running, "it-early", "Hur skaffar jag BankID?")  # type: ignore[attr-defined]
    running.start(only=("rasa",))
    try:
        running.wait_healthy(timeout=180)
        yield running
    finally:
        running.stop()
        for name in ("rasa", "actions", "gateway"):
            log = tmp / "logs" / f"{name}.log"
            if log.exists():
                print(f"--- {name} log (tail) ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))


@pytest.fixture
def office_open_now(stack: Stack) -> Iterator[None]:
    """Linköping's chat open around the clock for this test (holidays still close it)."""
    with office_open_all_day(stack):
        yield

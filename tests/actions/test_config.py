"""The action server reads its settings once, when an action first needs them, never at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actions import config
from actions.store import store
from lotsen.paths import ROOT
from lotsen.settings import SettingsError
from tests.actions.conftest import Configure


def test_the_default_language_is_read_from_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real, cached settings() instead of the test's
    monkeypatch.setenv("LOTSEN_DEFAULT_LANGUAGE", "uk")
    config.settings.cache_clear()
    try:
        assert config.default_language() == "uk"
        monkeypatch.setenv("LOTSEN_DEFAULT_LANGUAGE", "ar")
        assert config.default_language() == "uk"  # read once per process
    finally:
        config.settings.cache_clear()


def test_the_store_is_the_configured_knowledge_directory_made_once(configure: Configure, tmp_path: Path) -> None:
    configure(LOTSEN_KNOWLEDGE_DIR=str(tmp_path))
    assert store().directory == tmp_path
    assert store() is store()


def test_importing_and_registering_the_actions_reads_no_setting() -> None:
    """rasa-sdk imports every module and instantiates every action at start; a setting
    that cannot work must fail on the first action call, naming the variable, not there."""
    script = (
        "from rasa_sdk.executor import ActionExecutor\n"
        "executor = ActionExecutor()\n"
        "executor.register_package('actions')\n"
        "from actions.config import default_language\n"
        "try:\n"
        "    default_language()\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    environ = {"PATH": "/usr/bin:/bin", "LOTSEN_DEFAULT_LANGUAGE": "tlh"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{SettingsError.__name__} LOTSEN_DEFAULT_LANGUAGE='tlh'"), done.stdout

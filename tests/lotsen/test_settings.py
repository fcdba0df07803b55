"""One settings module for every process: defaults that work offline, and settings that
cannot work refused at start with the variable's name."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lotsen.paths import DATA_DIR, ROOT
from lotsen.settings import Settings, SettingsError


def test_defaults_work_from_a_fresh_clone() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8000 and settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.knowledge_dir == DATA_DIR / "knowledge"
    assert settings.database_url.startswith("sqlite+aiosqlite:///") and settings.database_url.endswith("lotsen.db")
    assert settings.default_language == "sv" and settings.handoff is True and not settings.several_gateways


def test_ports_shape_the_default_urls() -> None:
    settings = Settings.from_env({"LOTSEN_RASA_PORT": "6005", "LOTSEN_ACTIONS_PORT": "6055"})
    assert settings.rasa_url == "http://127.0.0.1:6005" and settings.actions_url == "http://127.0.0.1:6055"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"LOTSEN_PORT": "eighty"}, "LOTSEN_PORT"),
        ({"LOTSEN_RATE_LIMIT_MESSAGES": "0"}, "LOTSEN_RATE_LIMIT_MESSAGES"),
        ({"LOTSEN_HANDOFF": "maybe"}, "LOTSEN_HANDOFF"),
        ({"LOTSEN_DEFAULT_LANGUAGE": "de"}, "LOTSEN_DEFAULT_LANGUAGE"),
        ({"LOTSEN_DATABASE_URL": "mysql://x"}, "LOTSEN_DATABASE_URL"),
        ({"LOTSEN_TELEGRAM_WEBHOOK_URL": "https://x/telegram/webhook"}, "LOTSEN_TELEGRAM_WEBHOOK_URL"),
        ({"LOTSEN_REDIS_URL": "redis://127.0.0.1:6379/0"}, "LOTSEN_SECRET_KEY"),
        (
            {
                "LOTSEN_REDIS_URL": "redis://127.0.0.1:6379/0",
                "LOTSEN_SECRET_KEY": "k" * 32,
                "LOTSEN_TELEGRAM_TOKEN": "1:x",
                "LOTSEN_TELEGRAM_WEBHOOK_URL": "https://x/telegram/webhook",
            },
            "LOTSEN_TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_impossible_settings_name_the_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    assert str(refused.value).startswith(variable)


def test_several_gateways_with_every_shared_secret_start() -> None:
    settings = Settings.from_env(
        {
            "LOTSEN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "LOTSEN_SECRET_KEY": "k" * 32,
            "LOTSEN_TELEGRAM_TOKEN": "1:x",
            "LOTSEN_TELEGRAM_WEBHOOK_URL": "https://x/telegram/webhook",
            "LOTSEN_TELEGRAM_WEBHOOK_SECRET": "s" * 32,
        }
    )
    assert settings.several_gateways


def test_nothing_reads_the_environment_at_import_time(tmp_path: object) -> None:
    """Importing the gateway, the actions and the supervisor with a broken setting must
    not fail: settings are read when a process starts, not when a module is imported."""
    code = "import bot.app, bot.wiring, actions.knowledge, actions.offices, lotsen.stack, lotsen.check_data"
    env = {"LOTSEN_PORT": "not-a-number", "LOTSEN_KNOWLEDGE_DIR": "/nonexistent", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_gateway_refuses_to_start_with_the_variable_named() -> None:
    env = {"LOTSEN_REDIS_URL": "redis://127.0.0.1:6379/0", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "LOTSEN_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr

"""Gateway settings, read once from the environment (and `.env` if present).

Every setting has an offline default so `make run` works from a fresh clone; the
names are listed in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.config import Config
from starlette.datastructures import Secret

from lotsen.paths import ROOT, var_dir


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    rasa_url: str
    rasa_token: Secret
    actions_url: str
    database_url: str
    telegram_token: Secret | None
    default_language: str
    rasa_timeout: float
    startup_grace: float
    rate_limit_messages: int
    rate_limit_window: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env_file = ROOT / ".env"
        config = Config(env_file if env_file.exists() else None, environ=environ or os.environ)
        token = config("LOTSEN_TELEGRAM_TOKEN", cast=Secret, default=None)
        return cls(
            host=config("LOTSEN_HOST", default="0.0.0.0"),
            port=config("LOTSEN_PORT", cast=int, default=8000),
            rasa_url=config("LOTSEN_RASA_URL", default="http://127.0.0.1:5005").rstrip("/"),
            rasa_token=Secret(config("LOTSEN_RASA_TOKEN", default="")),
            actions_url=config("LOTSEN_ACTIONS_URL", default="http://127.0.0.1:5055").rstrip("/"),
            database_url=config("LOTSEN_DATABASE_URL", default=f"sqlite+aiosqlite:///{var_dir() / 'lotsen.db'}"),
            telegram_token=token if token and str(token) else None,
            default_language=config("LOTSEN_DEFAULT_LANGUAGE", default="sv"),
            rasa_timeout=config("LOTSEN_RASA_TIMEOUT", cast=float, default=20.0),
            startup_grace=config("LOTSEN_STARTUP_GRACE", cast=float, default=120.0),
            rate_limit_messages=config("LOTSEN_RATE_LIMIT_MESSAGES", cast=int, default=30),
            rate_limit_window=config("LOTSEN_RATE_LIMIT_WINDOW", cast=float, default=60.0),
        )

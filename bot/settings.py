"""Gateway settings, read once from the environment (and `.env` if present).

Every setting has an offline default so `make run` works from a fresh clone; the
names are listed in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import Secret

from lotsen.paths import KNOWLEDGE_DIR, ROOT, var_dir


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
    knowledge_dir: Path
    secret_key: Secret | None
    session_idle_minutes: int
    session_max_hours: int
    cookie_secure: bool
    console_language: str
    handoff: bool
    retention_days: int
    rasa_tracker_url: str | None
    telegram_webhook_url: str | None
    telegram_webhook_secret: Secret | None
    telegram_base_url: str | None
    claim_timeout_minutes: float
    redis_url: str | None  # several gateways share live console events through Redis

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env_file = ROOT / ".env"
        config = Config(env_file if env_file.exists() else None, environ=environ or os.environ)
        token = config("LOTSEN_TELEGRAM_TOKEN", cast=Secret, default=None)
        secret = config("LOTSEN_SECRET_KEY", cast=Secret, default=None)
        webhook_secret = config("LOTSEN_TELEGRAM_WEBHOOK_SECRET", cast=Secret, default=None)
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
            knowledge_dir=Path(config("LOTSEN_KNOWLEDGE_DIR", default=str(KNOWLEDGE_DIR))),
            secret_key=secret if secret and str(secret) else None,
            session_idle_minutes=config("LOTSEN_SESSION_IDLE_MINUTES", cast=int, default=60),
            session_max_hours=config("LOTSEN_SESSION_MAX_HOURS", cast=int, default=10),
            cookie_secure=config("LOTSEN_COOKIE_SECURE", cast=bool, default=False),
            console_language=config("LOTSEN_CONSOLE_LANGUAGE", default="sv"),
            handoff=config("LOTSEN_HANDOFF", cast=bool, default=True),
            retention_days=config("LOTSEN_RETENTION_DAYS", cast=int, default=30),
            rasa_tracker_url=config("LOTSEN_RASA_TRACKER_URL", default=None),
            telegram_webhook_url=config("LOTSEN_TELEGRAM_WEBHOOK_URL", default=None) or None,
            telegram_webhook_secret=webhook_secret if webhook_secret and str(webhook_secret) else None,
            telegram_base_url=config("LOTSEN_TELEGRAM_BASE_URL", default=None) or None,
            claim_timeout_minutes=config("LOTSEN_HANDOFF_CLAIM_MINUTES", cast=float, default=10.0),
            redis_url=config("LOTSEN_REDIS_URL", default=None) or None,
        )

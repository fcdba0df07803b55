"""Every `LOTSEN_*` setting, read once from the environment (and `.env`), typed and checked.

One module for all three processes: the gateway reads all of it, the action server its
default language and knowledge directory, the supervisor its ports. Nothing else reads
the environment for a Lotsen setting, and nothing reads it at import time.

Every setting has an offline default so `make run` works from a fresh clone; the names
are listed in `.env.example`. A value that cannot work — a port that is not a number, a
default language Lotsen does not speak, several gateways without a shared secret — stops
the process at start with the variable's name in the message.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import Secret

from lotsen.paths import DATA_DIR, ROOT

DATABASE_DRIVERS = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class SettingsError(ValueError):
    """A setting that cannot work; the message starts with the variable's name."""


def _secret(config: Config, name: str) -> Secret | None:
    value = config(name, default="")
    return Secret(value) if value else None


def _number(config: Config, name: str, cast: type[int] | type[float], default: float, minimum: float) -> float:
    raw = config(name, default=str(default))
    try:
        value = cast(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _flag(config: Config, name: str, default: bool) -> bool:
    raw = config(name, default="true" if default else "false").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}={raw!r} must be true or false")


def _origins(raw: str) -> tuple[str, ...]:
    """`https://www.linkoping.se, https://linkoping.se` → exact origins, checked for shape."""
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest:
            raise SettingsError(f"LOTSEN_WIDGET_ORIGINS: {origin!r} is not an origin like https://www.example.se")
    return origins


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    rasa_port: int
    actions_port: int
    rasa_url: str
    rasa_token: Secret
    actions_url: str
    var_dir: Path
    database_url: str
    telegram_token: Secret | None
    default_language: str
    rasa_timeout: float
    rasa_concurrency: int
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
    redis_url: str | None  # several gateways share live events, limits and leases through Redis
    widget_origins: tuple[str, ...]  # sites that may embed the chat; empty: any
    # Flood control beyond one conversation (docs/security.md): per client address …
    trusted_proxies: tuple[str, ...]  # peers whose X-Forwarded-For names the real client
    address_messages_per_minute: int
    address_new_conversations_per_hour: int
    address_handoffs_per_hour: int
    address_left_messages_per_hour: int
    # … and per office: people waiting at once, messages left in an hour
    office_queue_cap: int
    contact_head_start_minutes: float
    office_messages_per_hour: int
    log_retention_days: int
    # `make run-scaled` and `make bench --scaled`: the servers they create databases on
    scaled_postgres: str
    scaled_redis: str

    @property
    def several_gateways(self) -> bool:
        """Redis is what several gateways share; one gateway needs none."""
        return self.redis_url is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raise SettingsError naming the variable."""
        env_file = ROOT / ".env"
        config = Config(env_file if env_file.exists() and environ is None else None, environ=environ or os.environ)
        var = Path(config("LOTSEN_VAR_DIR", default=str(ROOT / "var")))
        port, rasa_port = (
            _number(config, "LOTSEN_PORT", int, 8000, 1),
            _number(config, "LOTSEN_RASA_PORT", int, 5005, 1),
        )
        actions_port = _number(config, "LOTSEN_ACTIONS_PORT", int, 5055, 1)
        settings = cls(
            host=config("LOTSEN_HOST", default="0.0.0.0"),
            port=int(port),
            rasa_port=int(rasa_port),
            actions_port=int(actions_port),
            rasa_url=config("LOTSEN_RASA_URL", default=f"http://127.0.0.1:{int(rasa_port)}").rstrip("/"),
            rasa_token=Secret(config("LOTSEN_RASA_TOKEN", default="")),
            actions_url=config("LOTSEN_ACTIONS_URL", default=f"http://127.0.0.1:{int(actions_port)}").rstrip("/"),
            var_dir=var,
            database_url=config("LOTSEN_DATABASE_URL", default=f"sqlite+aiosqlite:///{var / 'lotsen.db'}"),
            telegram_token=_secret(config, "LOTSEN_TELEGRAM_TOKEN"),
            default_language=config("LOTSEN_DEFAULT_LANGUAGE", default="sv"),
            rasa_timeout=_number(config, "LOTSEN_RASA_TIMEOUT", float, 20.0, 0.1),
            rasa_concurrency=int(_number(config, "LOTSEN_RASA_CONCURRENCY", int, 8, 1)),
            startup_grace=_number(config, "LOTSEN_STARTUP_GRACE", float, 120.0, 0),
            rate_limit_messages=int(_number(config, "LOTSEN_RATE_LIMIT_MESSAGES", int, 30, 1)),
            rate_limit_window=_number(config, "LOTSEN_RATE_LIMIT_WINDOW", float, 60.0, 0.1),
            knowledge_dir=Path(config("LOTSEN_KNOWLEDGE_DIR", default=str(DATA_DIR / "knowledge"))),
            secret_key=_secret(config, "LOTSEN_SECRET_KEY"),
            session_idle_minutes=int(_number(config, "LOTSEN_SESSION_IDLE_MINUTES", int, 60, 1)),
            session_max_hours=int(_number(config, "LOTSEN_SESSION_MAX_HOURS", int, 10, 1)),
            cookie_secure=_flag(config, "LOTSEN_COOKIE_SECURE", False),
            console_language=config("LOTSEN_CONSOLE_LANGUAGE", default="sv"),
            handoff=_flag(config, "LOTSEN_HANDOFF", True),
            retention_days=int(_number(config, "LOTSEN_RETENTION_DAYS", int, 30, 1)),
            rasa_tracker_url=config("LOTSEN_RASA_TRACKER_URL", default="") or None,
            telegram_webhook_url=config("LOTSEN_TELEGRAM_WEBHOOK_URL", default="") or None,
            telegram_webhook_secret=_secret(config, "LOTSEN_TELEGRAM_WEBHOOK_SECRET"),
            telegram_base_url=config("LOTSEN_TELEGRAM_BASE_URL", default="") or None,
            claim_timeout_minutes=_number(config, "LOTSEN_HANDOFF_CLAIM_MINUTES", float, 10.0, 0.1),
            redis_url=config("LOTSEN_REDIS_URL", default="") or None,
            widget_origins=_origins(config("LOTSEN_WIDGET_ORIGINS", default="")),
            trusted_proxies=tuple(
                part.strip() for part in config("LOTSEN_TRUSTED_PROXIES", default="").split(",") if part.strip()
            ),
            address_messages_per_minute=int(_number(config, "LOTSEN_ADDRESS_MESSAGES_PER_MINUTE", int, 120, 1)),
            address_new_conversations_per_hour=int(
                _number(config, "LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR", int, 60, 1)
            ),
            address_handoffs_per_hour=int(_number(config, "LOTSEN_ADDRESS_HANDOFFS_PER_HOUR", int, 10, 1)),
            address_left_messages_per_hour=int(_number(config, "LOTSEN_ADDRESS_LEFT_MESSAGES_PER_HOUR", int, 10, 1)),
            office_queue_cap=int(_number(config, "LOTSEN_OFFICE_QUEUE_CAP", int, 30, 1)),
            contact_head_start_minutes=_number(config, "LOTSEN_CONTACT_HEAD_START_MINUTES", float, 2.0, 0.0),
            office_messages_per_hour=int(_number(config, "LOTSEN_OFFICE_MESSAGES_PER_HOUR", int, 60, 1)),
            log_retention_days=int(_number(config, "LOTSEN_LOG_RETENTION_DAYS", int, 14, 1)),
            scaled_postgres=config("LOTSEN_POSTGRES", default="postgresql://127.0.0.1:5432"),
            scaled_redis=config("LOTSEN_REDIS", default="redis://127.0.0.1:6379"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that cannot work, naming the variable to set."""
        from lotsen.languages import supported_codes  # data, read only when checking

        if self.default_language not in supported_codes():
            raise SettingsError(
                f"LOTSEN_DEFAULT_LANGUAGE={self.default_language!r} is not one of {', '.join(supported_codes())}"
            )
        if not self.database_url.startswith(DATABASE_DRIVERS):
            raise SettingsError(f"LOTSEN_DATABASE_URL must start with one of {', '.join(DATABASE_DRIVERS)}")
        if self.telegram_webhook_url and self.telegram_token is None:
            raise SettingsError("LOTSEN_TELEGRAM_WEBHOOK_URL is set but LOTSEN_TELEGRAM_TOKEN is empty")
        if self.several_gateways and self.secret_key is None:
            raise SettingsError(
                "LOTSEN_SECRET_KEY must be set when LOTSEN_REDIS_URL is (several gateways must sign staff "
                "sessions with one key, or a sign-in on one is unknown to the others)"
            )
        if self.several_gateways and self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise SettingsError(
                "LOTSEN_TELEGRAM_WEBHOOK_SECRET must be set when several gateways (LOTSEN_REDIS_URL) take "
                "Telegram's webhook: each would otherwise invent its own and all but one answer 403"
            )

    def var_path(self, name: str) -> Path:
        """A file under the runtime directory, which is created on first use."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return self.var_dir / name


def settings_or_exit(environ: Mapping[str, str] | None = None) -> Settings:
    """For a process's entry point: the settings, or a one-line reason and exit status 2."""
    try:
        return Settings.from_env(environ)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

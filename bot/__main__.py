"""`python -m bot`: serve the gateway with uvicorn on LOTSEN_HOST:LOTSEN_PORT.

uvicorn's settings come from `bot/limits.py` (`server_settings`): the request head and
body limits, WebSocket messages capped at the chat API's 64 KiB and sent uncompressed,
and access lines without query strings. See that module for why each is set.
"""

from __future__ import annotations

import logging

import uvicorn
from starlette.applications import Starlette

from bot.app import create_app
from bot.limits import install_query_string_filter, server_settings
from lotsen.privacy import install_log_masking
from lotsen.settings import Settings, settings_or_exit


def server_config(app: Starlette, settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration for the gateway. Creating it configures uvicorn's logging,
    so the query-string filter goes on after."""
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="info", lifespan="on", **server_settings()
    )
    install_query_string_filter()
    return config


def main() -> None:
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Rasa's token travels in the query string.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = settings_or_exit()
    uvicorn.Server(server_config(create_app(settings), settings)).run()


if __name__ == "__main__":
    main()

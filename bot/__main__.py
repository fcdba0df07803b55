"""`python -m bot`: serve the gateway with uvicorn on LOTSEN_HOST:LOTSEN_PORT."""

from __future__ import annotations

import logging

import uvicorn

from bot.app import create_app
from lotsen.privacy import install_log_masking
from lotsen.settings import settings_or_exit


def main() -> None:
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Rasa's token travels in the query string.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = settings_or_exit()
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info", lifespan="on", ws="wsproto"
    )


if __name__ == "__main__":
    main()

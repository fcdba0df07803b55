"""The action server's settings, read from the environment once, on first use.

rasa-sdk imports every module of this package when it starts (and tests import them
without any environment), so nothing is read at import time: the first action that needs
a setting reads them all through `lotsen.settings`, the one place `LOTSEN_*` variables
are read, and the process keeps that answer.
"""

from __future__ import annotations

from functools import cache

from lotsen.settings import Settings


@cache
def settings() -> Settings:
    """Every setting, checked, as this process will use them until it restarts."""
    return Settings.from_env()


def default_language() -> str:
    """The language to answer in when a call names none we speak (a malformed call: the
    gateway always sends the conversation's language). The operator's, never a literal."""
    return settings().default_language

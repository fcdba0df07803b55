"""Masking personal data newcomers type, before anyone who does not need it sees it.

Personnummer and samordningsnummer, phone numbers and e-mail addresses are replaced by
a marker. Used by the editors' unanswered-questions feed (editors need the question,
not the person) and on every log record of the three processes (`install_log_masking`),
so a personnummer typed into the chat never reaches a log file.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "•••"

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)"),  # personnummer / samordningsnummer
    re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ()-]{6,}\d(?!\d)"),  # phone numbers
)


def mask_personal_data(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _mask_value(value: object) -> object:
    """A string masked; another object replaced by its masked text only if that differs
    (numbers stay numbers, so `%d` and formatters that unpack `args` keep working)."""
    if isinstance(value, str):
        return mask_personal_data(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    masked = mask_personal_data(text)
    return value if masked == text else masked


def _mask_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = mask_personal_data(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_value(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _mask_value(arg) for key, arg in record.args.items()}
    if record.exc_info:
        record.exc_text = mask_personal_data(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_personal_data(record.stack_info)


def install_log_masking() -> None:
    """Mask personal data in every log record this process creates, from any library.

    A log record factory rather than a handler filter: Rasa, rasa-sdk and uvicorn each
    configure their own handlers, some after start-up, and a factory covers them all.
    Idempotent.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "lotsen_masking", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _mask_record(record)
        return record

    factory.lotsen_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

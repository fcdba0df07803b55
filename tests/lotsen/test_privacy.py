"""Personal data is masked; the numbers newcomers need (112, 1177, 114 14) are not."""

from __future__ import annotations

import logging

import pytest

from lotsen.privacy import MASK, install_log_masking, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mitt personnummer är 19900101-1234", f"mitt personnummer är {MASK}"),
        ("900101-1234", MASK),
        ("199001011234", MASK),
        ("ring 070-123 45 67", f"ring {MASK}"),
        ("+46 70 123 45 67", MASK),
        ("skriv till amina.a@example.se", f"skriv till {MASK}"),
        ("ring 112 eller 1177", "ring 112 eller 1177"),
        ("Polisen 114 14", "Polisen 114 14"),
        ("BankID sedan 2026, Storgatan 12", "BankID sedan 2026, Storgatan 12"),
    ],
)
def test_masking(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


def test_log_records_from_any_logger_are_masked_including_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    previous = logging.getLogRecordFactory()
    try:
        install_log_masking()
        install_log_masking()  # idempotent: one layer of masking, not two
        logger = logging.getLogger("rasa.core.processor")  # any library's logger
        with caplog.at_level(logging.INFO):
            logger.info("user said %r", "mitt personnummer är 19900101-1234, ring 070-123 45 67")
            try:
                raise ValueError("bad input from anna@example.se")
            except ValueError:
                logger.exception("action failed for %s", "19900101-1234")
    finally:
        logging.setLogRecordFactory(previous)
    text = caplog.text
    assert "19900101-1234" not in text and "070-123 45 67" not in text and "anna@example.se" not in text
    assert "user said 'mitt personnummer är •••, ring •••'" in text
    assert "ValueError: bad input from •••" in text  # the traceback too
    assert "Traceback" in text


def test_masking_keeps_formatters_that_unpack_arguments_working() -> None:
    previous = logging.getLogRecordFactory()
    try:
        install_log_masking()
        record = logging.getLogger("uvicorn.access").makeRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s" %d',
            ("127.0.0.1:5", "GET", "/?q=070-1234567", 200),
            None,
        )
    finally:
        logging.setLogRecordFactory(previous)
    assert record.args == ("127.0.0.1:5", "GET", "/?q=•••", 200)  # still a tuple, numbers kept
    assert record.getMessage() == '127.0.0.1:5 - "GET /?q=•••" 200'

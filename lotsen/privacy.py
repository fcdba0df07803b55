"""Masking personal data newcomers type, before anyone who does not need it sees it.

Personnummer and samordningsnummer, phone numbers and e-mail addresses are replaced by
a marker. Used by the editors' unanswered-questions feed (editors need the question,
not the person) and on every log record of the three processes (`install_log_masking`),
so a personnummer typed into the chat never reaches a log file.

Masking runs on the event loop for every log record, so it must cost time in proportion
to the text, whatever the text is: a request for `/` followed by 32,768 letters once
froze the gateway for 6 s, because the e-mail pattern (`[\\w.+-]+@…`) started a scan at
every letter of a long run. Every pattern now starts a match only where a run starts
(a lookbehind that fails at once inside one), so each character is read a bounded
number of times (see `_PATTERNS`). A log message is moreover masked and kept only up to
`MAX_LOG_CHARS` (the rest is replaced by `…[n chars]`), so a huge message costs no more
than a 4 KB one.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from typing import Any, TextIO

MASK = "•••"

# A log record's message and each of its string arguments are kept up to this many
# characters; a traceback keeps its head and its tail (where the exception is).
MAX_LOG_CHARS = 4096
MAX_TRACEBACK_HEAD = 4096
MAX_TRACEBACK_TAIL = 12288

_DOMAIN = r"[\w-]+(?:\.[\w-]+)+"
_PATTERNS = (
    # E-mail. The old `[\w.+-]+@…` tried a match from every character of a run of word
    # characters, each reading to the end of the run: quadratic. A match now starts only
    # where a run starts (the lookbehind fails at once inside one), so each run is read
    # once. Addresses written one right after another ("a@b.se+c@d.se": the next run
    # starts where a domain ends) are matched as one chain, as the old pattern masked
    # them (a test compares both on random text). A domain's labels cannot contain "."
    # or "@", so its greedy match gives back at most one label's characters.
    re.compile(rf"(?<![\w.+-])[\w.+-]+@{_DOMAIN}(?:[\w.+-]+@{_DOMAIN})*"),
    # Personnummer / samordningsnummer, 6 or 8 digits (19…/20…), a separator or none, 4
    # digits: `(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)`, written to start with a digit
    # (re then skips to the next digit at C speed instead of trying the lookbehind at
    # every character: 7× faster on ordinary text). The lookbehind after that first
    # digit fails at once inside a run of digits, and the rest has a fixed length.
    re.compile(r"\d(?<!\d\d)(?:(?<=1)9\d{6}|(?<=2)0\d{6}|\d{5})[-+ ]?\d{4}(?!\d)"),
    # Phone numbers, `(?<![\w+])(?:\+|00)?\d[\d ()-]{6,}\d(?!\d)`, likewise written to
    # start with "+" or a digit. A start needs one after a character that is not a word
    # character; within a run of [\d ()-] the greedy match ends at the run's last digit,
    # so a run is matched in one go (only a start within 7 characters of that last digit
    # can fail, and there are at most a few of those).
    re.compile(r"[+\d](?<![\w+][+\d])(?:(?<=\+)\d|(?<=0)0\d|(?<=\d))[\d ()-]{6,}\d(?!\d)"),
)
# The patterns before they were made linear (tests check the new ones mask the same).
ORIGINAL_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)"),
    re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ()-]{6,}\d(?!\d)"),
)
# What a cut may split: part of an address, a number or an e-mail address. At a cut,
# up to this many such characters are dropped with what was cut off.
_SPLITTABLE = re.compile(r"[\w.+@() -]{0,64}")


def mask_personal_data(text: str) -> str:
    """`text` with every personnummer, phone number and e-mail address replaced by MASK.
    Linear in the length of `text` (tests/lotsen/test_privacy.py measures it)."""
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _cut_head(text: str, end: int) -> int:
    """Where to end a kept head at about `end` without keeping a piece of something split."""
    if 0 < end < len(text) and _SPLITTABLE.fullmatch(text[end - 1 : end + 1]):
        end -= len(_SPLITTABLE.match(text[max(0, end - 64) : end][::-1]).group())  # type: ignore[union-attr]
    return end


def _cut_tail(text: str, start: int) -> int:
    """Where to start a kept tail at about `start`, likewise."""
    if 0 < start < len(text) and _SPLITTABLE.fullmatch(text[start - 1 : start + 1]):
        start += len(_SPLITTABLE.match(text, start, start + 64).group())  # type: ignore[union-attr]
    return start


def mask_bounded(text: str, head: int = MAX_LOG_CHARS, tail: int = 0) -> str:
    """`text` masked, keeping at most its first `head` and last `tail` characters; what is
    left out becomes `…[n chars]`. Nothing split by a cut is kept (a piece of a number
    too short to be recognised could otherwise show)."""
    if len(text) <= head + tail:
        return mask_personal_data(text)
    end = _cut_head(text, head)
    start = _cut_tail(text, len(text) - tail) if tail else len(text)
    kept_tail = mask_personal_data(text[start:]) if tail else ""
    return f"{mask_personal_data(text[:end])}…[{start - end} chars]{kept_tail}"


def _mask_value(value: object) -> object:
    """A string masked; another object replaced by its masked text only if that differs
    (numbers stay numbers, so `%d` and formatters that unpack `args` keep working)."""
    if isinstance(value, str):
        return mask_bounded(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    masked = mask_bounded(text)
    return value if masked == text else masked


def _mask_record(record: logging.LogRecord) -> None:
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_value(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _mask_value(arg) for key, arg in record.args.items()}
    if isinstance(record.msg, str):
        if record.args and len(record.msg) > MAX_LOG_CHARS:
            # Cutting a format string could break it: format first (arguments masked).
            with contextlib.suppress(TypeError, ValueError, KeyError):
                record.msg, record.args = record.msg % record.args, ()
        record.msg = mask_bounded(record.msg)
    else:
        record.msg = _mask_value(record.msg)
    if record.exc_info:
        traceback_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = mask_bounded(traceback_text, MAX_TRACEBACK_HEAD, MAX_TRACEBACK_TAIL)
    if record.stack_info:
        record.stack_info = mask_bounded(record.stack_info, MAX_TRACEBACK_HEAD, MAX_TRACEBACK_TAIL)


def _install_warning_masking() -> None:
    """Warnings are printed by `warnings.showwarning`, not logged — Rasa prints the user's
    whole message that way (`rasa.shared.utils.io.raise_warning` for a message starting
    with "/" it cannot read) — so mask what they print too."""
    current = warnings.showwarning
    if getattr(current, "lotsen_masking", False):
        return

    def showwarning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        current(mask_bounded(str(message)), category, filename, lineno, file, line)

    showwarning.lotsen_masking = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


def install_log_masking() -> None:
    """Mask personal data in every log record this process creates, from any library,
    and in every warning it prints.

    A log record factory rather than a handler filter: Rasa, rasa-sdk and uvicorn each
    configure their own handlers, some after start-up, and a factory covers them all.
    Idempotent.
    """
    _install_warning_masking()
    current = logging.getLogRecordFactory()
    if getattr(current, "lotsen_masking", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _mask_record(record)
        return record

    factory.lotsen_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

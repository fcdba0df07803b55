"""Language detection: clear text is recognised, short or ambiguous text is not."""

from __future__ import annotations

import pytest

from bot.language import LanguageDetector
from lotsen.languages import languages


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(languages())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hur skaffar jag BankID?", "sv"),
        ("How do I get a bank account in Sweden?", "en"),
        ("كيف أحصل على الرقم الشخصي في السويد؟", "ar"),
        ("چطور می‌توانم شماره شخصی بگیرم؟", "fa"),
        ("Sidee ayaan ku heli karaa lambarka shakhsiga?", "so"),
        ("ከመይ ጌረ BankID ክረክብ እኽእል?", "ti"),
        ("Як мені отримати персональний номер?", "uk"),
        ("Как мне получить персональный номер?", "ru"),
    ],
)
def test_clear_sentences_are_recognised(detector: LanguageDetector, text: str, expected: str) -> None:
    detection = detector.detect(text)
    assert detection is not None
    assert detection.code == expected


@pytest.mark.parametrize("text", ["ok", "BankID", "112", "👍", "???", "hej"])
def test_short_or_ambiguous_text_is_not_guessed(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("förening sidee baan ugu biiraa", "so"),
        ("بدي اعرف عن vårdcentral وين", "ar"),
        ("akut tandvård где находится", "ru"),
        ("Skatteverket ኣበይ ኣሎ ንዝብል", "ti"),
    ],
)
def test_swedish_loanwords_do_not_decide_the_language(detector: LanguageDetector, text: str, expected: str) -> None:
    detection = detector.detect(text)
    assert detection is not None and detection.code == expected


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("Wie bekomme ich eine Wohnung in Stockholm?", "de"),
        ("Comment obtenir un numéro personnel en Suède?", "fr"),
        ("Merhaba, oturma izni nasıl alırım?", "tr"),
        ("我想申请瑞典的身份证", "zh"),
    ],
)
def test_unsupported_languages_are_named(detector: LanguageDetector, text: str, other: str) -> None:
    detection = detector.detect(text)
    assert detection is not None and detection.code is None and detection.other == other


def test_norwegian_is_answered_in_swedish(detector: LanguageDetector) -> None:
    detection = detector.detect("Hvordan får jeg et personnummer i Sverige?")
    assert detection is not None and detection.code == "sv"


def test_a_short_message_in_a_known_conversation_is_not_given_to_lingua(
    detector: LanguageDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It could not change the language (`next_language_state`), so it costs nothing."""
    asked: list[str] = []
    for script, built in list(detector._detectors.items()):

        class Counting:
            def __init__(self, inner: object) -> None:
                self.inner = inner

            def compute_language_confidence_values(self, text: str) -> object:
                asked.append(text)
                return self.inner.compute_language_confidence_values(text)  # type: ignore[attr-defined]

        monkeypatch.setitem(detector._detectors, script, Counting(built))
    long = detector.detect("jag behöver hjälp med bostad", known=True)  # enough words: still detected
    assert long is not None and long.code == "sv" and asked == ["jag behöver hjälp med bostad"]
    assert detector.detect("hjälp bostad", known=True) is None
    assert detector.detect("спасибо большое", known=True) is None
    assert len(asked) == 1
    detector.detect("hjälp bostad")  # a new conversation: the short message may decide
    assert asked[-1] == "hjälp bostad"
    unsupported = detector.detect("我想申请瑞典", known=True)  # a script no supported language uses
    assert unsupported is not None and unsupported.code is None


@pytest.mark.parametrize(
    "text",
    [
        'What does "Vi behöver en komplettering av din ansökan senast den 12 mars" mean in my letter?',
        "what does «beslut om avslag på din ansökan» mean for me",
        "Maxay ka dhigan tahay 'du kan överklaga beslutet inom tre veckor' warqaddayda?",
    ],
)
def test_quoted_swedish_does_not_make_the_question_swedish(detector: LanguageDetector, text: str) -> None:
    detection = detector.detect(text)
    assert detection is None or detection.code != "sv"


def test_a_quoted_word_alone_is_still_read() -> None:
    assert LanguageDetector.unquoted("«kallelse»") == "«kallelse»"
    assert LanguageDetector.unquoted("don't «kallelse» it's") == "don't   it's"

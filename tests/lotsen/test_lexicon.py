"""Folding and the emergency / language-name lexicon (data/lexicon/)."""

from __future__ import annotations

import pytest

from lotsen.paths import DATA_DIR
from lotsen_nlu.lexicon import Lexicon
from lotsen_nlu.normalize import fold


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load(DATA_DIR / "lexicon")


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Vårdcentralen", "vardcentralen"),
        ("می‌خواهم", "میخواهم"),  # with and without zero-width non-joiner
        ("كيف", "کیف"),  # Arabic kaf/yeh → Persian forms
        ("مُسَاعَدَة", "مساعده"),  # harakat and teh marbuta
        ("أين", "این"),  # hamza on alef
        ("ещё", "еще"),
        ("١١٧٧", "1177"),
        ("۱۱۲", "112"),
        ("мʼята", "м'ята"),
    ],
)
def test_fold_unifies_spelling_variants(variant: str, canonical: str) -> None:
    assert fold(variant) == fold(canonical)


def test_fold_keeps_ethiopic() -> None:
    assert fold("ሰላም") == "ሰላም"


def test_every_language_has_a_lexicon(lexicon: Lexicon) -> None:
    from lotsen.languages import supported_codes

    assert set(lexicon.emergency_terms) == set(supported_codes())
    for code, terms in lexicon.emergency_terms.items():
        assert len(terms) >= 20, code
        assert set(lexicon.language_names[code]) == set(supported_codes()), code


@pytest.mark.parametrize(
    "text",
    [
        "min pappa andas inte!!",
        "there is a fire in my apartment",
        "he is not breathing",
        "мой муж не дышит",
        "у сусіда пожежа",
    ],
)
def test_emergencies_are_caught(lexicon: Lexicon, text: str) -> None:
    assert lexicon.emergency_match(text) is not None


@pytest.mark.parametrize(
    "text",
    ["hur får jag bankid", "how do I get a job", "I was fired from my job", "у мене болить зуб", "جواز سفر مفقود"],
)
def test_ordinary_questions_are_not_emergencies(lexicon: Lexicon, text: str) -> None:
    assert lexicon.emergency_match(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("на русском пожалуйста", "ru"),
        ("English please", "en"),
        ("kan du prata arabiska", "ar"),
        ("بالعربي لو سمحت", "ar"),
        ("можна українською?", "uk"),
        ("in somali please", "so"),
        ("min vän talar dari", "fa"),
        ("ich will deutsch", None),
    ],
)
def test_language_names_in_any_language(lexicon: Lexicon, text: str, code: str | None) -> None:
    assert lexicon.language_in(text) == code

"""Supported languages, negotiation and text direction come from data + CLDR."""

from __future__ import annotations

import pytest

from lotsen.languages import languages, negotiate, supported_codes


def test_contract_language_codes() -> None:
    assert supported_codes() == ["sv", "en", "ar", "fa", "so", "ti", "uk", "ru"]


def test_right_to_left_languages() -> None:
    assert {code for code, lang in languages().items() if lang.direction == "rtl"} == {"ar", "fa"}


def test_dari_formats_with_fa_af() -> None:
    assert str(languages()["fa"].locale) == "fa_AF"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["sv-SE"], "sv"),
        (["fa-AF"], "fa"),
        (["so-SO"], "so"),
        (["ti-ER"], "ti"),
        (["uk_UA"], "uk"),
        (["de-DE", "en-US"], "en"),
        (["de-DE"], None),
        ([""], None),
        ([], None),
    ],
)
def test_negotiation(tags: list[str], expected: str | None) -> None:
    assert negotiate(tags) == expected

"""The staff phrasebook: complete catalogs in every language, and phrases filled from the
conversation in the person's language (CLDR dates, times, weekdays, opening hours)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from lotsen.knowledge.schema import Hours, Office
from lotsen.languages import supported_codes
from lotsen.paths import LOCALE_DIR, ROOT
from lotsen.phrasebook import (
    DOMAIN,
    GROUPS,
    PhraseContext,
    catalog,
    missing,
    phrase,
    phrases,
    placeholder_names,
    render,
)

WEEKDAYS_8_16 = Hours(**{day: ["08:00-16:00"] for day in ("mon", "tue", "wed", "thu", "fri")})
OFFICE = Office(
    id="test-kontaktcenter",
    name="Testby kontaktcenter",
    phone="010-123 45 67",
    address="Storgatan 1, Testby",
    url="https://www.testby.se/",  # type: ignore[arg-type]
    visit_hours=WEEKDAYS_8_16,
    phone_hours=Hours(mon=["09:00-12:00"], tue=["09:00-12:00"], thu=["13:00-15:00"]),
)
# 13:30 UTC on Thursday 3 December 2026 is 14:30 in Stockholm (winter time).
WHEN = datetime(2026, 12, 3, 13, 30, tzinfo=timezone.utc)
FULL = PhraseContext(staff_name="Sara", office=OFFICE, when=WHEN)

# What CLDR writes for that moment, per language: medium date, short time, weekday
# (\u202f is the narrow no-break space CLDR puts before some abbreviations).
EXPECTED = {
    "sv": ("3 dec. 2026", "14:30", "torsdag"),
    "en": ("3 Dec 2026", "14:30", "Thursday"),
    "ar": ("03\u200f/12\u200f/2026", "2:30 م", "الخميس"),
    "fa": ("3 دسم 2026", "14:30", "پنجشنبه"),
    "so": ("03-Dis-2026", "2:30\u202fGD", "Khamiis"),
    "ti": ("ታሕ 3, 2026", "2:30 ድ.ቀ.", "ሓሙስ"),
    "uk": ("3 груд. 2026\u202fр.", "14:30", "четвер"),
    "ru": ("3 дек. 2026\u202fг.", "14:30", "четверг"),
}


def po_catalog(language: str) -> Catalog:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as f:
        return read_po(f, locale=language)


def test_every_language_has_its_expectations() -> None:
    assert sorted(EXPECTED) == sorted(supported_codes())


def test_about_thirty_phrases_with_unique_ids_in_known_groups() -> None:
    ids = [found.id for found in phrases()]
    assert 25 <= len(ids) <= 35
    assert len(set(ids)) == len(ids)
    assert {found.group for found in phrases()} == set(GROUPS)
    groups = [found.group for found in phrases()]
    assert groups == sorted(groups, key=GROUPS.index), "phrases() must list the picker's groups in order"


def test_placeholders_are_derived_from_the_source() -> None:
    found = phrase("call_interpreter_time")
    assert found.placeholders == frozenset({"date", "time"})
    assert placeholder_names("{b} and {a}, {b}") == ["b", "a"]


@pytest.mark.parametrize("language", supported_codes())
def test_catalog_translates_every_phrase_with_the_same_placeholders(language: str) -> None:
    po = po_catalog(language)
    assert not po.fuzzy, f"{language}: the catalog header is marked fuzzy"
    for found in phrases():
        message = po.get(found.source)
        assert message is not None and message.string, f"{language}: untranslated {found.id!r}"
        assert "fuzzy" not in message.flags, f"{language}: fuzzy {found.id!r}"
        assert set(placeholder_names(str(message.string))) == found.placeholders, f"{language}: {found.id!r}"


@pytest.mark.parametrize("language", supported_codes())
def test_compiled_catalog_serves_the_po_translations(language: str) -> None:
    """The .mo that render() loads matches the .po (`make translations` was run)."""
    po = po_catalog(language)
    for found in phrases():
        assert catalog(language).gettext(found.source) == po[found.source].string


def test_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    """Fails when a phrase was added or reworded but `make extract-messages` was not run."""
    fresh = tmp_path / "fresh.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "--no-default-keywords", "-k", "P_", "--no-location",
         "-o", str(fresh), str(ROOT / "lotsen" / "phrasebook.py")]
    )  # fmt: skip
    with open(fresh, "rb") as f:
        extracted = sorted(m.id for m in read_po(f) if m.id)
    with open(LOCALE_DIR / f"{DOMAIN}.pot", "rb") as f:
        template = sorted(m.id for m in read_po(f) if m.id)
    assert extracted == template == sorted(found.source for found in phrases())


def test_phrases_stay_out_of_the_messages_domain() -> None:
    with open(LOCALE_DIR / "messages.pot", "rb") as f:
        messages = {m.id for m in read_po(f) if m.id}
    assert not messages & {found.source for found in phrases()}


@pytest.mark.parametrize("language", supported_codes())
def test_every_phrase_renders_filled_in_every_language(language: str) -> None:
    for found in phrases():
        text = render(found.id, language, FULL)
        assert "{" not in text and "}" not in text, f"{language}: {found.id!r} left a placeholder: {text}"
        if "office" in found.placeholders:
            assert OFFICE.name in text
        if language != "en":
            assert text != found.source, f"{language}: {found.id!r} is still English"


@pytest.mark.parametrize("language", supported_codes())
def test_appointment_is_written_in_the_language_and_in_stockholm_time(language: str) -> None:
    day, time, weekday = EXPECTED[language]
    text = render("appointment", language, FULL)
    assert OFFICE.name in text
    assert day in text
    assert time in text
    assert weekday in text


def test_the_day_is_the_day_in_stockholm() -> None:
    """23:30 UTC on Wednesday is already Thursday in Stockholm."""
    late = PhraseContext(office=OFFICE, when=datetime(2026, 12, 2, 23, 30, tzinfo=timezone.utc))
    assert render("appointment", "sv", late).endswith("torsdag den 3 dec. 2026 klockan 00:30.")


def test_hours_are_described_in_the_language_and_joined() -> None:
    assert "mån–fre 08:00–16:00" in render("visit_us", "sv", FULL)
    assert "Mon–Tue 09:00–12:00; Thu 13:00–15:00" in render("call_us", "en", FULL)
    assert "Storgatan 1, Testby" in render("visit_us", "ru", FULL)
    assert OFFICE.phone is not None and OFFICE.phone in render("call_us", "ti", FULL)


def test_greeting_names_the_staff_member() -> None:
    assert render("greeting", "so", PhraseContext(staff_name="Sara")).count("Sara") == 1


def test_url_from_the_context_wins_over_the_offices() -> None:
    assert render("book_time", "ar", PhraseContext(office=OFFICE)).endswith("https://www.testby.se/")
    own = PhraseContext(office=OFFICE, url="https://boka.testby.se/tid")
    assert render("book_time", "ar", own).endswith("https://boka.testby.se/tid")


def test_missing_names_what_an_empty_context_lacks() -> None:
    empty = PhraseContext()
    assert missing("appointment", empty) == ["office", "weekday", "date", "time"]
    assert missing("greeting", empty) == ["staff"]
    assert missing("visit_us", empty) == ["address", "visit_hours"]
    assert missing("book_time", empty) == ["url"]
    assert missing("looking_into_it", empty) == []


def test_missing_sees_blank_and_absent_office_facts() -> None:
    no_phone_hours = OFFICE.model_copy(update={"phone_hours": None})
    assert missing("call_us", PhraseContext(office=no_phone_hours)) == ["phone_hours"]
    assert missing("call_us", PhraseContext(office=OFFICE)) == []
    assert missing("greeting", PhraseContext(staff_name="  ")) == ["staff"]
    assert missing("visit_us", PhraseContext(office=OFFICE.model_copy(update={"visit_hours": Hours()}))) == [
        "visit_hours"
    ]


def test_render_refuses_a_phrase_it_cannot_fill() -> None:
    with pytest.raises(ValueError, match=r"time") as raised:
        render("call_interpreter_time", "sv", PhraseContext(office=OFFICE))
    assert "date" in str(raised.value)


@pytest.mark.parametrize(
    "call",
    [phrase, lambda phrase_id: missing(phrase_id, FULL), lambda phrase_id: render(phrase_id, "sv", FULL)],
    ids=["phrase", "missing", "render"],
)
def test_unknown_phrase_is_a_key_error(call: Callable[[str], object]) -> None:
    with pytest.raises(KeyError):
        call("no_such_phrase")


def test_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'de'"):
        render("how_can_i_help", "de", FULL)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        PhraseContext(when=datetime(2026, 12, 3, 14, 30))

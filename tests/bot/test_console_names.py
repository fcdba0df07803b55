"""What the console calls things: Stockholm times with the zone named (winter and summer,
around the change), button presses by the title of the button that sent them, intents and
confidences, callback windows."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.console import names, payloads, times
from bot.db import Message
from lotsen import protocol

WINTER = datetime(2026, 1, 15, 13, 5, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 15, 12, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (WINTER, "14:05 CET"),  # UTC+1
        (SUMMER, "14:05 CEST"),  # UTC+2
        (datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), "01:59 CET"),  # a minute before the change
        (datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc), "03:00 CEST"),  # the clocks went forward
        (datetime(2026, 1, 15, 13, 5), "14:05 CET"),  # naive, as SQLite returns it: UTC
    ],
)
def test_times_are_stockholm_time_with_the_zone_named(moment: datetime, expected: str) -> None:
    assert times.clock(moment, "sv") == expected
    assert times.clock(moment, "en") == expected  # CLDR has no English short name: the tz abbreviation


def test_dates_are_in_the_console_language() -> None:
    assert times.when(WINTER, "sv") == "15 jan. 2026 14:05 CET"
    assert times.when(SUMMER, "sv") == "15 juli 2026 14:05 CEST"
    late = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)  # already next year in Stockholm
    assert times.when(late, "sv") == "1 jan. 2027 00:30 CET"


def test_a_stamp_names_the_date_unless_it_is_today_in_stockholm() -> None:
    assert times.stamp(WINTER, "sv", now=datetime(2026, 1, 15, 22, 59, tzinfo=timezone.utc)) == "14:05 CET"
    assert times.stamp(WINTER, "sv", now=datetime(2026, 1, 15, 23, 1, tzinfo=timezone.utc)).startswith("15 jan.")


def message(author: str, text: str, buttons: list[dict[str, str]] | None = None) -> Message:
    return Message(author=author, text=text, buttons=buttons)


def test_a_press_shows_the_title_of_the_latest_button_that_sent_it() -> None:
    old = message("bot", "Talk to someone?", [{"title": "Old title", "payload": "/human"}])
    notice = message("system", "You are number 1.", [{"title": "Stop waiting", "payload": "/stop_waiting"}])
    new = message("bot", "Still want a person?", [{"title": "Yes, a person", "payload": "/human"}])
    earlier = [old, notice, message("user", "/human"), new]
    press = payloads.press(message("user", "/human"), earlier, "sv")
    assert press == payloads.Press("Yes, a person", "Bad om en människa")
    stop = payloads.press(message("user", "/stop_waiting"), earlier, "sv")
    assert stop == payloads.Press("Stop waiting", "Slutade vänta")


def test_a_press_matches_its_button_whatever_the_key_order_or_spacing() -> None:
    offered = protocol.payload("human", municipality="linkoping", anyway="yes")
    earlier = [message("bot", "…", [{"title": "Wait anyway", "payload": offered}])]
    typed = '/human{ "municipality": "linkoping", "anyway": "yes" }'
    assert payloads.press(message("user", typed), earlier, "sv") == payloads.Press("Wait anyway", "Bad om en människa")
    other = '/human{"municipality":"bastad"}'  # another payload of the same command: not that button
    assert payloads.press(message("user", other), earlier, "sv") == payloads.Press(None, "Bad om en människa")


def test_only_bot_and_system_buttons_count_and_text_is_no_press() -> None:
    staff = message("staff", "…", [{"title": "Forged", "payload": "/forget"}])
    forget = payloads.press(message("user", "/forget"), [staff], "sv")
    assert forget == payloads.Press(None, "Bad om att radera samtalet")
    assert payloads.press(message("user", "Hur får jag BankID?"), [], "sv") is None
    assert payloads.press(message("user", "/human{not json"), [], "sv") is None  # text, as the pipeline read it
    assert payloads.press(message("bot", "/human"), [], "sv") is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (protocol.language_choice("ti"), "Valde språk: Tigrinja"),
        (protocol.municipality_choice("bastad"), "Valde kommun: Båstad"),
        (
            '/callback_window{"window":"2026-12-03_am"}',
            "Valde tid för att bli uppringd: torsdag 3 dec. 2026, förmiddag",
        ),
        ('/callback_window{"window":"any"}', "Valde tid för att bli uppringd: när som helst"),
        ("/ask_bankid", "Valde ämnet: BankID"),
        ("/something_new", "Kommando: something_new"),
    ],
)
def test_commands_are_named_in_the_console_language(payload: str, expected: str) -> None:
    parsed = protocol.parse_payload(payload)
    assert parsed is not None
    assert payloads.command_name(parsed, "sv") == expected


def test_intents_and_confidence_are_named() -> None:
    assert names.intent("ask_housing_queue", "sv") == "Bostadskö"
    assert names.intent("greet", "sv") == "Hälsning"
    assert names.intent("ask_brand_new_topic", "sv") == "ask_brand_new_topic"  # shown, not hidden
    assert names.intent(None, "sv") == "—"
    assert names.confidence(0.873, "sv").replace("\xa0", " ") == "87 %"
    assert names.confidence(None, "sv") == "—"


def test_callback_windows_in_words() -> None:
    assert names.window("2026-12-03 afternoon", "sv") == "torsdag 3 dec. 2026, eftermiddag"
    assert names.window(None, "sv") == "när som helst"
    assert names.window("garbage", "sv") == "garbage"
    assert times.day(date(2026, 12, 3), "sv") == "3 dec. 2026"

"""Local events: soonest first, gone once over, always in Swedish time, described in the
user's language with Babel's dates."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from lotsen.knowledge import KnowledgeError, load_bank
from lotsen.knowledge.events import STOCKHOLM, Event, upcoming, when


def event(event_id: str, starts: str, ends: str | None = None, **fields: object) -> Event:
    return Event.model_validate(
        {
            "id": event_id,
            "title": {"sv": event_id, "en": event_id},
            "description": {"sv": "Välkommen!", "en": "Welcome!"},
            "starts": starts,
            "ends": ends,
            "place": "Stadsbiblioteket",
            "municipality": fields.pop("municipality", "linkoping"),
            "languages": ["sv", "ar"],
            **fields,
        }
    )


def test_times_are_swedish_local_time_and_offsets_are_converted() -> None:
    winter = event("a", "2026-12-10 18:00")
    assert winter.starts.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    summer = event("b", "2027-06-10T18:00:00+00:00")
    assert summer.starts.hour == 20 and summer.starts.tzinfo == STOCKHOLM  # UTC 18:00 is 20:00 in summer
    with pytest.raises(ValueError, match="ends must be after starts"):
        event("c", "2026-12-10 18:00", "2026-12-10 17:00")


def test_upcoming_events_soonest_first_and_past_ones_drop_out() -> None:
    events = [
        event("theme-week", "2026-12-14 09:00", "2026-12-18 16:00", topics=["ask_school"]),
        event("info-evening", "2026-12-03 18:00"),  # no end: over two hours after it starts
        event("last-week", "2026-11-25 18:00", "2026-11-25 20:00"),
        event("in-bastad", "2026-12-05 18:00", municipality="bastad"),
    ]
    # 2026-12-03 19:30 in Stockholm is 18:30 UTC: the evening is still on.
    during = datetime(2026, 12, 3, 18, 30, tzinfo=timezone.utc)
    assert [e.id for e in upcoming(events, "linkoping", during)] == ["info-evening", "theme-week"]
    later = datetime(2026, 12, 3, 19, 0, tzinfo=timezone.utc)  # 20:00 in Stockholm: it has ended
    assert [e.id for e in upcoming(events, "linkoping", later)] == ["theme-week"]
    assert [e.id for e in upcoming(events, "linkoping", later, topic="ask_school")] == ["theme-week"]
    assert [e.id for e in upcoming(events, "linkoping", later, topic="ask_work")] == []
    assert [e.id for e in upcoming(events, "bastad", later)] == ["in-bastad"]


def test_dates_are_written_in_the_users_language() -> None:
    evening = event("x", "2026-12-10 18:00", "2026-12-10 20:00")
    assert when(evening, "sv") == "torsdag 10 december 2026, 18:00–20:00"
    assert when(evening, "en") == "Thursday, 10 December 2026, 18:00–20:00"
    assert "грудня" in when(evening, "uk") and "декабря" in when(evening, "ru")
    assert "2026" in when(evening, "ar") or "٢٠٢٦" in when(evening, "ar")


def test_an_event_must_name_an_association_and_topics_that_exist(knowledge_dir: Path) -> None:
    folder = knowledge_dir / "events"
    folder.mkdir(exist_ok=True)
    (folder / "evening.yml").write_text(
        "id: evening\n"
        "title: {sv: Informationskväll}\n"
        "description: {sv: Tio föreningar berättar.}\n"
        "starts: 2026-12-10 18:00\n"
        "place: Medborgarhuset\n"
        "municipality: upplands-vasby\n"
        "languages: [sv]\n"
        "topics: [ask_nothing]\n"
        "association: no-such-group\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as raised:
        load_bank(knowledge_dir)
    assert "unknown association 'no-such-group'" in str(raised.value)
    assert "unknown topic(s) ask_nothing" in str(raised.value)

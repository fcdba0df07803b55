"""Statistics (`/console/statistics` and its CSV): exact weekly numbers in Stockholm time
on a small seeded database (SQLite, and PostgreSQL when it runs), the privacy rule
wherever a number is shown, frozen weeks that outlive retention, charts that need no
script, and who may see which municipality."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete
from starlette.testclient import TestClient

from bot.app import create_app
from bot.db import Conversation, Database, Feedback, Handoff, Message, Ticket, utcnow
from bot.statistics import charts, privacy, rollup
from bot.statistics import routes as statistics
from bot.statistics.export import COLUMNS
from bot.statistics.measures import Count, Share, Spread, percentile
from bot.statistics.privacy import Cell
from bot.statistics.queries import Tallies, collect
from bot.statistics.report import build
from bot.statistics.weeks import Week, last_weeks, week_of
from lotsen.settings import Settings
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.services import POSTGRES_ADMIN_URL, fresh_database
from tests.helpers.staff import add_account, staff_client

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = timezone.utc
# A Thursday in ISO week 14 of 2026; week 13 holds the change to summer time (29 March).
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
W12, W13, W14 = 0, 1, 2  # positions in last_weeks(NOW, 3)
SECRET_TEXT = "Mitt personnummer är 19900101-1234"
SHOWN = re.compile(r"^(<5|\d+|\d+\.\d+)$")


def stockholm(moment: str) -> datetime:
    """ "2026-03-24 10:00" on a Stockholm wall clock, as UTC."""
    return datetime.fromisoformat(moment).replace(tzinfo=STOCKHOLM).astimezone(UTC)


@dataclass
class Seed:
    """Rows as the gateway stores them, with chosen times; `add` writes them."""

    rows: list[Any] = field(default_factory=list)
    conversations: int = 0

    def conversation(self, at: datetime, municipality: str | None, language: str = "sv", channel: str = "web") -> int:
        self.conversations += 1
        number = self.conversations
        self.rows.append(
            Conversation(
                id=number,
                channel=channel,
                sender=f"avsandare-{number}",
                language=language,
                municipality=municipality,
                mode="bot",
                created_at=at,
                updated_at=at,
                last_message_at=at,
            )
        )
        return number

    def message(self, conversation: int, at: datetime, author: str, **fields: Any) -> None:
        self.rows.append(
            Message(conversation_id=conversation, author=author, text=SECRET_TEXT, created_at=at, **fields)
        )

    def handoff(self, conversation: int, municipality: str, at: datetime, status: str, wait: float | None) -> None:
        claimed = at + timedelta(minutes=wait) if wait is not None else None
        self.rows.append(
            Handoff(
                conversation_id=conversation,
                municipality=municipality,
                office_id="office",
                reason="asked",
                status=status,
                requested_at=at,
                claimed_at=claimed,
            )
        )

    def ticket(self, conversation: int, municipality: str, kind: str, at: datetime, done: datetime | None) -> None:
        self.rows.append(
            Ticket(
                conversation_id=conversation,
                municipality=municipality,
                kind=kind,
                text=SECRET_TEXT,
                phone="+46701234567" if kind == "callback" else None,
                status="done" if done else "open",
                created_at=at,
                done_at=done,
            )
        )

    async def add(self, db: Database) -> None:
        async with db.sessions() as session:
            session.add_all(row for row in self.rows if isinstance(row, Conversation))
            await session.flush()
            session.add_all(row for row in self.rows if not isinstance(row, Conversation))
            await session.commit()


def linkoping_week_13(seed: Seed, day: datetime) -> list[int]:
    """Twelve conversations in Linköping in one week (see each line for what the test
    expects of it); returns their ids."""
    languages = ["ar"] * 6 + ["sv"] * 5 + ["ti"]
    channels = ["web"] * 7 + ["telegram"] * 5
    ids = [
        seed.conversation(day, "linkoping", lang, channel) for lang, channel in zip(languages, channels, strict=True)
    ]
    for i, conversation in enumerate(ids):
        first = "not_understood" if i < 6 else "out_of_scope" if i < 9 else None
        seed.message(conversation, day, "user", unanswered=first, intent="ask_bankid", confidence=0.4)
        seed.message(conversation, day + timedelta(minutes=1), "user")  # 24 user messages in all
        topic = "ask_bankid" if i < 5 else "ask_sfi" if i < 7 else None
        seed.message(conversation, day + timedelta(minutes=2), "bot", topic=topic)
    seed.message(ids[0], day + timedelta(minutes=3), "bot", topic="ask_bankid")  # 6 BankID answers, 5 conversations
    for i, wait in zip(range(1, 6), (1, 2, 3, 4, 10), strict=True):  # taken after 1, 2, 3, 4 and 10 minutes
        seed.handoff(ids[i], "linkoping", day + timedelta(minutes=5), "handed_back", wait)
    seed.handoff(ids[0], "linkoping", day + timedelta(minutes=5), "expired", None)
    seed.handoff(ids[0], "linkoping", day + timedelta(minutes=50), "cancelled", None)  # 7 asked, 6 conversations
    for i in range(5):  # 5 messages left, 2 of them done the next week
        seed.ticket(
            ids[i], "linkoping", "message", day + timedelta(days=1), stockholm("2026-03-31 09:00") if i < 2 else None
        )
    seed.ticket(ids[5], "linkoping", "callback", day + timedelta(days=1), None)
    return ids


def seeded() -> Seed:
    seed = Seed()
    linkoping_week_13(seed, stockholm("2026-03-24 10:00"))
    # Båstad: one conversation each side of both week boundaries, in winter and in summer time.
    for moment in ("2026-03-22 22:30", "2026-03-22 23:30", "2026-03-29 21:30", "2026-03-29 22:30"):
        seed.conversation(datetime.fromisoformat(moment).replace(tzinfo=UTC), "bastad")
    for _ in range(3):
        seed.conversation(stockholm("2026-03-25 12:00"), "stockholm")
    return seed


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Database]:
    """An empty, migrated gateway database: a SQLite file, or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'statistics.db'}")
        await database.create()
        yield database
        await database.dispose()
        return
    with fresh_database("lotsen_statistics") as name:
        url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+asyncpg://")
        database = Database(url)
        await database.create()
        yield database
        await database.dispose()


@pytest.fixture
async def seeded_db(db: Database) -> Database:
    await seeded().add(db)
    return db


def weeks() -> list[Week]:
    return last_weeks(NOW, 3)


# --- weeks and percentiles -------------------------------------------------------------


def test_weeks_start_at_midnight_in_stockholm_in_winter_and_summer_time() -> None:
    assert [week.label for week in weeks()] == ["2026-W12", "2026-W13", "2026-W14"]
    assert weeks()[W13].start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert weeks()[W13].end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # CEST, UTC+2
    assert week_of(datetime(2026, 3, 22, 22, 59, tzinfo=UTC)).label == "2026-W12"
    assert week_of(datetime(2026, 3, 22, 23, 0, tzinfo=UTC)).label == "2026-W13"
    assert week_of(datetime(2026, 3, 29, 21, 59, tzinfo=UTC)).label == "2026-W13"
    assert week_of(datetime(2026, 3, 29, 22, 0, tzinfo=UTC)).label == "2026-W14"
    assert week_of(datetime(2026, 3, 29, 22, 0)).label == "2026-W14"  # naive from SQLite: UTC
    assert [w.label for w in last_weeks(datetime(2027, 1, 6, tzinfo=UTC), 2)] == ["2026-W53", "2027-W01"]


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([10, 1, 4, 2, 3], 0.5) == 3
    assert percentile([10, 1, 4, 2, 3], 0.9) == pytest.approx(7.6)
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


# --- the SQL: raw amounts ----------------------------------------------------------------


async def test_counts_per_stockholm_week_and_municipality(seeded_db: Database) -> None:
    tallies = await collect(seeded_db, weeks(), None)
    linkoping = tallies.amounts[(W13, "linkoping")]
    assert linkoping["conversations"] == Count(12, 12)
    assert (linkoping["language.ar"], linkoping["language.sv"], linkoping["language.ti"]) == (
        Count(6, 6),
        Count(5, 5),
        Count(1, 1),
    )
    assert (linkoping["channel.web"], linkoping["channel.telegram"]) == (Count(7, 7), Count(5, 5))
    assert linkoping["user_messages"] == Count(24, 12)
    assert linkoping["not_understood_rate"] == Share(6, 24, 12)
    assert linkoping["out_of_scope_rate"] == Share(3, 24, 12)
    assert (linkoping["topic.ask_bankid"], linkoping["topic.ask_sfi"]) == (Count(6, 5), Count(2, 2))
    assert linkoping["handoffs_requested"] == Count(7, 6)
    assert linkoping["handoffs_taken"] == Count(5, 5)
    assert linkoping["handoffs_expired"] == Count(1, 1)
    waits = linkoping["wait_minutes"]
    assert isinstance(waits, Spread) and sorted(waits.minutes) == pytest.approx([1, 2, 3, 4, 10])
    assert linkoping["tickets.message.created"] == Count(5, 5)
    assert linkoping["tickets.callback.created"] == Count(1, 1)
    assert tallies.amounts[(W14, "linkoping")] == {"tickets.message.done": Count(2, 2)}
    # Båstad's conversations fall on the Stockholm side of each boundary.
    assert [tallies.amounts[(week, "bastad")]["conversations"] for week in (W12, W13, W14)] == [
        Count(1, 1),
        Count(2, 2),
        Count(1, 1),
    ]


async def test_only_the_given_municipalities_are_counted(seeded_db: Database) -> None:
    tallies = await collect(seeded_db, weeks(), frozenset({"bastad"}))
    assert tallies.municipalities() == {"bastad"}


# --- what may be shown -------------------------------------------------------------------


def test_a_breakdown_never_leaves_one_to_four_conversations_to_subtract() -> None:
    total = Count(12, 12)
    parts = {"ar": Count(6, 6), "sv": Count(5, 5), "ti": Count(1, 1)}
    cells = privacy.breakdown(privacy.cell(total), total, {k: (v, privacy.cell(v)) for k, v in parts.items()})
    assert cells == {"ar": Cell(6, False), "sv": privacy.HIDDEN, "ti": privacy.HIDDEN}  # 12 − 6 = 6 hidden
    parts = {"ar": Count(6, 6), "sv": Count(6, 6)}
    cells = privacy.breakdown(privacy.cell(total), total, {k: (v, privacy.cell(v)) for k, v in parts.items()})
    assert cells == {"ar": Cell(6, False), "sv": Cell(6, False)}
    assert privacy.cell(Count(0, 0)) == privacy.HIDDEN  # zero is "<5" too
    assert privacy.cell(None) == privacy.HIDDEN


async def test_a_municipality_sees_exact_numbers_and_fewer_than_five_hidden(seeded_db: Database) -> None:
    report = build(await collect(seeded_db, weeks(), None), ["linkoping"])
    week = {measure: cells[W13] for measure, cells in report.cells.items()}
    assert week["conversations"] == Cell(12, False)
    assert week["language.ar"] == Cell(6, False)
    assert week["language.ti"].suppressed
    assert week["language.sv"].suppressed  # 5, hidden too: else 12 − 6 − 5 would give Tigrinya's 1
    assert (week["channel.web"], week["channel.telegram"]) == (Cell(7, False), Cell(5, False))
    assert week["user_messages"] == Cell(24, False)
    assert (week["not_understood_rate"], week["out_of_scope_rate"]) == (Cell(0.25, False), Cell(0.125, False))
    assert week["topic.ask_bankid"] == Cell(6, False)
    assert week["topic.ask_sfi"].suppressed
    assert (week["handoffs_requested"], week["handoffs_taken"]) == (Cell(7, False), Cell(5, False))
    assert week["handoffs_expired"].suppressed
    assert week["wait_median_minutes"].value == pytest.approx(3.0)
    assert week["wait_p90_minutes"].value == pytest.approx(7.6)
    assert week["tickets.message.created"] == Cell(5, False)
    assert week["tickets.callback.created"].suppressed
    assert report.cells["tickets.message.done"][W14].suppressed
    assert report.cells["conversations"][W12].suppressed  # none at all
    assert not report.feedback_given


async def test_all_municipalities_add_only_what_each_one_shows(seeded_db: Database) -> None:
    report = build(await collect(seeded_db, weeks(), None), ["linkoping", "bastad", "stockholm"])
    assert report.cells["conversations"][W13] == Cell(12, False, partial=True)  # Båstad's 2 and Stockholm's 3 left out
    assert report.cells["language.ar"][W13] == Cell(6, False)  # nothing left out
    assert report.cells["language.sv"][W13].suppressed  # hidden in all three


def test_a_part_hidden_to_protect_a_small_one_is_not_added_either() -> None:
    """Båstad: 18 conversations, 14 on the web, 4 on Telegram — the web's 14 is hidden too
    (else 18 − 14 = 4). If "all" added Båstad's web, "all" minus Stockholm's web would
    give 14 back, and with it the 4."""
    week = Week(NOW.date() - timedelta(days=NOW.weekday()))
    tallies = Tallies([week])
    for municipality, (web, telegram) in {"bastad": (14, 4), "stockholm": (180, 65)}.items():
        tallies.put(0, municipality, "conversations", Count(web + telegram, web + telegram))
        tallies.put(0, municipality, "channel.web", Count(web, web))
        tallies.put(0, municipality, "channel.telegram", Count(telegram, telegram))
    bastad = build(tallies, ["bastad"])
    assert bastad.cells["channel.web"][0].suppressed and bastad.cells["channel.telegram"][0].suppressed
    both = build(tallies, ["bastad", "stockholm"])
    assert both.cells["conversations"][0] == Cell(263, False)
    assert both.cells["channel.web"][0] == Cell(180, False, partial=True)
    assert both.cells["channel.telegram"][0] == Cell(65, False, partial=True)


# --- frozen weeks --------------------------------------------------------------------------


async def test_finished_weeks_are_kept_after_retention_deletes_the_conversations(seeded_db: Database) -> None:
    live = await collect(seeded_db, weeks(), None)
    kept = await rollup.tallies(seeded_db, weeks(), None, NOW)
    assert sorted(kept.frozen) == [W12, W13]  # week 14 is not over
    for week in (W12, W13):
        for municipality in ("linkoping", "bastad", "stockholm"):
            assert kept.amounts.get((week, municipality)) == live.amounts.get((week, municipality))
    async with seeded_db.sessions() as session:
        await session.execute(delete(Conversation))
        await session.commit()
    after = await rollup.tallies(seeded_db, weeks(), None, NOW)
    assert after.amounts[(W13, "linkoping")] == live.amounts[(W13, "linkoping")]
    assert after.amounts.get((W14, "linkoping")) is None  # counted live: gone with the conversations
    assert await rollup.freeze(seeded_db, [weeks()[W13]]) == 0  # already kept; a second gateway gives way
    bastad = await rollup.tallies(seeded_db, weeks(), frozenset({"bastad"}), NOW)
    assert bastad.municipalities() == {"bastad"}
    assert bastad.amounts[(W13, "bastad")]["conversations"] == Count(2, 2)


async def test_the_daily_run_keeps_every_finished_week_once(seeded_db: Database) -> None:
    assert await rollup.freeze_closed_weeks(seeded_db, NOW) == 52  # 53 weeks back, the current one not over
    assert await rollup.freeze_closed_weeks(seeded_db, NOW) == 0
    assert await rollup.freeze_closed_weeks(seeded_db, NOW + timedelta(days=5)) == 1  # week 14 is over now


# --- feedback ------------------------------------------------------------------------------


async def test_feedback_per_topic_is_counted_by_the_conversations_municipality(seeded_db: Database) -> None:
    day = stockholm("2026-03-24 11:00")
    async with seeded_db.sessions() as session:
        for conversation in range(1, 7):  # Linköping's first six: five 👍, one 👎
            value = -1 if conversation == 6 else 1
            session.add(Feedback(conversation_id=conversation, topic="ask_bankid", value=value, created_at=day))
        await session.commit()
    report = build(await collect(seeded_db, weeks(), None), ["linkoping"])
    assert report.feedback_given
    assert report.cells["feedback.ask_bankid.up"][W13] == Cell(5, False)
    assert "feedback.ask_bankid.down" not in report.cells  # hidden in every week: not even listed


# --- charts --------------------------------------------------------------------------------


def test_charts_are_labelled_svg_with_hidden_weeks_as_gaps() -> None:
    labels = ["12", "13", "14"]
    number = "{:g}".format
    line = charts.lines(
        "c1", "Väntan", "Minuter <per> vecka", labels, [charts.Series("Median", [3.0, None, 5.0])], number
    )
    bars = charts.stacked_bars(
        "c2",
        "Samtal",
        "Per språk",
        labels,
        [12, None, 8],
        [charts.Series("ar", [6, None, None])],
        "Dolda",
        number,
        "<5",
    )
    svg = "{http://www.w3.org/2000/svg}"
    for chart in (line, bars):
        root = ET.fromstring(str(chart))
        assert root.get("role") == "img"
        assert root.find(f"{svg}title") is not None and root.find(f"{svg}desc") is not None
        assert all("style" not in element.attrib for element in root.iter())
        assert not list(root.iter(f"{svg}script"))
    assert "Minuter &lt;per&gt; vecka" in str(line)
    assert str(line).count("<polyline") == 0  # two points with a hidden week between: no line through it
    tooltips = [rect.findtext(f"{svg}title") for rect in ET.fromstring(str(bars)).iter(f"{svg}rect")]
    assert [text for text in tooltips if text] == ["12 · ar: 6", "12 · Dolda: 6", "14 · Dolda: 8"]


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def client(settings: Settings, backends: FakeBackends) -> Iterator[TestClient]:
    app = create_app(settings, transport=backends.transport())
    if not any(getattr(route, "path", None) == statistics.PAGE for route in app.routes):
        app.router.routes[0:0] = statistics.ROUTES  # until bot/app.py lists them
    with TestClient(app) as test_client:
        yield test_client


def seed_recent(client: TestClient) -> None:
    """The Linköping week and a Båstad conversation, two days ago."""
    seed = Seed()
    linkoping_week_13(seed, utcnow() - timedelta(days=2))
    seed.conversation(utcnow() - timedelta(days=2), "bastad")
    seed.conversation(utcnow() - timedelta(days=2), None)
    client.portal.call(seed.add, client.app.state.db)  # type: ignore[union-attr, attr-defined]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_signing_in_is_needed(client: TestClient) -> None:
    for url in (statistics.PAGE, statistics.CSV):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/console/login?next={url}"


def test_staff_see_their_own_municipalities_only(client: TestClient) -> None:
    seed_recent(client)
    add_account(client, "sara", "staff", ["linkoping"])
    sara = staff_client(client, "sara")
    page = sara.get(statistics.PAGE)
    assert page.status_code == 200
    assert re.findall(r'<option value="([^"]*)"', page.text)[:2] == ["", "linkoping"]
    assert 'value="bastad"' not in page.text
    for url in (statistics.PAGE, statistics.CSV):
        assert sara.get(url, params={"municipality": "bastad"}).status_code == 403
    rows = csv_rows(sara.get(statistics.CSV).text)
    assert {row["municipality"] for row in rows} == {"linkoping"}
    assert ("conversations", "12") in {(row["measure"], row["value"]) for row in rows}


def test_staff_without_a_municipality_see_nothing(client: TestClient) -> None:
    add_account(client, "nils", "staff")
    assert staff_client(client, "nils").get(statistics.PAGE).status_code == 403


def test_editors_and_admins_see_every_municipality(client: TestClient) -> None:
    seed_recent(client)
    add_account(client, "eva", "editor")
    add_account(client, "ada", "admin")
    for username in ("eva", "ada"):
        viewer = staff_client(client, username)
        rows = csv_rows(viewer.get(statistics.CSV).text)
        assert {"linkoping", "bastad", "none"} <= {row["municipality"] for row in rows}
        assert viewer.get(statistics.PAGE, params={"municipality": "bastad"}).status_code == 200


def test_csv_holds_aggregates_only(client: TestClient) -> None:
    seed_recent(client)
    add_account(client, "ada", "admin")
    response = staff_client(client, "ada").get(statistics.CSV, params={"weeks": "4"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="lotsen-statistics-all-')
    text = response.text
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = csv_rows(text)
    assert len({row["week"] for row in rows}) == 4
    assert all(SHOWN.match(row["value"]) for row in rows), [row for row in rows if not SHOWN.match(row["value"])]
    assert "1990" not in text and "avsandare" not in text and "+4670" not in text
    linkoping = {(row["measure"], row["value"]) for row in rows if row["municipality"] == "linkoping"}
    assert {("conversations", "12"), ("not_understood_rate", "0.2500"), ("wait_median_minutes", "3.0")} <= linkoping
    assert ("language.ti", "<5") in linkoping and ("language.sv", "<5") in linkoping


def test_page_shows_charts_with_their_numbers_in_swedish(client: TestClient) -> None:
    seed_recent(client)
    add_account(client, "ada", "admin")
    admin = staff_client(client, "ada")
    response = admin.get(statistics.PAGE, params={"municipality": "linkoping", "weeks": "26"})
    assert response.status_code == 200
    html = response.text
    assert '<html lang="sv">' in html
    assert "script-src 'self'" in response.headers["content-security-policy"]
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 3
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert " style=" not in html and "<script>" not in html and not re.search(r"\son[a-z]+=", html)
    assert len(re.findall(r"<th scope=\"row\">\d{4}-W\d\d", html)) == 26 * 5  # five week tables
    assert "25,0 %" in html  # the not-understood share, written the Swedish way
    assert SECRET_TEXT not in html and "avsandare" not in html
    feedback = html[html.index('id="feedback"') :]
    assert "<table" not in feedback  # no feedback yet: said, not tabled


def test_an_unknown_weeks_choice_falls_back_to_twelve(client: TestClient) -> None:
    add_account(client, "ada", "admin")
    rows = csv_rows(staff_client(client, "ada").get(statistics.CSV, params={"weeks": "7"}).text)
    assert len({row["week"] for row in rows}) == 12

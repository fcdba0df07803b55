"""Benchmark of the statistics page (`/console/statistics`) on 1 million messages.

Fills a temporary database with ~100 000 conversations and 1 000 000 messages spread
over 60 weeks (bulk inserts through SQLAlchemy Core, the gateway's own schema and
migrations), then times what a page request does: the live SQL (each query, for 4, 12,
26 and 52 weeks back), the first view that freezes every finished week, and the usual
view afterwards (frozen weeks + the current one live, report, charts, HTML) — for
"all municipalities" and for one — and the CSV. No evaluation data, no network.

SQLite always (a file in a temporary directory); PostgreSQL too when
`LOTSEN_BENCH_PG_URL` names a server (e.g. `postgresql://postgres@localhost/postgres`):
a fresh database is created on it and dropped afterwards.

    .venv/bin/python scripts/bench_statistics.py            # → reports/statistics-bench.md
    .venv/bin/python scripts/bench_statistics.py --conversations 10000   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text

from bot.db import Conversation, Database, Feedback, Handoff, Message, Ticket
from bot.staff.i18n import templates
from bot.statistics import queries
from bot.statistics.export import csv_text
from bot.statistics.page import View, combined, context, load
from bot.statistics.weeks import WEEKS_BACK, Week, last_weeks
from lotsen.municipalities import municipality_ids
from lotsen.topics import TOPIC_TITLES

REPORT = Path(__file__).resolve().parents[1] / "reports" / "statistics-bench.md"
LANGUAGES = ("sv", "en", "ar", "fa", "so", "ti", "uk", "ru", None)
LANGUAGE_WEIGHTS = (18, 14, 20, 15, 10, 6, 9, 5, 3)
MUNICIPALITY_WEIGHTS = (15, 40, 3, 12, 25, 5)  # the five in the catalogue's order, then none
BATCH = 50_000
LANGUAGE = "sv"
HEAVY = "stockholm"  # the one-municipality view (the biggest)


@dataclass
class Timings:
    backend: str
    fill_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    queries: dict[int, dict[str, float]] = field(default_factory=dict)  # weeks back → query → ms
    collect: dict[int, float] = field(default_factory=dict)
    first_view: float = 0.0
    pages: dict[tuple[int, str], float] = field(default_factory=dict)  # (weeks, view) → ms
    csv: dict[int, float] = field(default_factory=dict)


def _message(number: int, at: datetime, author: str, unanswered: str | None, topic: str | None) -> dict[str, Any]:
    intent, confidence = ("greet", 0.9) if author == "user" else (None, None)
    return {
        "conversation_id": number,
        "author": author,
        "text": "·",
        "unanswered": unanswered,
        "intent": intent,
        "confidence": confidence,
        "topic": topic,
        "created_at": at,
    }


def generate(
    conversations: int, messages_per: int, weeks: int, now: datetime, seed: int
) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """Rows in batches per table: conversations, then their messages, handoffs, tickets."""
    rng = random.Random(seed)
    span = timedelta(weeks=weeks).total_seconds()
    places = [*municipality_ids(), None]
    topics = list(TOPIC_TITLES)
    convs: list[dict[str, Any]] = []
    msgs: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    tickets: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    for number in range(1, conversations + 1):
        created = now - timedelta(seconds=rng.random() * span)
        place = rng.choices(places, MUNICIPALITY_WEIGHTS)[0]
        last = created + timedelta(seconds=30 * messages_per)
        convs.append(
            {
                "id": number,
                "channel": "telegram" if rng.random() < 0.3 else "web",
                "sender": f"bench-{number}",
                "language": rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0],
                "municipality": place,
                "mode": "bot",
                "leaving_message": False,
                "created_at": created,
                "updated_at": last,
                "last_message_at": last,
            }
        )
        for k in range(messages_per):
            at = created + timedelta(seconds=30 * k)
            if k % 2 == 0:
                roll = rng.random()
                unanswered = "not_understood" if roll < 0.08 else "out_of_scope" if roll < 0.11 else None
                msgs.append(_message(number, at, "user", unanswered, None))
            else:
                topic = rng.choice(topics) if rng.random() < 0.3 else None
                msgs.append(_message(number, at, "bot", None, topic))
                if topic and rng.random() < 0.15:
                    votes.append(
                        {
                            "conversation_id": number,
                            "topic": topic,
                            "language": convs[-1]["language"],
                            "municipality": place,
                            "value": 1 if rng.random() < 0.7 else -1,
                            "reason": None,
                            "created_at": at + timedelta(seconds=10),
                        }
                    )
        if rng.random() < 0.08:
            status = rng.choice(("claimed", "handed_back", "closed", "expired", "cancelled"))
            requested = created + timedelta(minutes=2)
            taken = status not in ("expired", "cancelled")
            handoffs.append(
                {
                    "conversation_id": number,
                    "municipality": place or "stockholm",
                    "office_id": "bench",
                    "reason": "asked",
                    "status": status,
                    "requested_at": requested,
                    "claimed_at": requested + timedelta(minutes=rng.expovariate(1 / 8)) if taken else None,
                }
            )
        if rng.random() < 0.03:
            done = rng.random() < 0.6
            tickets.append(
                {
                    "conversation_id": number,
                    "municipality": place,
                    "kind": rng.choice(("message", "callback")),
                    "text": "·",
                    "status": "done" if done else "open",
                    "created_at": created + timedelta(minutes=3),
                    "done_at": created + timedelta(days=1) if done else None,
                }
            )
        if len(msgs) >= BATCH:
            yield Conversation.__table__, convs
            yield Message.__table__, msgs
            convs, msgs = [], []
    yield Conversation.__table__, convs
    yield Message.__table__, msgs
    yield Handoff.__table__, handoffs
    yield Ticket.__table__, tickets
    yield Feedback.__table__, votes


def fill(sync_url: str, args: argparse.Namespace, now: datetime, timings: Timings) -> None:
    engine = create_engine(sync_url)
    started = time.perf_counter()
    with engine.begin() as connection:
        for table, rows in generate(args.conversations, args.messages_per, args.span_weeks, now, args.seed):
            if rows:
                connection.execute(insert(table), rows)
                timings.rows[table.name] = timings.rows.get(table.name, 0) + len(rows)
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load (SQLite: nothing)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    timings.fill_seconds = time.perf_counter() - started


async def median_ms(run: Callable[[], Awaitable[Any]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def render(tallies: queries.Tallies, view: View, now: datetime) -> str:
    page = context(tallies, view, LANGUAGE, now, 30)
    base = {"account": None, "csrf": "", "ui_language": LANGUAGE, "area": "console", "csv_url": ""}
    return templates(LANGUAGE).get_template("statistics/page.html").render({**page, **base})


async def measure(url: str, timings: Timings, now: datetime, repeat: int) -> None:
    db = Database(url)
    query_names = ("conversations_started", "user_messages", "topics", "handoffs", "waits")
    async with db.engine.connect() as connection:
        for back in WEEKS_BACK:
            weeks = last_weeks(now, back)
            timings.queries[back] = {}
            for name in query_names:
                statement = getattr(queries, name)(weeks, None)

                async def run(statement: Any = statement) -> None:
                    (await connection.execute(statement)).all()

                timings.queries[back][name] = await median_ms(run, repeat)
    for back in WEEKS_BACK:
        span = last_weeks(now, back)

        async def count(weeks: list[Week] = span) -> None:
            await queries.collect(db, weeks, None)

        timings.collect[back] = await median_ms(count, repeat)

    everything = View("", max(WEEKS_BACK), None)
    started = time.perf_counter()
    render(await load(db, everything, now), everything, now)  # freezes every finished week
    timings.first_view = (time.perf_counter() - started) * 1000

    for back in WEEKS_BACK:
        for label, view in (("all", View("", back, None)), (HEAVY, View(HEAVY, back, frozenset({HEAVY})))):

            async def page(view: View = view) -> None:
                render(await load(db, view, now), view, now)

            timings.pages[(back, label)] = await median_ms(page, repeat)

        async def export(back: int = back) -> None:
            view = View("", back, None)
            tallies = await load(db, view, now)
            csv_text(tallies, combined(view, tallies))

        timings.csv[back] = await median_ms(export, repeat)
    await db.dispose()


async def prepare(url: str) -> None:
    db = Database(url)
    await db.create()
    await db.dispose()


@contextmanager
def postgres_database(server: str) -> Iterator[tuple[str, str]]:
    """A fresh database on the server named by `server`; (async URL, sync URL); dropped after."""
    import psycopg2

    parts = urlsplit(server.replace("postgresql+asyncpg://", "postgresql://"))
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    name = f"lotsen_bench_statistics_{uuid.uuid4().hex[:8]}"
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            urlunsplit(("postgresql+asyncpg", parts.netloc, f"/{name}", "", "")),
            urlunsplit(("postgresql+psycopg2", parts.netloc, f"/{name}", "", "")),
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def run_backend(backend: str, async_url: str, sync_url: str, args: argparse.Namespace, now: datetime) -> Timings:
    timings = Timings(backend)
    asyncio.run(prepare(async_url))
    print(f"{backend}: filling …", flush=True)
    fill(sync_url, args, now, timings)
    print(f"{backend}: {timings.rows} in {timings.fill_seconds:.0f} s; timing …", flush=True)
    asyncio.run(measure(async_url, timings, now, args.repeat))
    return timings


def markdown(results: list[Timings], args: argparse.Namespace, now: datetime, load: tuple[float, float]) -> str:
    lines = [
        "# Statistics page benchmark",
        "",
        f"Run {now:%Y-%m-%d %H:%M} UTC on {platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()} (`scripts/bench_statistics.py`; median of {args.repeat} runs each); "
        f"load average {load[0]:.1f} at the start and {load[1]:.1f} at the end (other work on the machine slows "
        "every figure alike).",
        f"Data: {args.conversations:,} conversations with {args.messages_per} messages each over {args.span_weeks} "
        "weeks, five municipalities and none, eight languages and none, 30 % Telegram; 8 % ask for a person, "
        "3 % leave a message or ask for a callback, 15 % of topic answers get a 👍/👎. Indexes and tables from "
        "migration 0012; PostgreSQL vacuumed and analysed after the load (as autovacuum would), SQLite as is.",
        "",
        "**Page** = what `GET /console/statistics` does after sign-in: load (frozen weeks from "
        "`statistics_amounts`, the current week counted live), combine, privacy rule, three SVG charts, "
        "HTML. **First view** = the same with no week frozen yet: it counts every finished week of the "
        "52 live once and keeps them (afterwards, and daily if wired to the retention job, only new weeks "
        "are counted). **Live** = the SQL alone, counting every week from the messages (no frozen weeks).",
        "",
    ]
    for result in results:
        rows = ", ".join(f"{count:,} {table}" for table, count in result.rows.items())
        lines += [f"## {result.backend}", "", f"Filled {rows} in {result.fill_seconds:.0f} s.", ""]
        lines += [
            "| weeks back | page, all municipalities (ms) | page, " + HEAVY + " (ms) | CSV, all (ms) |",
            "|---|---|---|---|",
        ]
        for back in WEEKS_BACK:
            page_all, page_one = result.pages[(back, "all")], result.pages[(back, HEAVY)]
            lines.append(f"| {back} | {page_all:.0f} | {page_one:.0f} | {result.csv[back]:.0f} |")
        lines += ["", f"First view, 52 weeks, nothing frozen yet: **{result.first_view:.0f} ms** (once).", ""]
        names = list(next(iter(result.queries.values())))
        lines += [
            "Live SQL, every municipality (ms):",
            "",
            "| weeks back | " + " | ".join(names) + " | all queries + folding |",
        ]
        lines.append("|---" * (len(names) + 2) + "|")
        for back in WEEKS_BACK:
            cells = " | ".join(f"{result.queries[back][name]:.0f}" for name in names)
            lines.append(f"| {back} | {cells} | {result.collect[back]:.0f} |")
        lines.append("")
    if not any(result.backend.startswith("PostgreSQL") for result in results):
        lines += ["PostgreSQL was not measured: set `LOTSEN_BENCH_PG_URL` to include it.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=10)
    parser.add_argument("--span-weeks", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--keep", type=Path, help="fill this SQLite file and keep it (it must not exist)")
    args = parser.parse_args(argv)
    now = datetime.now(timezone.utc)
    load_before = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="lotsen-bench-statistics-") as directory:
        path = args.keep or Path(directory) / "gateway.db"
        results.append(run_backend("SQLite", f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}", args, now))
    if server := os.environ.get("LOTSEN_BENCH_PG_URL"):
        with postgres_database(server) as (async_url, sync_url):
            results.append(run_backend("PostgreSQL", async_url, sync_url, args, now))
    args.out.write_text(markdown(results, args, now, (load_before, os.getloadavg()[0])), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

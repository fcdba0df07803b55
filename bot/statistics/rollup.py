"""Frozen weeks: once a week is over, its raw amounts are kept in `statistics_amounts`
(models.py says why), and the page reads them instead of counting again.

A week is frozen a day after it ended (`GRACE`), so a handoff requested late on Sunday
and taken on Monday counts in its week. Freezing happens when a page needs a week that
is over and not frozen yet, and — wired in by the lead — daily before retention deletes
old conversations (`freeze_closed_weeks`), so a week nobody looked at is kept too.

Two gateways freezing the same week at once: the second one's insert fails on the
week's primary key, is rolled back, and it reads what the first one wrote.

A week frozen after retention had already deleted some of its conversations is
incomplete; `Tallies.frozen` keeps when each week was frozen, so the page can say so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bot.db import Database, aware
from bot.statistics.measures import Amount, Count, Share, Spread
from bot.statistics.models import StatisticsAmount, StatisticsWeek
from bot.statistics.queries import Tallies, collect
from bot.statistics.weeks import WEEKS_BACK, Week, last_weeks, span

log = logging.getLogger(__name__)
GRACE = timedelta(days=1)
NO_MUNICIPALITY = ""  # how the rollup stores "no municipality yet" (a key cannot be NULL)


def ready(week: Week, now: datetime) -> bool:
    """Whether the week is over long enough to be frozen."""
    return week.end + GRACE <= now


def _stored(amount: Amount) -> list[object]:
    """An amount as `statistics_amounts` keeps it: [kind, n, whole, conversations, minutes]."""
    if isinstance(amount, Count):
        return ["count", amount.n, None, amount.conversations, None]
    if isinstance(amount, Share):
        return ["share", amount.part, amount.whole, amount.conversations, None]
    return ["spread", 0, None, amount.conversations, list(amount.minutes)]


def _amount(stored: list[Any]) -> Amount:
    kind, n, whole, conversations, minutes = stored
    if kind == "share":
        return Share(int(n), int(whole), int(conversations))
    if kind == "spread":
        return Spread(tuple(float(value) for value in minutes), int(conversations))
    return Count(int(n), int(conversations))


async def _frozen_weeks(db: Database, weeks: Iterable[Week]) -> dict[date, datetime]:
    mondays = [week.monday for week in weeks]
    async with db.sessions() as session:
        found = await session.execute(
            select(StatisticsWeek.monday, StatisticsWeek.frozen_at).where(StatisticsWeek.monday.in_(mondays))
        )
        return {monday: aware(at) for monday, at in found}


async def freeze(db: Database, weeks: list[Week]) -> int:
    """Count `weeks` (every municipality) and keep their amounts; returns how many weeks
    this call froze (0 when another gateway was first)."""
    if not weeks:
        return 0
    counted = await collect(db, span(weeks), None)
    wanted = {week.monday for week in weeks}
    rows = [
        {
            "monday": counted.weeks[index].monday,
            "municipality": municipality or NO_MUNICIPALITY,
            "amounts": {measure: _stored(amount) for measure, amount in amounts.items()},
        }
        for (index, municipality), amounts in counted.amounts.items()
        if counted.weeks[index].monday in wanted
    ]
    async with db.sessions() as session:
        try:
            # The weeks first: their keys are what a second gateway collides on.
            session.add_all(StatisticsWeek(monday=monday) for monday in sorted(wanted))
            await session.flush()
            if rows:
                await session.execute(insert(StatisticsAmount), rows)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            log.info("statistics: weeks %s were frozen by another gateway", sorted(map(str, wanted)))
            return 0
    return len(wanted)


async def freeze_closed_weeks(db: Database, now: datetime) -> int:
    """Freeze every week of the longest view (52 weeks back) that is over and not frozen
    yet: run it before retention deletes conversations."""
    weeks = [week for week in last_weeks(now, max(WEEKS_BACK) + 1) if ready(week, now)]
    frozen = await _frozen_weeks(db, weeks)
    return await freeze(db, [week for week in weeks if week.monday not in frozen])


async def _read(db: Database, tallies: Tallies, frozen: Iterable[date], municipalities: frozenset[str] | None) -> None:
    index = {week.monday: i for i, week in enumerate(tallies.weeks)}
    a = StatisticsAmount.__table__.c
    query = select(a.monday, a.municipality, a.amounts).where(a.monday.in_(list(frozen)))
    if municipalities is not None:
        query = query.where(a.municipality.in_(sorted(municipalities)))
    async with db.engine.connect() as connection:
        for monday, municipality, amounts in await connection.execute(query):
            for measure, stored in amounts.items():
                tallies.put(index[monday], municipality or None, measure, _amount(stored))


async def tallies(db: Database, weeks: list[Week], municipalities: frozenset[str] | None, now: datetime) -> Tallies:
    """The raw amounts of `weeks` in `municipalities` (None: all, and none): frozen weeks
    from the rollup (freezing those that are over and not frozen yet), the rest live."""
    frozen = await _frozen_weeks(db, weeks)
    if missing := [week for week in weeks if ready(week, now) and week.monday not in frozen]:
        await freeze(db, missing)
        frozen = await _frozen_weeks(db, weeks)
    result = Tallies(list(weeks))
    result.frozen = {i: frozen[week.monday] for i, week in enumerate(weeks) if week.monday in frozen}
    await _read(db, result, frozen, municipalities)
    live = [week for week in weeks if week.monday not in frozen]
    if live:
        counted = await collect(db, span(live), municipalities)
        index = {week.monday: i for i, week in enumerate(weeks)}
        for (position, municipality), amounts in counted.amounts.items():
            monday = counted.weeks[position].monday
            if monday in index and monday not in frozen:
                for measure, amount in amounts.items():
                    result.put(index[monday], municipality, measure, amount)
    return result

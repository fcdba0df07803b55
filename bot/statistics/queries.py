"""The statistics' SQL: per Stockholm week and municipality, aggregates only.

SQLAlchemy Core that runs unchanged on SQLite and PostgreSQL. Three choices make that so:

- **Weeks are numbered in SQL by comparing with their bounds** (`_week_number`), which
  Python computed in Stockholm time (`weeks.py`): no `date_trunc`/`strftime`, and
  daylight saving time is right. The comparison is a balanced tree of `CASE`s, so a row
  costs about six comparisons for 52 weeks, not 52.
- **Grouping by an expression happens one level up**, in an outer query over a subquery
  that names it: PostgreSQL would not accept `GROUP BY` on an expression holding bind
  parameters (it sees `$3` and `$41` as different expressions).
- **Distinct conversations come from a two-level aggregate**: first one row per
  conversation and week, then the municipality's sums and `count(*)` of those rows,
  which is the number of conversations the privacy rule needs (and cheaper than
  `count(DISTINCT …)`); only then is `conversations` joined, once per conversation and
  week instead of once per message.

Nothing here returns message text, senders or ids: the results are `Amount`s keyed by
week and municipality (`Tallies`), and `report.py` decides what may be shown.

Feedback (👍/👎 per topic answer, `bot.db.Feedback`, migration 0011) is counted like the
messages: per conversation and week first, then by the conversation's municipality.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from bot.db import Conversation, Database, Feedback, Handoff, Message, Ticket, aware
from bot.statistics import measures as m
from bot.statistics.measures import Amount, Count, Share, Spread
from bot.statistics.weeks import Week

Bucket = tuple[int, str | None]  # (week number, municipality id or None: no municipality yet)


@dataclass
class Tallies:
    """Raw amounts by (week number, municipality) and measure key; `weeks[i]` is week i."""

    weeks: list[Week]
    amounts: dict[Bucket, dict[str, Amount]] = field(default_factory=lambda: defaultdict(dict))
    frozen: dict[int, datetime] = field(default_factory=dict)  # week number → when it was frozen (rollup.py)

    def put(self, week: int, municipality: str | None, measure: str, amount: Amount) -> None:
        self.amounts[(int(week), municipality)][measure] = amount

    def municipalities(self) -> set[str | None]:
        return {municipality for _, municipality in self.amounts}


def _week_number(moment: Any, weeks: Sequence[Week]) -> ColumnElement[int]:
    """The index in `weeks` of the week `moment` falls in (rows are already limited to
    the weeks' span): a balanced tree of `CASE moment < start of week k`."""

    def between(low: int, high: int) -> ColumnElement[int]:
        if low == high:
            return literal_column(str(low), Integer)  # a constant, not a parameter
        middle = (low + high + 1) // 2
        return case((moment < weeks[middle].start, between(low, middle - 1)), else_=between(middle, high))

    return between(0, len(weeks) - 1)


def _in_span(moment: Any, weeks: Sequence[Week]) -> list[ColumnElement[bool]]:
    return [moment >= weeks[0].start, moment < weeks[-1].end]


def _scoped(query: Select[Any], municipality: Any, municipalities: frozenset[str] | None) -> Select[Any]:
    """Only the given municipalities' rows; None: every row, with or without one."""
    return query if municipalities is None else query.where(municipality.in_(sorted(municipalities)))


def _sum(value: Any) -> ColumnElement[int]:
    """`sum()` cast back to an integer: PostgreSQL sums integers as `numeric` (Decimal)."""
    return cast(func.sum(value), Integer)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def conversations_started(weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Select[Any]:
    """Conversations started, by week, municipality, language and channel."""
    c = Conversation.__table__.c
    rows = _scoped(
        select(
            _week_number(c.created_at, weeks).label("week"),
            c.municipality.label("municipality"),
            c.language.label("language"),
            c.channel.label("channel"),
        ).where(*_in_span(c.created_at, weeks)),
        c.municipality,
        municipalities,
    ).subquery()
    return select(rows, func.count().label("n")).group_by(*rows.c)


def user_messages(weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Select[Any]:
    """User messages and how many of them the bot could not answer, with the number of
    conversations they came from, by week and municipality."""
    msg = Message.__table__.c
    rows = (
        select(
            msg.conversation_id.label("conversation"),
            _week_number(msg.created_at, weeks).label("week"),
            msg.unanswered.label("unanswered"),
        )
        .where(msg.author == "user", *_in_span(msg.created_at, weeks))
        .subquery()
    )
    per_conversation = (
        select(
            rows.c.conversation,
            rows.c.week,
            func.count().label("n"),
            _sum(_flag(rows.c.unanswered == "not_understood")).label("not_understood"),
            _sum(_flag(rows.c.unanswered == "out_of_scope")).label("out_of_scope"),
        )
        .group_by(rows.c.conversation, rows.c.week)
        .subquery()
    )
    return _per_municipality(per_conversation, ("n", "not_understood", "out_of_scope"), (), municipalities)


def topics(weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Select[Any]:
    """Topics answered (bot messages that answered one), by week, municipality and topic."""
    msg = Message.__table__.c
    rows = (
        select(
            msg.conversation_id.label("conversation"),
            _week_number(msg.created_at, weeks).label("week"),
            msg.topic.label("topic"),
        )
        .where(msg.author == "bot", msg.topic.is_not(None), *_in_span(msg.created_at, weeks))
        .subquery()
    )
    per_conversation = (
        select(rows.c.conversation, rows.c.week, rows.c.topic, func.count().label("n"))
        .group_by(rows.c.conversation, rows.c.week, rows.c.topic)
        .subquery()
    )
    return _per_municipality(per_conversation, ("n",), ("topic",), municipalities)


def _per_municipality(
    per_conversation: Any, sums: Sequence[str], keys: Sequence[str], municipalities: frozenset[str] | None
) -> Select[Any]:
    """Second level: the conversation's municipality joined once per conversation and
    week; `conversations` is the number of rows summed (one per conversation)."""
    conv = Conversation.__table__.c
    grouping = [per_conversation.c.week, conv.municipality, *(per_conversation.c[k] for k in keys)]
    query = (
        select(
            *grouping,
            func.count().label("conversations"),
            *(_sum(per_conversation.c[name]).label(name) for name in sums),
        )
        .select_from(per_conversation.join(Conversation.__table__, conv.id == per_conversation.c.conversation))
        .group_by(*grouping)
    )
    return _scoped(query, conv.municipality, municipalities)


def handoffs(weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Select[Any]:
    """Handoffs requested, taken (someone claimed it) and expired, each with the number
    of conversations behind it, by the week they were requested in and municipality."""
    h = Handoff.__table__.c
    rows = _scoped(
        select(
            h.conversation_id.label("conversation"),
            h.municipality.label("municipality"),
            _week_number(h.requested_at, weeks).label("week"),
            _flag(h.claimed_at.is_not(None)).label("taken"),
            _flag(h.status == "expired").label("expired"),
        ).where(*_in_span(h.requested_at, weeks)),
        h.municipality,
        municipalities,
    ).subquery()
    per_conversation = (
        select(
            rows.c.week,
            rows.c.municipality,
            func.count().label("requested"),
            _sum(rows.c.taken).label("taken"),
            _sum(rows.c.expired).label("expired"),
        )
        .group_by(rows.c.conversation, rows.c.week, rows.c.municipality)
        .subquery()
    )
    pc = per_conversation.c
    return select(
        pc.week,
        pc.municipality,
        func.count().label("requested_conversations"),
        _sum(pc.requested).label("requested"),
        _sum(_flag(pc.taken > 0)).label("taken_conversations"),
        _sum(pc.taken).label("taken"),
        _sum(_flag(pc.expired > 0)).label("expired_conversations"),
        _sum(pc.expired).label("expired"),
    ).group_by(pc.week, pc.municipality)


def waits(weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Select[Any]:
    """When each taken handoff was requested and claimed (the minutes are computed in
    Python: timestamp arithmetic differs between SQLite and PostgreSQL)."""
    h = Handoff.__table__.c
    return _scoped(
        select(
            _week_number(h.requested_at, weeks).label("week"),
            h.municipality,
            h.requested_at,
            h.claimed_at,
        ).where(h.claimed_at.is_not(None), *_in_span(h.requested_at, weeks)),
        h.municipality,
        municipalities,
    )


def tickets(weeks: Sequence[Week], municipalities: frozenset[str] | None, step: str) -> Select[Any]:
    """Messages left and callbacks asked for (`step` "created") or done ("done"), by the
    week it happened in, municipality and kind."""
    t = Ticket.__table__.c
    moment = t.created_at if step == "created" else t.done_at
    rows = _scoped(
        select(
            t.conversation_id.label("conversation"),
            _week_number(moment, weeks).label("week"),
            t.municipality.label("municipality"),
            t.kind.label("kind"),
        ).where(*_in_span(moment, weeks)),
        t.municipality,
        municipalities,
    ).subquery()
    per_conversation = (
        select(rows.c.week, rows.c.municipality, rows.c.kind, func.count().label("n"))
        .group_by(rows.c.conversation, rows.c.week, rows.c.municipality, rows.c.kind)
        .subquery()
    )
    pc = per_conversation.c
    grouping = (pc.week, pc.municipality, pc.kind)
    return select(*grouping, func.count().label("conversations"), _sum(pc.n).label("n")).group_by(*grouping)


def feedback(weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Select[Any]:
    """👍 and 👎 per topic, by week and municipality (the conversation's)."""
    f = Feedback.__table__.c
    rows = (
        select(
            f.conversation_id.label("conversation"),
            _week_number(f.created_at, weeks).label("week"),
            f.topic.label("topic"),
            _flag(f.value > 0).label("up"),
            _flag(f.value < 0).label("down"),
        )
        .where(*_in_span(f.created_at, weeks))
        .subquery()
    )
    per_conversation = (
        select(
            rows.c.conversation,
            rows.c.week,
            rows.c.topic,
            _sum(rows.c.up).label("up"),
            _sum(rows.c.down).label("down"),
        )
        .group_by(rows.c.conversation, rows.c.week, rows.c.topic)
        .subquery()
    )
    pc = per_conversation.c
    conv = Conversation.__table__.c
    grouping = [pc.week, conv.municipality, pc.topic]
    query = (
        select(
            *grouping,
            _sum(_flag(pc.up > 0)).label("up_conversations"),
            _sum(pc.up).label("up"),
            _sum(_flag(pc.down > 0)).label("down_conversations"),
            _sum(pc.down).label("down"),
        )
        .select_from(per_conversation.join(Conversation.__table__, conv.id == pc.conversation))
        .group_by(*grouping)
    )
    return _scoped(query, conv.municipality, municipalities)


def _minutes(requested: datetime, claimed: datetime) -> float:
    return max(0.0, (aware(claimed) - aware(requested)).total_seconds() / 60)


async def collect(db: Database, weeks: Sequence[Week], municipalities: frozenset[str] | None) -> Tallies:
    """Every measure for `weeks` (oldest first) in the given municipalities (None: all,
    and conversations with no municipality), as raw amounts."""
    tallies = Tallies(list(weeks))
    put = tallies.put
    async with db.engine.connect() as connection:
        started: dict[tuple[int, str | None, str], int] = defaultdict(int)
        for row in await connection.execute(conversations_started(weeks, municipalities)):
            language = row.language or m.UNKNOWN
            for measure in (m.CONVERSATIONS, m.key(m.LANGUAGE, language), m.key(m.CHANNEL, row.channel)):
                started[(row.week, row.municipality, measure)] += row.n
        for (week, municipality, measure), n in started.items():
            put(week, municipality, measure, Count(n, n))  # each conversation starts once

        for row in await connection.execute(user_messages(weeks, municipalities)):
            put(row.week, row.municipality, m.USER_MESSAGES, Count(row.n, row.conversations))
            put(row.week, row.municipality, m.NOT_UNDERSTOOD_RATE, Share(row.not_understood, row.n, row.conversations))
            put(row.week, row.municipality, m.OUT_OF_SCOPE_RATE, Share(row.out_of_scope, row.n, row.conversations))

        for row in await connection.execute(topics(weeks, municipalities)):
            put(row.week, row.municipality, m.key(m.TOPIC, row.topic), Count(row.n, row.conversations))

        for row in await connection.execute(handoffs(weeks, municipalities)):
            put(row.week, row.municipality, m.HANDOFFS_REQUESTED, Count(row.requested, row.requested_conversations))
            put(row.week, row.municipality, m.HANDOFFS_TAKEN, Count(row.taken, row.taken_conversations))
            put(row.week, row.municipality, m.HANDOFFS_EXPIRED, Count(row.expired, row.expired_conversations))

        minutes: dict[Bucket, list[float]] = defaultdict(list)
        for row in await connection.execute(waits(weeks, municipalities)):
            minutes[(row.week, row.municipality)].append(_minutes(row.requested_at, row.claimed_at))
        for (week, municipality), values in minutes.items():
            taken = tallies.amounts[(week, municipality)][m.HANDOFFS_TAKEN].conversations
            put(week, municipality, m.WAITS, Spread(tuple(values), taken))

        for step in m.TICKET_STEPS:
            for row in await connection.execute(tickets(weeks, municipalities, step)):
                put(row.week, row.municipality, m.key(m.TICKETS, row.kind, step), Count(row.n, row.conversations))

        for row in await connection.execute(feedback(weeks, municipalities)):
            for value in m.FEEDBACK_VALUES:
                amount = Count(getattr(row, value), getattr(row, f"{value}_conversations"))
                if amount.n:
                    put(row.week, row.municipality, m.key(m.FEEDBACK, row.topic, value), amount)
    return tallies

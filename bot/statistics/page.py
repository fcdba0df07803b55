"""What the statistics page shows: one view (a municipality or all the viewer may see,
so many weeks back), loaded, combined, and laid out as sections — a heading, a chart,
and a table with the chart's numbers — in the console language.

Kept apart from the routes so the benchmark times exactly what a page request does
(`load` + `context` + the template) without signing in over HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from bot.db import Database
from bot.handoff.languages import language_name
from bot.staff.i18n import gettext
from bot.statistics import charts, rollup
from bot.statistics import measures as m
from bot.statistics.privacy import Cell
from bot.statistics.queries import Tallies
from bot.statistics.report import Report, build, incomplete, text
from bot.statistics.weeks import WEEKS_BACK, Week, last_weeks
from lotsen.i18n import t
from lotsen.municipalities import municipalities, municipality_ids
from lotsen.topics import TOPIC_TITLES


@dataclass(frozen=True)
class View:
    """`municipality` "" is every municipality in `scope` (None: all, and conversations
    with none yet) combined."""

    municipality: str
    weeks_back: int
    scope: frozenset[str] | None

    @property
    def filter(self) -> frozenset[str] | None:
        return frozenset({self.municipality}) if self.municipality else self.scope

    def options(self) -> list[str]:
        """The municipalities the viewer may pick, in the catalogue's order."""
        return [mid for mid in municipality_ids() if self.scope is None or mid in self.scope]


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[str]  # the first heads the row headers
    rows: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    table: Table | None
    chart: Markup | None = None
    note: str | None = None


async def load(db: Database, view: View, now: datetime) -> Tallies:
    return await rollup.tallies(db, last_weeks(now, view.weeks_back), view.filter, now)


def combined(view: View, tallies: Tallies) -> list[str | None]:
    """The municipalities the page adds up: the one chosen, or every one the viewer may
    see (with any met in the data, and "none yet" last, for editors and admins)."""
    if view.municipality:
        return [view.municipality]
    found = tallies.municipalities()
    seen: list[str | None] = [*view.options(), *sorted(mid for mid in found if mid and mid not in view.options())]
    return [*seen, None] if view.scope is None else seen


def municipality_name(municipality: str | None, language: str) -> str:
    if municipality is None:
        return gettext(language, "No municipality given")
    return municipalities().get(municipality, municipality)


def _language(code: str, language: str) -> str:
    return gettext(language, "Unknown language") if code == m.UNKNOWN else language_name(code, language)


def _topic(intent: str, language: str) -> str:
    return t(language, TOPIC_TITLES[intent]) if intent in TOPIC_TITLES else intent


def _week_rows(
    report: Report, measures: Sequence[str], labels: Sequence[str], language: str
) -> list[tuple[str, list[str]]]:
    return [
        (label, [text(report.cells[measure][index], measure, language) for measure in measures])
        for index, label in enumerate(labels)
    ]


def _values(cells: Sequence[Cell]) -> list[float | None]:
    return [None if cell.suppressed else cell.value for cell in cells]


class _Sections:
    """The page's sections for one report, in the console language."""

    def __init__(self, report: Report, row_labels: list[str], language: str) -> None:
        self.report, self.rows, self.language = report, row_labels, language
        self.axis = [str(week.number) for week in report.weeks]
        span = f"{report.weeks[0].label} – {report.weeks[-1].label}"
        self.period = gettext(language, "Weeks %(span)s.", span=span)

    def _table(self, caption: str, columns: dict[str, str]) -> Table:
        return Table(
            caption,
            [gettext(self.language, "Week"), *columns.values()],
            _week_rows(self.report, list(columns), self.rows, self.language),
        )

    def _count(self, value: float) -> str:
        return str(format_decimal(value, "#,##0.#", locale=self.language))

    def _percent(self, value: float) -> str:
        return str(format_percent(value, "#,##0.# %", locale=self.language))

    def conversations(self) -> Section:
        languages = self.report.family(m.LANGUAGE)
        columns = {m.CONVERSATIONS: gettext(self.language, "Conversations")}
        columns.update({measure: _language(m.part_of(measure), self.language) for measure in languages})
        heading = gettext(self.language, "Conversations per week by language")
        chart = charts.stacked_bars(
            "chart-languages",
            heading,
            " ".join(
                (gettext(self.language, "Bars: conversations started each week, split by their language."), self.period)
            ),
            self.axis,
            _values(self.report.cells[m.CONVERSATIONS]),
            [
                charts.Series(columns[measure], _values(self.report.cells[measure]))
                for measure in languages
                if self.report.shown(measure)
            ],
            gettext(self.language, "Hidden (fewer than five each)"),
            self._count,
            "<5",
        )
        return Section("languages", heading, self._table(heading, columns), chart)

    def channels(self) -> Section:
        columns = {m.CONVERSATIONS: gettext(self.language, "Conversations")}
        names = {"web": gettext(self.language, "Web chat"), "telegram": "Telegram"}
        columns.update(
            {measure: names.get(m.part_of(measure), m.part_of(measure)) for measure in self.report.family(m.CHANNEL)}
        )
        columns[m.USER_MESSAGES] = gettext(self.language, "Messages from users")
        heading = gettext(self.language, "Conversations and messages")
        return Section("channels", heading, self._table(heading, columns))

    def unanswered(self) -> Section:
        columns = {
            m.USER_MESSAGES: gettext(self.language, "Messages from users"),
            m.NOT_UNDERSTOOD_RATE: gettext(self.language, "Not understood"),
            m.OUT_OF_SCOPE_RATE: gettext(self.language, "Outside what Lotsen knows"),
        }
        heading = gettext(self.language, "Unanswered questions per week")
        chart = charts.lines(
            "chart-unanswered",
            heading,
            " ".join(
                (
                    gettext(
                        self.language,
                        "Lines: the share of users' messages the bot did not understand, and the share "
                        "about something outside what Lotsen knows.",
                    ),
                    self.period,
                )
            ),
            self.axis,
            [
                charts.Series(columns[measure], _values(self.report.cells[measure]))
                for measure in (m.NOT_UNDERSTOOD_RATE, m.OUT_OF_SCOPE_RATE)
            ],
            self._percent,
        )
        return Section("unanswered", heading, self._table(heading, columns), chart)

    def topics(self) -> Section:
        heading = gettext(self.language, "Topics answered")
        listed = [measure for measure in self.report.family(m.TOPIC) if self.report.shown(measure)]
        rows = [
            (
                _topic(m.part_of(measure), self.language),
                [text(cell, measure, self.language) for cell in self.report.cells[measure]],
            )
            for measure in listed
        ]
        table = Table(heading, [gettext(self.language, "Topic"), *self.rows], rows) if rows else None
        note = gettext(self.language, "Topics answered in fewer than five conversations in every week are not listed.")
        return Section("topics", heading, table, note=note)

    def handoffs(self) -> Section:
        columns = {
            m.HANDOFFS_REQUESTED: gettext(self.language, "Asked for a person"),
            m.HANDOFFS_TAKEN: gettext(self.language, "Taken over"),
            m.HANDOFFS_EXPIRED: gettext(self.language, "Expired unanswered"),
            m.WAIT_MEDIAN: gettext(self.language, "Wait, median (min)"),
            m.WAIT_P90: gettext(self.language, "Wait, 90th percentile (min)"),
        }
        heading = gettext(self.language, "Waiting for a person")
        chart = charts.lines(
            "chart-waits",
            heading,
            " ".join(
                (
                    gettext(
                        self.language,
                        "Lines: minutes from asking for a person until someone took over, median and "
                        "90th percentile, by the week the person asked.",
                    ),
                    self.period,
                )
            ),
            self.axis,
            [
                charts.Series(gettext(self.language, "Median"), _values(self.report.cells[m.WAIT_MEDIAN])),
                charts.Series(gettext(self.language, "90th percentile"), _values(self.report.cells[m.WAIT_P90])),
            ],
            self._count,
        )
        return Section("handoffs", heading, self._table(heading, columns), chart)

    def tickets(self) -> Section:
        names = {
            ("message", "created"): gettext(self.language, "Messages left"),
            ("message", "done"): gettext(self.language, "Messages done"),
            ("callback", "created"): gettext(self.language, "Callbacks asked for"),
            ("callback", "done"): gettext(self.language, "Callbacks done"),
        }
        columns = {m.key(m.TICKETS, kind, step): name for (kind, step), name in names.items()}
        heading = gettext(self.language, "Messages left and callbacks")
        return Section("tickets", heading, self._table(heading, columns))

    def feedback(self) -> Section:
        heading = gettext(self.language, "Feedback on answers")
        if not self.report.feedback_given:
            return Section("feedback", heading, None, note=gettext(self.language, "No feedback yet."))
        values = {"up": gettext(self.language, "helped"), "down": gettext(self.language, "did not help")}
        rows = []
        for measure in self.report.family(m.FEEDBACK):
            topic, _, value = m.part_of(measure).rpartition(".")
            label = f"{_topic(topic, self.language)}: {values.get(value, value)}"
            rows.append((label, [text(cell, measure, self.language) for cell in self.report.cells[measure]]))
        note = gettext(
            self.language, "Topics with feedback from fewer than five conversations in every week are not listed."
        )
        return Section(
            "feedback",
            heading,
            Table(heading, [gettext(self.language, "Topic"), *self.rows], rows) if rows else None,
            note=note,
        )

    def all(self) -> list[Section]:
        return [
            self.conversations(),
            self.channels(),
            self.unanswered(),
            self.topics(),
            self.handoffs(),
            self.tickets(),
            self.feedback(),
        ]


def week_label(week: Week, language: str, current: bool, maybe_incomplete: bool) -> str:
    """ "2026-W48 (23 nov. 2026)", with "so far" for the current week and * when
    retention may have made it incomplete."""
    label = f"{week.label} ({format_date(week.monday, 'medium', locale=language)})"
    if current:
        so_far = gettext(language, "(so far)")
        label = f"{label} {so_far}"
    return f"{label} *" if maybe_incomplete else label


def context(tallies: Tallies, view: View, language: str, now: datetime, retention_days: int) -> dict[str, object]:
    """The template's context for one view (the caller adds the account and the URLs)."""
    report = build(tallies, combined(view, tallies))
    maybe_incomplete = incomplete(tallies, now, retention_days)
    last = len(report.weeks) - 1
    labels = [week_label(week, language, i == last, maybe_incomplete[i]) for i, week in enumerate(report.weeks)]
    everywhere = (
        gettext(language, "All municipalities") if view.scope is None else gettext(language, "All your municipalities")
    )
    return {
        "sections": _Sections(report, labels, language).all(),
        "view": view,
        "options": [("", everywhere)] + [(mid, municipality_name(mid, language)) for mid in view.options()],
        "weeks_choices": WEEKS_BACK,
        "retention_days": retention_days,
        "any_incomplete": any(maybe_incomplete),
        "any_partial": any(cell.partial for cells in report.cells.values() for cell in cells),
        "title": municipality_name(view.municipality, language) if view.municipality else everywhere,
    }

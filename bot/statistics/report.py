"""From raw amounts to the cells a page, a chart or the CSV shows.

A report is one view: one municipality, or several combined ("all my municipalities").
Combining adds the municipalities' raw amounts first (`measures.combined`) and only then
takes shares and medians. Each municipality's own report comes first (every cell by
the privacy rule, then its breakdown rule over languages and channels); a combined
report adds only what those show (`privacy.addable`). So nothing here or after it sees
a number it may not show.

Which measures a report lists is fixed where the values are known in advance (supported
languages, channels, topic intents, ticket kinds) and otherwise only when a cell is shown:
listing a rare code just because it occurred would tell that it occurred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, reduce

from babel import Locale
from babel.numbers import NumberPattern, get_decimal_symbol, get_group_symbol, parse_pattern

from bot.statistics import measures as m
from bot.statistics import privacy
from bot.statistics.measures import Amount, Measured, Spread, combined
from bot.statistics.privacy import Cell
from bot.statistics.queries import Tallies
from bot.statistics.weeks import Week
from lotsen.languages import supported_codes
from lotsen.topics import TOPIC_TITLES

CHANNELS = ("web", "telegram")
RATES = (m.NOT_UNDERSTOOD_RATE, m.OUT_OF_SCOPE_RATE)
QUANTILES = {m.WAIT_MEDIAN: 0.5, m.WAIT_P90: 0.9}
BREAKDOWNS = (m.LANGUAGE, m.CHANNEL)  # families whose parts add up to `conversations`


def known_measures() -> list[str]:
    """The measures every report lists, in the page's order (families' extras aside)."""
    return [
        m.CONVERSATIONS,
        *(m.key(m.LANGUAGE, code) for code in (*supported_codes(), m.UNKNOWN)),
        *(m.key(m.CHANNEL, channel) for channel in CHANNELS),
        m.USER_MESSAGES,
        *RATES,
        *(m.key(m.TOPIC, topic) for topic in TOPIC_TITLES),
        m.HANDOFFS_REQUESTED,
        m.HANDOFFS_TAKEN,
        m.HANDOFFS_EXPIRED,
        m.WAIT_MEDIAN,
        m.WAIT_P90,
        *(m.key(m.TICKETS, kind, step) for kind in m.TICKET_KINDS for step in m.TICKET_STEPS),
    ]


@dataclass(frozen=True)
class Report:
    """One cell per week for each listed measure, in order; `weeks[i]` is column i."""

    weeks: list[Week]
    cells: dict[str, list[Cell]]
    feedback_given: bool  # any feedback at all (else the page says "no feedback yet")

    def family(self, family: str) -> list[str]:
        return [measure for measure in self.cells if m.family_of(measure) == family]

    def shown(self, measure: str) -> bool:
        return any(not cell.suppressed for cell in self.cells.get(measure, ()))


def _raw_key(measure: str) -> str:
    return m.WAITS if measure in QUANTILES else measure


def _measured(amount: Amount | None, measure: str) -> Measured | None:
    if isinstance(amount, Spread):
        return amount.quantile(QUANTILES[measure])
    return amount


def _extras(tallies: Tallies, municipalities: Sequence[str | None], known: set[str]) -> list[str]:
    """Measures in the data beyond the known ones (a new language, topic, feedback),
    sorted, each listed only if one of its cells turns out to be shown."""
    seen = {
        measure
        for municipality in municipalities
        for index in range(len(tallies.weeks))
        for measure in tallies.amounts.get((index, municipality), {})
    }
    wanted = {_raw_key(measure) for measure in known}
    return sorted(measure for measure in seen - wanted if measure != m.WAITS)


Raw = dict[str, list[Amount | None]]  # measure → the raw amount of each week
Cells = dict[str, list[Cell]]  # measure → the cell of each week


def _alone(tallies: Tallies, municipality: str | None, measures: Sequence[str]) -> tuple[Raw, Cells]:
    """One municipality's raw amounts and cells: each cell by itself, then the
    breakdown rule over languages and channels."""
    raw: Raw = {}
    cells: Cells = {}
    for measure in measures:
        raw[measure] = [
            tallies.amounts.get((index, municipality), {}).get(_raw_key(measure)) for index in range(len(tallies.weeks))
        ]
        cells[measure] = [privacy.cell(_measured(amount, measure)) for amount in raw[measure]]
    _breakdowns(raw, cells, measures, len(tallies.weeks))
    return raw, cells


def _together(tallies: Tallies, municipalities: Sequence[str | None], measures: Sequence[str]) -> tuple[Raw, Cells]:
    """Several municipalities in one number: each adds only what its own report shows
    (`privacy.addable`), so the sum holds nothing the single reports do not."""
    alone = [_alone(tallies, municipality, measures) for municipality in municipalities]
    raw: Raw = {}
    cells: Cells = {}
    for measure in measures:
        raw[measure], cells[measure] = [], []
        for index in range(len(tallies.weeks)):
            used, partial = privacy.addable([(r[measure][index], c[measure][index]) for r, c in alone])
            total = reduce(combined, used) if used else None
            raw[measure].append(total)
            cells[measure].append(privacy.cell(_measured(total, measure), partial))
    _breakdowns(raw, cells, measures, len(tallies.weeks))
    return raw, cells


def _breakdowns(raw: Raw, cells: Cells, measures: Sequence[str], weeks: int) -> None:
    for family in BREAKDOWNS:
        members = [measure for measure in measures if m.family_of(measure) == family]
        for index in range(weeks):
            fixed = privacy.breakdown(
                cells[m.CONVERSATIONS][index],
                raw[m.CONVERSATIONS][index],
                {measure: (raw[measure][index], cells[measure][index]) for measure in members},
            )
            for measure, cell in fixed.items():
                cells[measure][index] = cell


def build(tallies: Tallies, municipalities: Sequence[str | None]) -> Report:
    """The report of `municipalities` combined (one of them: that municipality alone)."""
    known = known_measures()
    extras = _extras(tallies, municipalities, set(known))
    measures = [*known, *extras]
    if len(municipalities) == 1:
        _, cells = _alone(tallies, municipalities[0], measures)
    else:
        _, cells = _together(tallies, municipalities, measures)
    listed = {measure: cells[measure] for measure in known}
    listed.update({measure: cells[measure] for measure in extras if any(not c.suppressed for c in cells[measure])})
    feedback_given = any(m.family_of(measure) == m.FEEDBACK for measure in extras)
    return Report(list(tallies.weeks), listed, feedback_given)


def incomplete(tallies: Tallies, now: datetime, retention_days: int) -> list[bool]:
    """Per week: whether retention may have deleted some of its conversations before it
    was counted (frozen, or counted live now)."""
    keep = timedelta(days=retention_days)
    return [tallies.frozen.get(index, now) - keep > week.start for index, week in enumerate(tallies.weeks)]


@cache
def _symbols(language: str) -> tuple[str, str, NumberPattern]:
    """The console language's group and decimal signs, and its percent pattern."""
    locale = Locale.parse(language)
    return get_group_symbol(locale), get_decimal_symbol(locale), parse_pattern("#,##0.0 %")


def _decimal(value: float, places: int, language: str) -> str:
    group, decimal, _ = _symbols(language)
    return f"{value:,.{places}f}".replace(",", "\0").replace(".", decimal).replace("\0", group)


def text(cell: Cell, measure: str, language: str) -> str:
    """A cell as the page writes it in the console language: "<5", "12,5 %", "4,5", "1 200"
    (plain Python formatting with CLDR's signs for counts and minutes: a 52-week page has
    thousands of cells, and Babel's general formatter takes ~40 µs each)."""
    if cell.suppressed:
        return privacy.SUPPRESSED
    if cell.value is None:
        return "–"
    if measure in RATES:
        shown = str(_symbols(language)[2].apply(cell.value, Locale.parse(language)))
    else:
        shown = _decimal(cell.value, 1 if measure in QUANTILES else 0, language)
    return f"{shown} {privacy.PARTIAL}" if cell.partial else shown


def plain(cell: Cell, measure: str) -> str:
    """A cell as the CSV writes it: "<5", "0.1250" (a share), "4.5" (minutes), "120"."""
    if cell.suppressed:
        return privacy.SUPPRESSED
    if cell.value is None:
        return ""
    if measure in RATES:
        return f"{cell.value:.4f}"
    if measure in QUANTILES:
        return f"{cell.value:.1f}"
    return str(round(cell.value))

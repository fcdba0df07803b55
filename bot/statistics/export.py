"""The statistics as CSV: one row per week × municipality × measure.

Columns: `week` (ISO, "2026-W48"), `week_start` (its Monday, a Stockholm date),
`municipality` (an id, or `none` for conversations that have not named one), `measure`
(the stable keys of `measures.py`), `value` — a count, a share as a fraction ("0.1250"),
minutes with one decimal, or "<5" where the privacy rule hides it. Each municipality is
its own report, so no row combines several (the page's "all" view is not repeated here).

Nothing in it comes from what anyone wrote: measure keys, ids and numbers only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.statistics.queries import Tallies
from bot.statistics.report import build, plain

COLUMNS = ("week", "week_start", "municipality", "measure", "value")
NONE = "none"


def rows(tallies: Tallies, municipalities: Sequence[str | None]) -> list[tuple[str, str, str, str, str]]:
    reports = [(municipality, build(tallies, [municipality])) for municipality in municipalities]
    return [
        (week.label, week.monday.isoformat(), municipality or NONE, measure, plain(cells[index], measure))
        for index, week in enumerate(tallies.weeks)
        for municipality, report in reports
        for measure, cells in report.cells.items()
    ]


def csv_text(tallies: Tallies, municipalities: Sequence[str | None]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(tallies, municipalities))
    return out.getvalue()

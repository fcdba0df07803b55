"""The one place that decides which numbers may be shown.

A number resting on fewer than `MIN_CONVERSATIONS` conversations could point at a
person ("the one Tigrinya speaker in Båstad asked about violence in week 48"), so it is
replaced by "<5" — on the page, in the charts' tables and in the CSV alike, because all
of them show `Cell`s made here and nothing else.

Hiding a cell is not enough when the others give it away by subtraction, so two more
rules keep the hidden remainder at 0 or at least `MIN_CONVERSATIONS`:

- a breakdown whose total is shown (conversations by language or by channel): when the
  hidden parts add up to 1–4 conversations, the smallest shown parts are hidden too;
- a combined view (several municipalities in one number): when the municipalities
  whose own number is hidden add up to 1–4 conversations, the combined number is hidden
  too — otherwise "all" minus the municipalities shown would reveal the small one.

Zero is "<5" as well: a cell is shown only when it rests on five conversations or more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.statistics.measures import Amount

MIN_CONVERSATIONS = 5
SUPPRESSED = "<5"


@dataclass(frozen=True)
class Cell:
    """A number as it may be shown: `value`, or nothing when `suppressed` (always shown
    as `SUPPRESSED`). Made only by this module's functions."""

    value: float | None
    suppressed: bool


HIDDEN = Cell(None, suppressed=True)


def _small(conversations: int) -> bool:
    return 0 < conversations < MIN_CONVERSATIONS


def conversations_of(amount: Amount | None) -> int:
    return amount.conversations if amount is not None else 0


def hidden_parts(parts: Iterable[Amount | None]) -> int:
    """The conversations in the parts of a combined number that are hidden on their own."""
    return sum(n for n in map(conversations_of, parts) if _small(n))


def cell(amount: Amount | None, hidden_in_parts: int = 0) -> Cell:
    """The cell for one measure: hidden when it rests on fewer than five conversations,
    or (a combined number) when its hidden parts hold 1–4 conversations."""
    if conversations_of(amount) < MIN_CONVERSATIONS or _small(hidden_in_parts):
        return HIDDEN
    assert amount is not None
    return Cell(amount.value, suppressed=False)


def breakdown(total: Cell, total_amount: Amount | None, parts: Mapping[str, Amount | None]) -> dict[str, Cell]:
    """Cells for the parts of a shown total (conversations by language): each part by
    `cell`, then the smallest shown parts hidden until the hidden remainder is 0 or at
    least five conversations. With the total hidden there is nothing to subtract from."""
    cells = {name: cell(amount) for name, amount in parts.items()}
    if total.suppressed:
        return cells
    shown = sorted(
        (conversations_of(parts[name]), name) for name, result in cells.items() if not result.suppressed
    )
    remainder = conversations_of(total_amount) - sum(n for n, _ in shown)
    for n, name in shown:
        if not _small(remainder):
            break
        cells[name] = HIDDEN
        remainder += n
    return cells

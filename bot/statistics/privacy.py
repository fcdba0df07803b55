"""The one place that decides which numbers may be shown.

A number resting on fewer than `MIN_CONVERSATIONS` conversations could point at a
person ("the one Tigrinya speaker in Båstad asked about violence in week 48"), so it is
replaced by "<5" — on the page, in the charts' tables and in the CSV alike, because all
of them show `Cell`s made here and nothing else. Zero is "<5" as well: a cell is shown
only when it rests on five conversations or more.

Hiding a cell is not enough when the others give it away by subtraction, hence two more
rules:

- **A breakdown whose total is shown** (conversations by language or by channel): when
  its hidden parts add up to 1–4 conversations, the smallest shown parts are hidden too
  (also as "<5": a different mark would tell which one to subtract).
- **A combined view** (several municipalities in one number, "all my municipalities")
  adds up only what each municipality's own report shows, and marks the cell `partial`
  when it had to leave something out. Adding a hidden part — however large, since a
  part may be hidden only to protect a small one — would let "all" minus the others
  give it away. So a combined number is a sum of shown numbers and tells nothing they
  do not, and a week's 1 700 conversations are not shown as "<5" because Båstad had 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.statistics.measures import Amount, Measured

MIN_CONVERSATIONS = 5
SUPPRESSED = "<5"
PARTIAL = "†"  # the page's mark for a combined number that leaves small parts out


@dataclass(frozen=True)
class Cell:
    """A number as it may be shown: `value`, or nothing when `suppressed` (always shown
    as `SUPPRESSED`); `partial`: a combined number without its small parts. Made only
    by this module's functions."""

    value: float | None
    suppressed: bool
    partial: bool = False


HIDDEN = Cell(None, suppressed=True)


def _small(conversations: int) -> bool:
    return 0 < conversations < MIN_CONVERSATIONS


def conversations_of(amount: Measured | None) -> int:
    return amount.conversations if amount is not None else 0


def addable(parts: Sequence[tuple[Amount | None, Cell]]) -> tuple[list[Amount], bool]:
    """Of the municipalities' (amount, own cell) pairs, the amounts a combined number
    may add up — those whose own cell is shown — and whether any left out counted
    something (the combined cell is then `partial`)."""
    used = [amount for amount, own in parts if amount is not None and not own.suppressed]
    left_out = any(amount is not None and amount.conversations > 0 and own.suppressed for amount, own in parts)
    return used, left_out


def cell(amount: Measured | None, partial: bool = False) -> Cell:
    """The cell for one measure: hidden when it rests on fewer than five conversations."""
    if amount is None or amount.conversations < MIN_CONVERSATIONS:
        return HIDDEN
    return Cell(amount.value, suppressed=False, partial=partial)


def breakdown(
    total: Cell, total_amount: Measured | None, parts: Mapping[str, tuple[Measured | None, Cell]]
) -> dict[str, Cell]:
    """The parts' cells of a shown total (conversations by language), given each part's
    amount and its own cell: the smallest shown parts are hidden too until the hidden
    remainder is 0 or at least five conversations. With the total hidden there is
    nothing to subtract from, so the parts stay as they are."""
    cells = {name: shown for name, (_, shown) in parts.items()}
    if total.suppressed:
        return cells
    visible = sorted(
        (conversations_of(amount), name) for name, (amount, shown) in parts.items() if not shown.suppressed
    )
    remainder = conversations_of(total_amount) - sum(n for n, _ in visible)
    for n, name in visible:
        if not _small(remainder):
            break
        cells[name] = HIDDEN
        remainder += n
    return cells

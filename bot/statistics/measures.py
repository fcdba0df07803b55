"""What the statistics measure, and the raw amounts behind each number.

Every number on the page is one measure for one week and one municipality. Its raw
amount knows how many conversations it rests on (`conversations`), which is what the
privacy rule looks at, and how to add up with the same measure of another municipality
(the page's "all municipalities" view): counts add, shares add their parts and wholes,
wait times pool their minutes before the median is taken. So combining never averages
averages, and a combined cell rests on the conversations of all its parts.

Measure keys are stable, machine-readable names (the CSV's `measure` column):
`conversations`, `language.ar`, `channel.web`, `topic.ask_bankid`, `tickets.callback.done`…
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Measure keys (see the module docstring); the ones with a part after a dot are families.
CONVERSATIONS = "conversations"
LANGUAGE = "language"
CHANNEL = "channel"
USER_MESSAGES = "user_messages"
NOT_UNDERSTOOD_RATE = "not_understood_rate"
OUT_OF_SCOPE_RATE = "out_of_scope_rate"
TOPIC = "topic"
HANDOFFS_REQUESTED = "handoffs_requested"
HANDOFFS_TAKEN = "handoffs_taken"
HANDOFFS_EXPIRED = "handoffs_expired"
WAITS = "wait_minutes"  # raw only: the minutes each taken handoff waited; shown as the two below
WAIT_MEDIAN = "wait_median_minutes"
WAIT_P90 = "wait_p90_minutes"
TICKETS = "tickets"
FEEDBACK = "feedback"

TICKET_KINDS = ("message", "callback")
TICKET_STEPS = ("created", "done")
FEEDBACK_VALUES = ("up", "down")
UNKNOWN = "unknown"  # a conversation whose language is not known yet


def key(family: str, *parts: str) -> str:
    """`key("language", "ar")` → "language.ar"."""
    return ".".join((family, *parts))


def family_of(measure: str) -> str:
    return measure.split(".", 1)[0]


def part_of(measure: str) -> str:
    """The part after the family: "ar" of "language.ar"."""
    return measure.split(".", 1)[1] if "." in measure else ""


@dataclass(frozen=True)
class Count:
    """How many (conversations, messages, handoffs…), and in how many conversations."""

    n: int
    conversations: int

    @property
    def value(self) -> float:
        return float(self.n)

    def __add__(self, other: Count) -> Count:
        return Count(self.n + other.n, self.conversations + other.conversations)


@dataclass(frozen=True)
class Share:
    """`part` of `whole` (e.g. user messages not understood of all user messages)."""

    part: int
    whole: int
    conversations: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def __add__(self, other: Share) -> Share:
        return Share(self.part + other.part, self.whole + other.whole, self.conversations + other.conversations)


@dataclass(frozen=True)
class Spread:
    """How long each taken handoff waited, in minutes (raw; shown as `Quantile`s)."""

    minutes: tuple[float, ...]
    conversations: int

    @property
    def value(self) -> float | None:
        return None  # a spread is shown through its quantiles

    def quantile(self, quantile: float) -> Quantile:
        return Quantile(self, quantile)

    def __add__(self, other: Spread) -> Spread:
        return Spread(self.minutes + other.minutes, self.conversations + other.conversations)


@dataclass(frozen=True)
class Quantile:
    """One quantile of a spread (0.5: the median, 0.9: p90), resting on its conversations."""

    spread: Spread
    quantile: float

    @property
    def conversations(self) -> int:
        return self.spread.conversations

    @property
    def value(self) -> float | None:
        return percentile(self.spread.minutes, self.quantile)


Amount = Count | Share | Spread  # what is stored and combined


class Measured(Protocol):
    """Anything a cell can show: a value, and the conversations it rests on."""

    @property
    def conversations(self) -> int: ...

    @property
    def value(self) -> float | None: ...


def combined(first: Amount, second: Amount) -> Amount:
    """Two municipalities' amounts of the same measure, added up."""
    if isinstance(first, Count) and isinstance(second, Count):
        return first + second
    if isinstance(first, Share) and isinstance(second, Share):
        return first + second
    if isinstance(first, Spread) and isinstance(second, Spread):
        return first + second
    raise TypeError(f"cannot combine {type(first).__name__} with {type(second).__name__}")


def percentile(values: Sequence[float], quantile: float) -> float | None:
    """The quantile by linear interpolation between the closest ranks — what PostgreSQL's
    `percentile_cont` and a spreadsheet's PERCENTILE give, so a municipality can check
    the page against its own export. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = quantile * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

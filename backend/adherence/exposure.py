"""Plan-calendar arithmetic with no database: planned days, held days, days on drug.

Per docs/clinical-facts.md (§3.3, DESIGN) a hold never moves the calendar end date; instead the plan
counts days on drug and flags a shortfall below a threshold of the planned days.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DateSpan:
    """Inclusive range of dates; `last=None` means open-ended."""

    first: date
    last: date | None

    def overlaps(self, other: "DateSpan") -> bool:
        self_last = self.last or date.max
        other_last = other.last or date.max
        return self.first <= other_last and other.first <= self_last

    def covers(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)


def days_between_inclusive(first: date, last: date) -> int:
    return max(0, (last - first).days + 1)


def held_days(holds: Iterable[DateSpan], first: date, last: date) -> int:
    """How many days in [first, last] fall inside at least one hold (overlaps counted once)."""
    if last < first:
        return 0
    clipped = sorted(
        (max(hold.first, first), min(hold.last or last, last))
        for hold in holds
        if hold.first <= last and (hold.last is None or hold.last >= first)
    )
    total = 0
    current_first: date | None = None
    current_last = first
    for span_first, span_last in clipped:
        if current_first is None or span_first > current_last + timedelta(days=1):
            if current_first is not None:
                total += days_between_inclusive(current_first, current_last)
            current_first, current_last = span_first, span_last
        else:
            current_last = max(current_last, span_last)
    if current_first is not None:
        total += days_between_inclusive(current_first, current_last)
    return total


@dataclass(frozen=True)
class Exposure:
    planned_days: int | None  # None for an indefinite plan
    elapsed_days: int  # plan days up to and including `today` (0 before the start)
    held_days_so_far: int
    days_on_drug: int  # elapsed days that were not held
    days_remaining: int | None  # after today, up to the end date; None if indefinite
    shortfall: bool  # at or after the end: days on drug below the threshold
    shortfall_likely: bool  # before the end: already impossible to reach the threshold


def plan_exposure(
    *,
    start: date,
    planned_end: date | None,
    holds: Iterable[DateSpan],
    today: date,
    shortfall_threshold: float,
) -> Exposure:
    holds = list(holds)
    last_counted = today if planned_end is None else min(today, planned_end)
    elapsed = days_between_inclusive(start, last_counted)
    held_so_far = held_days(holds, start, last_counted)
    on_drug = elapsed - held_so_far
    if planned_end is None:
        return Exposure(None, elapsed, held_so_far, on_drug, None, False, False)
    planned = days_between_inclusive(start, planned_end)
    remaining = max(0, (planned_end - max(today, start - timedelta(days=1))).days)
    needed = shortfall_threshold * planned
    finished = today >= planned_end
    # The most the patient can still reach: every remaining day not in a hold that has an end
    # date (an open-ended hold is not assumed to last: a clinician ends it).
    closed_holds = [hold for hold in holds if hold.last is not None]
    held_ahead = held_days(closed_holds, max(last_counted + timedelta(days=1), start), planned_end)
    best_reachable = on_drug + remaining - held_ahead
    return Exposure(
        planned_days=planned,
        elapsed_days=elapsed,
        held_days_so_far=held_so_far,
        days_on_drug=on_drug,
        days_remaining=remaining,
        shortfall=finished and on_drug < needed,
        shortfall_likely=not finished and best_reachable < needed,
    )

"""Expand a plan into dated dose slots in the patient's own time zone (no database).

A dose is identified by its local date and slot number, never by a UTC instant: a patient who
takes imatinib "at 08:00" does so at 08:00 on their wall clock whatever the offset, and a
daylight-saving change must neither drop a dose nor create a second one. The UTC instant
(`due_at`) is derived per dose only for reminders and the missed-dose sweep.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo

from backend.adherence.exposure import DateSpan


@dataclass(frozen=True)
class RegimenPeriod:
    """One plan revision: the dose times in force from `effective_date` on."""

    effective_date: date
    dose_times: tuple[time, ...]  # local wall-clock times, strictly increasing; slot n = [n-1]

    def __post_init__(self) -> None:
        # Slot numbers are positions in this tuple, so an unsorted or repeated time would give
        # the same dose two identities (or two doses one identity).
        for earlier, later in zip(self.dose_times, self.dose_times[1:], strict=False):
            if not earlier < later:
                raise ValueError("dose_times must be strictly increasing")
        for wall_time in self.dose_times:
            if wall_time.tzinfo is not None:
                raise ValueError("dose_times are local wall-clock times: no tzinfo")


@dataclass(frozen=True)
class ZonePeriod:
    """The patient's IANA zone from `effective_date` on (the first period may use date.min)."""

    effective_date: date
    time_zone: str


@dataclass(frozen=True)
class ScheduledDose:
    date: date  # the dose day, in the patient's zone
    slot: int  # 1-based position in the day's dose times
    local_time: time
    time_zone: str  # the zone in force on that date
    due_at: datetime  # UTC-aware instant of date + local_time in that zone
    on_hold: bool  # the date is inside a hold: shown, but excluded from adherence counts


def dose_due_at(day: date, wall_time: time, time_zone: str) -> datetime:
    """The UTC instant of a local wall-clock time on a given day.

    fold=0 throughout: a time in a spring-forward gap maps to the instant just after the jump
    (02:30 becomes 03:30 new time), and a time in an autumn overlap to its first occurrence, so
    every (date, slot) has exactly one instant.
    """
    if wall_time.tzinfo is not None:
        raise ValueError("wall_time must be a naive local time")
    return _due_at(day, wall_time, time_zone)


# A cohort shares a few zones and dose times, so the same (day, time, zone) comes back once
# per patient: the conversion (ZoneInfo lookup, combine, astimezone: about 1 us) is made once.
# Datetimes are immutable; time(2, 30, fold=1) == time(2, 30), and both give the fold=0
# instant. About 200 bytes an entry, so at most ~13 MB.
@lru_cache(maxsize=1 << 16)
def _due_at(day: date, wall_time: time, time_zone: str) -> datetime:
    local = datetime.combine(day, wall_time.replace(fold=0), tzinfo=ZoneInfo(time_zone))
    return local.astimezone(UTC)


def grace_ends_at(day: date, time_zone: str, grace: timedelta) -> datetime:
    """When the missed-dose sweep may first mark `day`'s unlogged doses missed.

    That is local midnight at the end of `day` (the start of the next day, fold=0) plus
    `grace`, computed in UTC so a 23- or 25-hour DST day is neither cut short nor stretched.
    """
    return dose_due_at(day + timedelta(days=1), time(0), time_zone) + grace


def zone_on(zones: Sequence[ZonePeriod], day: date) -> str:
    """The zone in force on `day`: the period with the latest effective_date <= day.

    A tie on effective_date goes to the period later in the sequence (pass them in creation
    order). A day before every period uses the earliest one: the first zone we know of is the
    best guess, and refusing would make a plan that predates the zone history unreadable.
    """
    if not zones:
        raise ValueError("at least one ZonePeriod is needed")
    ordered = sorted(zones, key=attrgetter("effective_date"))
    chosen = ordered[0]
    for period in ordered:
        if period.effective_date > day:
            break
        chosen = period
    return chosen.time_zone


def _merged_holds(holds: Sequence[DateSpan]) -> list[DateSpan]:
    """Disjoint, sorted holds, so one forward pointer answers "is this day held?"."""
    merged: list[DateSpan] = []
    for hold in sorted(holds, key=attrgetter("first")):
        if merged:
            previous = merged[-1]
            if previous.last is None:
                break  # an open-ended hold already covers everything after it
            if hold.first <= previous.last + timedelta(days=1):
                last = None if hold.last is None else max(previous.last, hold.last)
                merged[-1] = DateSpan(previous.first, last)
                continue
        merged.append(hold)
    return merged


def scheduled_doses(
    *,
    start: date,
    end: date | None,
    regimens: Sequence[RegimenPeriod],
    holds: Sequence[DateSpan],
    zones: Sequence[ZonePeriod],
    first: date,
    last: date,
) -> list[ScheduledDose]:
    """Every (date, slot) of the plan between `first` and `last`, sorted by (date, slot).

    The plan runs from `start` to `end` inclusive (`end=None`: indefinite). Each date uses the
    regimen and zone with the latest effective_date <= date; dates before the first regimen have
    no doses. Held dates are included with on_hold=True so callers can show them as "on hold"
    while leaving them out of counts. One forward pass over the days: O(days + periods).
    """
    window_first = max(first, start)
    window_last = last if end is None else min(last, end)
    if window_last < window_first:
        return []
    if not zones:
        raise ValueError("at least one ZonePeriod is needed")

    ordered_regimens = sorted(regimens, key=attrgetter("effective_date"))
    ordered_zones = sorted(zones, key=attrgetter("effective_date"))
    merged_holds = _merged_holds(holds)

    regimen_index = -1  # none in force yet
    zone_index = 0  # a day before every zone period uses the earliest (see zone_on)
    hold_index = 0
    doses: list[ScheduledDose] = []
    day = window_first
    one_day = timedelta(days=1)
    while day <= window_last:
        while (
            regimen_index + 1 < len(ordered_regimens)
            and ordered_regimens[regimen_index + 1].effective_date <= day
        ):
            regimen_index += 1
        while (
            zone_index + 1 < len(ordered_zones)
            and ordered_zones[zone_index + 1].effective_date <= day
        ):
            zone_index += 1
        while (
            hold_index < len(merged_holds)
            and (hold_last := merged_holds[hold_index].last) is not None
            and hold_last < day
        ):
            hold_index += 1
        if regimen_index >= 0:
            time_zone = ordered_zones[zone_index].time_zone
            on_hold = hold_index < len(merged_holds) and merged_holds[hold_index].covers(day)
            for slot, wall_time in enumerate(ordered_regimens[regimen_index].dose_times, 1):
                doses.append(
                    ScheduledDose(
                        date=day,
                        slot=slot,
                        local_time=wall_time,
                        time_zone=time_zone,
                        due_at=_due_at(day, wall_time, time_zone),  # naive: __post_init__
                        on_hold=on_hold,
                    )
                )
        day += one_day
    return doses

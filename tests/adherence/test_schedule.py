"""Dose schedule expansion in the patient's zone (pure: no database, no Django).

Offsets used below (tz database 2025/2026, checked against zoneinfo):
- America/Los_Angeles: PST -8 / PDT -7; spring forward 9 Mar 2025 and 8 Mar 2026 at 02:00
  (02:00-02:59 does not exist), fall back 2 Nov 2025 and 1 Nov 2026 at 02:00 (01:00-01:59 twice).
- Europe/Berlin: CET +1 / CEST +2; spring 30 Mar 2025 and 29 Mar 2026 at 02:00 (gap 02:00-02:59),
  autumn 26 Oct 2025 and 25 Oct 2026 at 03:00 (02:00-02:59 twice).
- Pacific/Auckland: NZST +12 / NZDT +13; DST ends 6 Apr 2025 and 5 Apr 2026 at 03:00 (02:00-02:59
  twice), starts 28 Sep 2025 and 27 Sep 2026 at 02:00 (gap 02:00-02:59).
- Asia/Kolkata: IST +5:30 all year, no DST.
"""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from backend.adherence.dose_schedule import (
    RegimenPeriod,
    ScheduledDose,
    ZonePeriod,
    dose_due_at,
    grace_ends_at,
    scheduled_doses,
    zone_on,
)
from backend.adherence.exposure import DateSpan

ONCE = (time(8),)
TWICE = (time(8), time(20))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def expand(
    zone: str,
    first: date,
    last: date,
    dose_times: tuple[time, ...] = ONCE,
    *,
    holds: list[DateSpan] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[ScheduledDose]:
    return scheduled_doses(
        start=start or first,
        end=end,
        regimens=[RegimenPeriod(date(2020, 1, 1), dose_times)],
        holds=holds or [],
        zones=[ZonePeriod(date.min, zone)],
        first=first,
        last=last,
    )


def per_day(doses: list[ScheduledDose]) -> dict[date, int]:
    return dict(Counter(dose.date for dose in doses))


def assert_unique_and_sorted(doses: list[ScheduledDose]) -> None:
    keys = [(dose.date, dose.slot) for dose in doses]
    assert len(keys) == len(set(keys)), "a (date, slot) appears twice"
    assert keys == sorted(keys)


# (zone, change day, UTC offset in hours the day before, offset on the change day)
DST_CHANGES = [
    ("America/Los_Angeles", date(2025, 3, 9), -8, -7),
    ("America/Los_Angeles", date(2025, 11, 2), -7, -8),
    ("America/Los_Angeles", date(2026, 3, 8), -8, -7),
    ("America/Los_Angeles", date(2026, 11, 1), -7, -8),
    ("Europe/Berlin", date(2025, 3, 30), 1, 2),
    ("Europe/Berlin", date(2025, 10, 26), 2, 1),
    ("Europe/Berlin", date(2026, 3, 29), 1, 2),
    ("Europe/Berlin", date(2026, 10, 25), 2, 1),
    ("Pacific/Auckland", date(2025, 4, 6), 13, 12),
    ("Pacific/Auckland", date(2025, 9, 28), 12, 13),
    ("Pacific/Auckland", date(2026, 4, 5), 13, 12),
    ("Pacific/Auckland", date(2026, 9, 27), 12, 13),
]


def at_offset(day: date, wall: time, offset_hours: float) -> datetime:
    """Local wall time at a fixed offset, as UTC: independent of zoneinfo."""
    return datetime.combine(day, wall, tzinfo=UTC) - timedelta(hours=offset_hours)


@pytest.mark.parametrize(("zone", "change", "before", "after"), DST_CHANGES)
@pytest.mark.parametrize("dose_times", [ONCE, TWICE], ids=["once", "twice"])
def test_every_dose_once_at_the_local_time_across_a_dst_change(
    zone: str, change: date, before: int, after: int, dose_times: tuple[time, ...]
) -> None:
    day_before, day_after = change - timedelta(days=1), change + timedelta(days=1)
    doses = expand(zone, day_before, day_after, dose_times)

    assert_unique_and_sorted(doses)
    assert per_day(doses) == {d: len(dose_times) for d in (day_before, change, day_after)}
    for dose in doses:
        offset = before if dose.date == day_before else after
        assert dose.due_at == at_offset(dose.date, dose.local_time, offset)
        assert dose.time_zone == zone
        assert dose.on_hold is False
    # The wall clock stays put, so the instant moves by the change (23 h or 25 h apart).
    mornings = [dose.due_at for dose in doses if dose.slot == 1]
    assert mornings[1] - mornings[0] == timedelta(hours=24 - (after - before))
    assert mornings[2] - mornings[1] == timedelta(hours=24)


def test_literal_instants_around_the_changes() -> None:
    """A few of the table's instants written out, so a wrong offset table can't hide a bug."""
    la = expand("America/Los_Angeles", date(2025, 3, 8), date(2025, 3, 9), TWICE)
    assert [dose.due_at for dose in la] == [
        utc(2025, 3, 8, 16),  # 08:00 PST
        utc(2025, 3, 9, 4),  # 20:00 PST
        utc(2025, 3, 9, 15),  # 08:00 PDT
        utc(2025, 3, 10, 3),  # 20:00 PDT
    ]
    berlin = expand("Europe/Berlin", date(2026, 10, 24), date(2026, 10, 25), TWICE)
    assert [dose.due_at for dose in berlin] == [
        utc(2026, 10, 24, 6),  # 08:00 CEST
        utc(2026, 10, 24, 18),  # 20:00 CEST
        utc(2026, 10, 25, 7),  # 08:00 CET
        utc(2026, 10, 25, 19),  # 20:00 CET
    ]
    # Auckland is ahead of UTC: the dose dated 6 April local falls on 5 April UTC.
    auckland = expand("Pacific/Auckland", date(2025, 4, 5), date(2025, 4, 6))
    assert [(dose.date, dose.due_at) for dose in auckland] == [
        (date(2025, 4, 5), utc(2025, 4, 4, 19)),  # 08:00 NZDT (+13)
        (date(2025, 4, 6), utc(2025, 4, 5, 20)),  # 08:00 NZST (+12)
    ]


@pytest.mark.parametrize("day", sorted({change for _zone, change, _b, _a in DST_CHANGES}))
def test_kolkata_stays_at_plus_five_thirty(day: date) -> None:
    """Other zones change on these days; Kolkata must not."""
    doses = expand("Asia/Kolkata", day - timedelta(days=1), day + timedelta(days=1), TWICE)
    assert_unique_and_sorted(doses)
    assert per_day(doses) == {day + timedelta(days=n): 2 for n in (-1, 0, 1)}
    for dose in doses:
        # 08:00 IST = 02:30 UTC, 20:00 IST = 14:30 UTC, every day of the year.
        wall = {1: time(2, 30), 2: time(14, 30)}[dose.slot]
        assert dose.due_at == datetime.combine(dose.date, wall, tzinfo=UTC)


def test_kolkata_is_fixed_all_year() -> None:
    doses = expand("Asia/Kolkata", date(2025, 1, 1), date(2026, 12, 31))
    assert len(doses) == 730
    assert {dose.due_at.time() for dose in doses} == {time(2, 30)}


# A dose in the spring-forward gap maps (fold=0) to the instant just after the jump: 02:30 at
# the old offset, which the clock shows as 03:30. It happens once, that day.
SPRING_GAPS = [
    ("America/Los_Angeles", date(2025, 3, 9), utc(2025, 3, 9, 10, 30)),  # 02:30 -8 = 03:30 PDT
    ("America/Los_Angeles", date(2026, 3, 8), utc(2026, 3, 8, 10, 30)),
    ("Europe/Berlin", date(2025, 3, 30), utc(2025, 3, 30, 1, 30)),  # 02:30 +1 = 03:30 CEST
    ("Europe/Berlin", date(2026, 3, 29), utc(2026, 3, 29, 1, 30)),
    ("Pacific/Auckland", date(2025, 9, 28), utc(2025, 9, 27, 14, 30)),  # 02:30 +12 = 03:30 NZDT
    ("Pacific/Auckland", date(2026, 9, 27), utc(2026, 9, 26, 14, 30)),
]

# A dose in the autumn overlap maps to the FIRST occurrence (still on summer time).
AUTUMN_OVERLAPS = [
    ("America/Los_Angeles", date(2025, 11, 2), time(1, 30), utc(2025, 11, 2, 8, 30)),  # -7
    ("America/Los_Angeles", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 8, 30)),
    # Berlin and Auckland repeat 02:00-02:59 (their 01:30 is unambiguous), so test 02:30.
    ("Europe/Berlin", date(2025, 10, 26), time(2, 30), utc(2025, 10, 26, 0, 30)),  # +2
    ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
    ("Pacific/Auckland", date(2025, 4, 6), time(2, 30), utc(2025, 4, 5, 13, 30)),  # +13
    ("Pacific/Auckland", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 13, 30)),
]


@pytest.mark.parametrize(("zone", "change", "expected"), SPRING_GAPS)
def test_a_dose_in_the_spring_gap_happens_once_after_the_jump(
    zone: str, change: date, expected: datetime
) -> None:
    doses = expand(
        zone, change - timedelta(days=1), change + timedelta(days=1), (time(2, 30), time(8))
    )
    assert_unique_and_sorted(doses)
    assert per_day(doses) == {change + timedelta(days=n): 2 for n in (-1, 0, 1)}
    gap_dose = next(d for d in doses if d.date == change and d.slot == 1)
    assert gap_dose.local_time == time(2, 30)
    assert gap_dose.due_at == expected
    assert dose_due_at(change, time(2, 30), zone) == expected
    # The same instant as 03:30 on the new clock: the dose is taken once, right after the jump.
    assert dose_due_at(change, time(3, 30), zone) == expected


@pytest.mark.parametrize(("zone", "change", "wall", "expected"), AUTUMN_OVERLAPS)
def test_a_dose_in_the_autumn_overlap_happens_once_at_the_first_occurrence(
    zone: str, change: date, wall: time, expected: datetime
) -> None:
    doses = expand(zone, change - timedelta(days=1), change + timedelta(days=1), (wall, time(8)))
    assert_unique_and_sorted(doses)
    assert per_day(doses) == {change + timedelta(days=n): 2 for n in (-1, 0, 1)}
    overlap_dose = next(d for d in doses if d.date == change and d.slot == 1)
    assert overlap_dose.due_at == expected
    # fold=1 on the input is ignored: the second occurrence, an hour later, is never used.
    assert dose_due_at(change, wall.replace(fold=1), zone) == expected


def test_kolkata_early_morning_dose_is_the_previous_utc_day() -> None:
    assert dose_due_at(date(2025, 3, 30), time(2, 30), "Asia/Kolkata") == utc(2025, 3, 29, 21)


def test_aware_wall_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        dose_due_at(date(2025, 1, 1), time(8, tzinfo=UTC), "Europe/Berlin")


# --- holds -----------------------------------------------------------------------------------


def test_held_dates_are_included_and_flagged() -> None:
    doses = expand(
        "Europe/Berlin",
        date(2025, 6, 1),
        date(2025, 6, 10),
        TWICE,
        holds=[DateSpan(date(2025, 6, 3), date(2025, 6, 4))],
    )
    assert len(doses) == 20  # 10 days x 2: held doses are not dropped
    held = sorted({dose.date for dose in doses if dose.on_hold})
    assert held == [date(2025, 6, 3), date(2025, 6, 4)]
    assert sum(dose.on_hold for dose in doses) == 4


def test_open_ended_hold_flags_every_later_day() -> None:
    doses = expand(
        "Europe/Berlin",
        date(2025, 6, 1),
        date(2025, 6, 30),
        holds=[DateSpan(date(2025, 6, 20), None)],
    )
    assert [dose.on_hold for dose in doses] == [False] * 19 + [True] * 11


def test_overlapping_adjacent_and_outside_holds() -> None:
    holds = [
        DateSpan(date(2025, 6, 5), date(2025, 6, 8)),
        DateSpan(date(2025, 6, 2), date(2025, 6, 6)),  # overlaps the first (unsorted input)
        DateSpan(date(2025, 6, 9), date(2025, 6, 9)),  # adjacent: merged
        DateSpan(date(2025, 6, 12), date(2025, 6, 12)),
        DateSpan(date(2025, 5, 1), date(2025, 5, 31)),  # before the window
        DateSpan(date(2025, 7, 1), None),  # after the window
    ]
    doses = expand("Europe/Berlin", date(2025, 6, 1), date(2025, 6, 15), holds=holds)
    held_days = [dose.date.day for dose in doses if dose.on_hold]
    assert held_days == [2, 3, 4, 5, 6, 7, 8, 9, 12]


def test_a_closed_hold_inside_an_open_ended_one() -> None:
    holds = [DateSpan(date(2025, 6, 3), None), DateSpan(date(2025, 6, 5), date(2025, 6, 6))]
    doses = expand("Europe/Berlin", date(2025, 6, 1), date(2025, 6, 10), holds=holds)
    assert [dose.date.day for dose in doses if not dose.on_hold] == [1, 2]


# --- plan bounds, regimen and zone changes ------------------------------------------------------


def test_plan_ending_mid_window() -> None:
    doses = expand(
        "Europe/Berlin",
        date(2025, 6, 1),
        date(2025, 6, 30),
        TWICE,
        start=date(2025, 1, 1),
        end=date(2025, 6, 10),
    )
    assert (doses[0].date, doses[-1].date, len(doses)) == (date(2025, 6, 1), date(2025, 6, 10), 20)


def test_plan_starting_mid_window() -> None:
    doses = expand("Europe/Berlin", date(2025, 6, 1), date(2025, 6, 30), start=date(2025, 6, 15))
    assert (doses[0].date, doses[-1].date, len(doses)) == (date(2025, 6, 15), date(2025, 6, 30), 16)


def test_window_outside_the_plan_is_empty() -> None:
    assert expand("Europe/Berlin", date(2025, 6, 1), date(2025, 6, 30), end=date(2025, 5, 31)) == []
    assert expand("Europe/Berlin", date(2025, 6, 30), date(2025, 6, 1)) == []


def test_regimen_change_mid_window() -> None:
    """400 mg at 08:00 until 14 June, then 800 mg as 400 mg at 08:00 and 20:00."""
    doses = scheduled_doses(
        start=date(2025, 6, 1),
        end=None,
        regimens=[
            RegimenPeriod(date(2025, 6, 15), TWICE),  # order of input does not matter
            RegimenPeriod(date(2025, 6, 1), ONCE),
        ],
        holds=[],
        zones=[ZonePeriod(date.min, "Europe/Berlin")],
        first=date(2025, 6, 10),
        last=date(2025, 6, 20),
    )
    counts = per_day(doses)
    assert counts[date(2025, 6, 14)] == 1
    assert counts[date(2025, 6, 15)] == 2
    assert len(doses) == 5 * 1 + 6 * 2  # 10-14 June once, 15-20 June twice
    assert_unique_and_sorted(doses)
    evening = next(d for d in doses if d.date == date(2025, 6, 15) and d.slot == 2)
    assert (evening.local_time, evening.due_at) == (time(20), utc(2025, 6, 15, 18))


def test_no_doses_before_the_first_regimen() -> None:
    doses = scheduled_doses(
        start=date(2025, 6, 1),
        end=None,
        regimens=[RegimenPeriod(date(2025, 6, 5), ONCE)],
        holds=[],
        zones=[ZonePeriod(date.min, "Europe/Berlin")],
        first=date(2025, 6, 1),
        last=date(2025, 6, 7),
    )
    assert [dose.date.day for dose in doses] == [5, 6, 7]
    no_regimen = scheduled_doses(
        start=date(2025, 6, 1),
        end=None,
        regimens=[],
        holds=[],
        zones=[ZonePeriod(date.min, "Europe/Berlin")],
        first=date(2025, 6, 1),
        last=date(2025, 6, 7),
    )
    assert no_regimen == [], "no regimen at all: nothing is due"


def test_zone_change_applies_from_its_effective_date() -> None:
    """The patient moves from Berlin to Los Angeles; the 10 June dose is at 08:00 in LA."""
    zones = [
        ZonePeriod(date(2025, 6, 10), "America/Los_Angeles"),
        ZonePeriod(date.min, "Europe/Berlin"),
    ]
    doses = scheduled_doses(
        start=date(2025, 6, 1),
        end=None,
        regimens=[RegimenPeriod(date(2025, 6, 1), ONCE)],
        holds=[],
        zones=zones,
        first=date(2025, 6, 8),
        last=date(2025, 6, 11),
    )
    assert [(d.date.day, d.time_zone, d.due_at) for d in doses] == [
        (8, "Europe/Berlin", utc(2025, 6, 8, 6)),  # 08:00 CEST
        (9, "Europe/Berlin", utc(2025, 6, 9, 6)),
        (10, "America/Los_Angeles", utc(2025, 6, 10, 15)),  # 08:00 PDT
        (11, "America/Los_Angeles", utc(2025, 6, 11, 15)),
    ]
    assert zone_on(zones, date(2025, 6, 9)) == "Europe/Berlin"
    assert zone_on(zones, date(2025, 6, 10)) == "America/Los_Angeles"


def test_zone_on_ties_and_edges() -> None:
    zones = [
        ZonePeriod(date(2025, 1, 1), "Europe/Berlin"),
        ZonePeriod(date(2025, 1, 1), "Europe/Madrid"),  # same day, later in the sequence: wins
    ]
    assert zone_on(zones, date(2025, 1, 1)) == "Europe/Madrid"
    # Before every period: the earliest known zone rather than a crash.
    assert zone_on(zones, date(2024, 12, 31)) == "Europe/Berlin"
    with pytest.raises(ValueError, match="ZonePeriod"):
        zone_on([], date(2025, 1, 1))
    with pytest.raises(ValueError, match="ZonePeriod"):
        scheduled_doses(
            start=date(2025, 1, 1),
            end=None,
            regimens=[RegimenPeriod(date(2025, 1, 1), ONCE)],
            holds=[],
            zones=[],
            first=date(2025, 1, 1),
            last=date(2025, 1, 2),
        )


def test_dose_times_must_be_increasing_and_naive() -> None:
    with pytest.raises(ValueError, match="increasing"):
        RegimenPeriod(date(2025, 1, 1), (time(20), time(8)))
    with pytest.raises(ValueError, match="increasing"):
        RegimenPeriod(date(2025, 1, 1), (time(8), time(8)))
    with pytest.raises(ValueError, match="tzinfo"):
        RegimenPeriod(date(2025, 1, 1), (time(8, tzinfo=UTC),))


def test_three_years_twice_daily_is_one_pass() -> None:
    doses = expand("Europe/Berlin", date(2025, 1, 1), date(2027, 12, 31), TWICE)
    assert len(doses) == 1095 * 2
    assert_unique_and_sorted(doses)


# --- grace window ------------------------------------------------------------------------------


def test_grace_ends_at_local_midnight_plus_grace() -> None:
    grace = timedelta(hours=6)
    # 15 June in Berlin ends at 16 June 00:00 CEST = 15 June 22:00 UTC; plus 6 h.
    assert grace_ends_at(date(2025, 6, 15), "Europe/Berlin", grace) == utc(2025, 6, 16, 4)
    # Kolkata: midnight IST = 18:30 UTC the same day.
    assert grace_ends_at(date(2025, 6, 15), "Asia/Kolkata", timedelta()) == utc(2025, 6, 15, 18, 30)


@pytest.mark.parametrize(
    ("zone", "day", "end_before", "end_of_day", "hours"),
    [
        # LA spring: 8 Mar ends 9 Mar 00:00 PST (08:00Z); 9 Mar ends 10 Mar 00:00 PDT (07:00Z).
        ("America/Los_Angeles", date(2025, 3, 9), utc(2025, 3, 9, 8), utc(2025, 3, 10, 7), 23),
        # LA autumn: 2 Nov ends 3 Nov 00:00 PST (08:00Z); 1 Nov ends 2 Nov 00:00 PDT (07:00Z).
        ("America/Los_Angeles", date(2025, 11, 2), utc(2025, 11, 2, 7), utc(2025, 11, 3, 8), 25),
        # Berlin spring: 29 Mar ends 30 Mar 00:00 CET (23:00Z 29 Mar); 30 Mar ends 31 Mar CEST.
        ("Europe/Berlin", date(2025, 3, 30), utc(2025, 3, 29, 23), utc(2025, 3, 30, 22), 23),
        ("Europe/Berlin", date(2026, 10, 25), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),
        # Auckland April: 5 Apr ends 6 Apr 00:00 NZDT (11:00Z 5 Apr); 6 Apr ends 7 Apr NZST.
        ("Pacific/Auckland", date(2025, 4, 6), utc(2025, 4, 5, 11), utc(2025, 4, 6, 12), 25),
        ("Pacific/Auckland", date(2025, 9, 28), utc(2025, 9, 27, 12), utc(2025, 9, 28, 11), 23),
    ],
)
def test_grace_across_a_dst_day(
    zone: str, day: date, end_before: datetime, end_of_day: datetime, hours: int
) -> None:
    grace = timedelta(hours=2)
    assert grace_ends_at(day - timedelta(days=1), zone, timedelta()) == end_before
    assert grace_ends_at(day, zone, timedelta()) == end_of_day
    assert grace_ends_at(day, zone, grace) == end_of_day + grace
    assert end_of_day - end_before == timedelta(hours=hours)  # the local day's true length


def test_grace_when_midnight_itself_is_skipped() -> None:
    """Santiago springs forward at midnight: 7 Sep 2025 starts at 01:00 -03 (04:00Z)."""
    assert grace_ends_at(date(2025, 9, 6), "America/Santiago", timedelta()) == utc(2025, 9, 7, 4)
    # ...and 7 Sep is 23 hours long: it ends 8 Sep 00:00 -03 = 03:00Z.
    assert grace_ends_at(date(2025, 9, 7), "America/Santiago", timedelta()) == utc(2025, 9, 8, 3)

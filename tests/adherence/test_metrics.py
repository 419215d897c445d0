"""Adherence figures from a schedule and a dose log (pure: no database, no Django)."""

import time as clock
from datetime import date, time, timedelta

import pytest

from backend.adherence.dose_schedule import (
    RegimenPeriod,
    ScheduledDose,
    ZonePeriod,
    scheduled_doses,
)
from backend.adherence.exposure import DateSpan
from backend.adherence.metrics import (
    DOSE_STATUSES,
    LoggedDose,
    Ratio,
    adherence_metrics,
    dose_status,
)

ZONE = "Europe/Berlin"
ONCE = (time(8),)
TWICE = (time(8), time(20))

# Codes: T taken on time, L taken late, M missed, S skipped (S:reason with a reason),
# P pending (no log yet), H held (the hold wins even over a log).
CODES = {
    "T": LoggedDose("taken"),
    "L": LoggedDose("taken", late=True),
    "M": LoggedDose("missed"),
    "S": LoggedDose("skipped"),
    "P": None,
    "H": LoggedDose("taken"),  # logged by mistake during a hold: must not count
}


def log_for(code: str) -> LoggedDose | None:
    if code.startswith("S:"):
        return LoggedDose("skipped", skip_reason=code[2:])
    return CODES[code]


def build(
    table: list[tuple[int, str]],
    *,
    regimens: list[RegimenPeriod],
    holds: list[DateSpan],
    year: int = 2025,
    month: int = 6,
) -> tuple[list[ScheduledDose], dict[tuple[date, int], LoggedDose]]:
    """The schedule from the real expander, the log from the table (checked to match it)."""
    first = date(year, month, table[0][0])
    last = date(year, month, table[-1][0])
    doses = scheduled_doses(
        start=first,
        end=None,
        regimens=regimens,
        holds=holds,
        zones=[ZonePeriod(date.min, ZONE)],
        first=first,
        last=last,
    )
    logged: dict[tuple[date, int], LoggedDose] = {}
    for day_number, codes in table:
        day = date(year, month, day_number)
        day_doses = [dose for dose in doses if dose.date == day]
        assert len(day_doses) == len(codes.split()), f"table row {day} does not match schedule"
        for dose, code in zip(day_doses, codes.split(), strict=True):
            assert dose.on_hold == (code == "H"), f"hold flag on {day}"
            entry = log_for(code)
            if entry is not None:
                logged[(dose.date, dose.slot)] = entry
    return doses, logged


# June 2025, Berlin. 400 mg once daily at 08:00 until 14 June, then 800 mg as 08:00 + 20:00.
# Hold 8-10 June. "Today" is 30 June: the evening dose is still pending.
#
#  day  08:00  20:00   notes
JUNE = [
    (1, "T"),
    (2, "T"),
    (3, "L"),
    (4, "T"),
    (5, "M"),  # missed streak starts
    (6, "M"),
    (7, "M"),
    (8, "H"),  # hold (a stray "taken" log is ignored)
    (9, "H"),
    (10, "H"),
    (11, "M"),  # streak continues across the hold: 5, 6, 7, 11 = 4
    (12, "T"),  # streak broken
    (13, "S:nausea"),
    (14, "T"),
    (15, "T T"),  # regimen change: twice daily from here
    (16, "T L"),
    (17, "T M"),  # one of two missed: not a PDC day
    (18, "T T"),
    (19, "S:nausea T"),
    (20, "T T"),
    (21, "L L"),
    (22, "T T"),
    (23, "M M"),
    (24, "M S"),  # skipped without a reason
    (25, "T T"),
    (26, "T T"),
    (27, "T T"),
    (28, "T S:travel"),
    (29, "T T"),
    (30, "T P"),  # today: evening pending, so the day is not counted yet
]


def june_metrics():
    doses, logged = build(
        JUNE,
        regimens=[RegimenPeriod(date(2025, 6, 1), ONCE), RegimenPeriod(date(2025, 6, 15), TWICE)],
        holds=[DateSpan(date(2025, 6, 8), date(2025, 6, 10))],
    )
    return adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 30))


def test_hand_computed_month() -> None:
    m = june_metrics()
    assert (m.first, m.last) == (date(2025, 6, 1), date(2025, 6, 30))

    # Dose counts over all 46 doses (11 once-daily + 3 held + 16 x 2 twice-daily):
    # taken on time: 1,2,4,12,14 (5) + 15:2,16:1,17:1,18:2,19:1,20:2,22:2,25:2,26:2,27:2,
    #                28:1,29:2,30:1 (21) = 26
    # late: 3 (1) + 16:1, 21:2 (3) = 4
    # missed: 5,6,7,11 (4) + 17:1, 23:2, 24:1 (4) = 8
    # skipped: 13 (1) + 19:1, 24:1, 28:1 (3) = 4
    # pending: 30 evening = 1; on hold: 8, 9, 10 = 3.   26+4+8+4+1+3 = 46
    assert (m.taken, m.taken_late, m.missed, m.skipped, m.pending, m.on_hold) == (
        26,
        4,
        8,
        4,
        1,
        3,
    )

    # Resolved, not-held doses: 26 + 4 + 8 + 4 = 42 (30 June's morning dose counts: it is
    # resolved; only the pending evening dose is left out).
    assert m.scheduled_doses == 42
    # Dose adherence: (26 + 4) / 42 = 71.428... -> 71.43 %
    assert m.dose_adherence == Ratio(30, 42)
    assert m.dose_adherence.percent == 71.43
    assert m.dose_adherence.band == "non_adherent"
    # On time: 26 / 30 = 86.666... -> 86.67 %
    assert m.on_time == Ratio(26, 30)
    assert m.on_time.percent == 86.67

    # Scheduled days: not-held days with doses = 1-7, 11-14 (11) + 15-30 (16) = 27, minus
    # 30 June (still pending) = 26.
    assert m.scheduled_days == 26
    # PDC days (every dose taken, late included): 1,2,3,4,12,14 (6) + 15,16,18,20,21,22,25,26,
    # 27,29 (10) = 16. Not: 5,6,7,11,13 (missed/skipped), 17 (one missed), 19, 23, 24, 28.
    # PDC = 16 / 26 = 61.538... -> 61.54 %
    assert m.pdc == Ratio(16, 26)
    assert m.pdc.percent == 61.54
    assert m.pdc.band == "non_adherent"

    assert m.skipped_by_reason == {"nausea": 2, "unspecified": 1, "travel": 1}
    # Days with a missed dose, in order of resolved scheduled days (hold skipped):
    # 5,6,7,[8-10 held],11 -> 4;  17 -> 1;  23,24 -> 2.  Latest resolved day 29: none missed.
    assert m.longest_missed_streak == 4
    assert m.current_missed_streak == 0
    # Days on drug: not-held days with doses up to 29 June (latest resolved) = 11 + 15 = 26.
    assert m.days_on_drug == 26


def test_the_pending_day_counts_once_resolved() -> None:
    """Log the 30 June evening dose as taken: the day joins PDC and every figure moves."""
    doses, logged = build(
        [*JUNE[:-1], (30, "T T")],
        regimens=[RegimenPeriod(date(2025, 6, 1), ONCE), RegimenPeriod(date(2025, 6, 15), TWICE)],
        holds=[DateSpan(date(2025, 6, 8), date(2025, 6, 10))],
    )
    m = adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 30))
    # 27 scheduled days, 17 PDC days; 43 resolved doses, 31 taken; days on drug 27.
    assert (m.pdc, m.dose_adherence, m.days_on_drug, m.pending) == (
        Ratio(17, 27),
        Ratio(31, 43),
        27,
        0,
    )


def test_current_streak_runs_across_a_hold_to_the_latest_resolved_day() -> None:
    table = [(1, "T"), (2, "M"), (3, "H"), (4, "H"), (5, "M"), (6, "P")]
    doses, logged = build(
        table,
        regimens=[RegimenPeriod(date(2025, 6, 1), ONCE)],
        holds=[DateSpan(date(2025, 6, 3), date(2025, 6, 4))],
    )
    m = adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 6))
    # Resolved scheduled days: 1 (T), 2 (M), 5 (M); the hold neither breaks nor extends;
    # 6 is pending. Streak 2, 5 = 2, and it is current (latest resolved day 5 has a miss).
    assert (m.current_missed_streak, m.longest_missed_streak) == (2, 2)
    assert m.scheduled_days == 3
    assert m.days_on_drug == 3  # 1, 2, 5 (held 3-4 not on drug; 6 after the latest resolved)
    assert m.pdc == Ratio(1, 3)


def test_a_day_with_one_missed_of_two_extends_a_streak() -> None:
    table = [(1, "M M"), (2, "T M"), (3, "T T"), (4, "M T"), (5, "T M")]
    doses, logged = build(table, regimens=[RegimenPeriod(date(2025, 6, 1), TWICE)], holds=[])
    m = adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 5))
    # Missed days 1, 2 | 3 clean | 4, 5 -> longest 2, current 2; PDC only day 3: 1/5.
    assert (m.longest_missed_streak, m.current_missed_streak) == (2, 2)
    assert m.pdc == Ratio(1, 5)
    # Doses: taken 5 (2:1, 3:2, 4:1, 5:1) of 10.
    assert m.dose_adherence == Ratio(5, 10)


def test_an_unresolved_day_in_the_middle_is_skipped_like_a_hold() -> None:
    """A gap in the log (sweep not yet run) must not invent a miss or break a streak."""
    table = [(1, "M"), (2, "P"), (3, "M"), (4, "T")]
    doses, logged = build(table, regimens=[RegimenPeriod(date(2025, 6, 1), ONCE)], holds=[])
    m = adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 4))
    assert (m.longest_missed_streak, m.current_missed_streak) == (2, 0)
    assert (m.scheduled_days, m.pending, m.days_on_drug) == (3, 1, 4)


def test_window_limits_and_an_empty_window() -> None:
    m = june_metrics()
    doses, logged = build(
        JUNE,
        regimens=[RegimenPeriod(date(2025, 6, 1), ONCE), RegimenPeriod(date(2025, 6, 15), TWICE)],
        holds=[DateSpan(date(2025, 6, 8), date(2025, 6, 10))],
    )
    # Doses outside [first, last] are ignored: 1-4 June only -> 4 days, all taken (3rd late).
    early = adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 4))
    assert (early.pdc, early.on_time, early.taken_late) == (Ratio(4, 4), Ratio(3, 4), 1)
    assert early.pdc.band == "adherent"
    # Unsorted input gives the same answer.
    shuffled = adherence_metrics(
        list(reversed(doses)), logged, first=date(2025, 6, 1), last=date(2025, 6, 30)
    )
    assert shuffled == m

    empty = adherence_metrics([], {}, first=date(2025, 6, 1), last=date(2025, 6, 30))
    assert empty.pdc == Ratio(0, 0)
    assert (empty.pdc.percent, empty.pdc.band, empty.on_time.percent) == (None, None, None)
    assert (empty.current_missed_streak, empty.days_on_drug, empty.skipped_by_reason) == (0, 0, {})


# --- bands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missed_days", "percent", "band"),
    [
        (3, 90.0, "adherent"),  # 27/30 = 90 % exactly: adherent
        (4, 86.67, "suboptimal"),  # 26/30 = 86.666...: just below 90 %
        (6, 80.0, "suboptimal"),  # 24/30 = 80 % exactly: sub-optimal, not non-adherent
        (7, 76.67, "non_adherent"),  # 23/30 = 76.666...: just below 80 %
    ],
)
def test_pdc_band_boundaries_on_a_30_day_history(
    missed_days: int, percent: float, band: str
) -> None:
    table = [(day, "M" if day <= missed_days else "T") for day in range(1, 31)]
    doses, logged = build(table, regimens=[RegimenPeriod(date(2025, 6, 1), ONCE)], holds=[])
    m = adherence_metrics(doses, logged, first=date(2025, 6, 1), last=date(2025, 6, 30))
    assert m.pdc == Ratio(30 - missed_days, 30)
    assert (m.pdc.percent, m.pdc.band) == (percent, band)
    assert m.longest_missed_streak == missed_days
    assert m.current_missed_streak == 0


def test_bands_use_exact_fractions_not_rounded_percentages() -> None:
    # 89.999 % rounds to 90.0 for display but is still below 90 %.
    assert Ratio(89_999, 100_000).percent == 90.0
    assert Ratio(89_999, 100_000).band == "suboptimal"
    assert Ratio(79_999, 100_000).band == "non_adherent"
    assert Ratio(4, 5).band == "suboptimal"
    assert Ratio(9, 10).band == "adherent"
    assert Ratio(1, 1).band == "adherent"
    assert Ratio(0, 3).band == "non_adherent"
    assert (Ratio(0, 0).percent, Ratio(0, 0).band) == (None, None)


# --- dose status -------------------------------------------------------------------------------


def a_dose(on_hold: bool = False) -> ScheduledDose:
    [dose] = scheduled_doses(
        start=date(2025, 6, 1),
        end=None,
        regimens=[RegimenPeriod(date(2025, 6, 1), ONCE)],
        holds=[DateSpan(date(2025, 6, 1), None)] if on_hold else [],
        zones=[ZonePeriod(date.min, ZONE)],
        first=date(2025, 6, 1),
        last=date(2025, 6, 1),
    )
    return dose


def test_dose_status_mapping() -> None:
    dose = a_dose()
    assert dose_status(dose, LoggedDose("taken")) == "taken"
    assert dose_status(dose, LoggedDose("taken", late=True)) == "taken_late"
    assert dose_status(dose, LoggedDose("skipped")) == "skipped"
    assert dose_status(dose, LoggedDose("missed")) == "missed"
    assert dose_status(dose, LoggedDose("missed", late=True)) == "missed"  # late ignored
    assert dose_status(dose, None) == "pending"  # never inferred missed
    assert dose_status(a_dose(on_hold=True), LoggedDose("taken")) == "on_hold"
    assert dose_status(a_dose(on_hold=True), None) == "on_hold"
    assert set(DOSE_STATUSES) == {"taken", "taken_late", "skipped", "missed", "pending", "on_hold"}


def test_unknown_log_status_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        LoggedDose("taken_late")


# --- speed -------------------------------------------------------------------------------------


def test_three_years_twice_daily_is_fast() -> None:
    first, last = date(2025, 1, 1), date(2027, 12, 31)
    doses = scheduled_doses(
        start=first,
        end=None,
        regimens=[RegimenPeriod(first, TWICE)],
        holds=[DateSpan(date(2026, 2, 1), date(2026, 2, 14))],
        zones=[ZonePeriod(date.min, ZONE)],
        first=first,
        last=last,
    )
    statuses = [LoggedDose("taken"), LoggedDose("taken", late=True), LoggedDose("missed")]
    logged = {(d.date, d.slot): statuses[i % 3] for i, d in enumerate(doses) if i % 7}
    assert len(doses) == 2190

    best = timedelta.max
    for _ in range(5):
        started = clock.perf_counter()
        m = adherence_metrics(doses, logged, first=first, last=last)
        best = min(best, timedelta(seconds=clock.perf_counter() - started))
    assert m.scheduled_doses + m.pending + m.on_hold == 2190
    # A few milliseconds in practice; the bound leaves room for a loaded CI machine.
    assert best < timedelta(milliseconds=50), best

"""Days on drug and the exposure-shortfall flag (pure arithmetic, no database)."""

from datetime import date

from backend.adherence.exposure import DateSpan, held_days, plan_exposure

START = date(2025, 3, 15)
END = date(2028, 3, 15)  # 36 months: 1,097 days inclusive


def exposure(today: date, holds: list[DateSpan] = (), end: date | None = END):  # type: ignore[assignment]
    return plan_exposure(
        start=START, planned_end=end, holds=holds, today=today, shortfall_threshold=0.9
    )


def test_planned_days_are_inclusive() -> None:
    assert exposure(START).planned_days == 1097
    assert exposure(START).elapsed_days == 1


def test_before_the_start_nothing_has_elapsed() -> None:
    before = exposure(date(2025, 3, 1))
    assert (before.elapsed_days, before.days_on_drug, before.days_remaining) == (0, 0, 1097)


def test_a_hold_lowers_days_on_drug_not_the_calendar() -> None:
    hold = DateSpan(date(2025, 4, 1), date(2025, 4, 10))
    without = exposure(date(2025, 5, 1))
    with_hold = exposure(date(2025, 5, 1), [hold])
    assert without.planned_days == with_hold.planned_days
    assert without.days_remaining == with_hold.days_remaining
    assert without.days_on_drug - with_hold.days_on_drug == 10
    assert with_hold.held_days_so_far == 10


def test_open_hold_counts_up_to_today_only() -> None:
    hold = DateSpan(date(2025, 4, 1), None)
    assert exposure(date(2025, 4, 5), [hold]).held_days_so_far == 5
    assert not exposure(date(2025, 4, 5), [hold]).shortfall_likely


def test_shortfall_at_the_end_below_ninety_percent() -> None:
    # 110 held days of 1,097: 987 on drug = 89.97 % < 90 %.
    hold = DateSpan(date(2026, 1, 1), date(2026, 4, 20))
    assert held_days([hold], START, END) == 110
    at_end = exposure(END, [hold])
    assert at_end.days_on_drug == 987
    assert at_end.shortfall is True
    just_enough = DateSpan(date(2026, 1, 1), date(2026, 4, 19))  # 109 held: 988 = 90.06 %
    assert exposure(END, [just_enough]).shortfall is False


def test_shortfall_is_likely_once_the_threshold_cannot_be_reached() -> None:
    hold = DateSpan(date(2026, 1, 1), date(2026, 4, 20))
    during = exposure(date(2026, 5, 1), [hold])
    assert during.shortfall is False and during.shortfall_likely is True


def test_indefinite_plans_have_no_total_and_no_shortfall() -> None:
    result = exposure(date(2030, 1, 1), [DateSpan(date(2026, 1, 1), date(2027, 1, 1))], end=None)
    assert result.planned_days is None and result.days_remaining is None
    assert not result.shortfall and not result.shortfall_likely


def test_overlapping_and_adjacent_spans_count_once() -> None:
    spans = [
        DateSpan(date(2025, 4, 1), date(2025, 4, 10)),
        DateSpan(date(2025, 4, 5), date(2025, 4, 12)),
        DateSpan(date(2025, 4, 13), date(2025, 4, 13)),
    ]
    assert held_days(spans, START, END) == 13
    assert held_days(spans, date(2025, 4, 11), date(2025, 4, 30)) == 3
    assert held_days(spans, date(2025, 5, 1), date(2025, 4, 1)) == 0


def test_span_overlap_and_cover() -> None:
    open_span = DateSpan(date(2025, 4, 1), None)
    assert open_span.overlaps(DateSpan(date(2030, 1, 1), date(2030, 1, 2)))
    assert not DateSpan(date(2025, 4, 1), date(2025, 4, 2)).overlaps(
        DateSpan(date(2025, 4, 3), None)
    )
    assert open_span.covers(date(2040, 1, 1)) and not open_span.covers(date(2025, 3, 31))

"""Dose calendar and symptom chart geometry (pure: no database, no Django)."""

import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.adherence.metrics import DOSE_STATUSES
from backend.common.presentation.charts import (
    SCORE_WORDS,
    STATUS_SYMBOLS,
    STATUS_WORDS,
    SUMMARY_PRECEDENCE,
    WEEKDAYS,
    SymptomChart,
    build_dose_calendar,
    build_symptom_chart,
    day_summary,
)

BERLIN = ZoneInfo("Europe/Berlin")
WED = date(2026, 12, 2)  # a Wednesday

# Default 640 x 200 chart: plot area x 40..624 (584 wide), y 12..172 (160 tall, 32 per unit).
LEFT, RIGHT, TOP, BOTTOM = 40.0, 624.0, 12.0, 172.0
START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=40)


def test_module_is_pure_python() -> None:
    """Templates and tests may import it anywhere; Django must not come along."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, backend.common.presentation.charts; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


# --------------------------------------------------------------------------------------------
# Dose calendar
# --------------------------------------------------------------------------------------------


def test_weeks_start_on_monday_and_pad_outside_the_range() -> None:
    assert WED.weekday() == 2
    calendar = build_dose_calendar(WED, WED + timedelta(days=89), [])

    assert calendar.weekdays == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    first_week = calendar.weeks[0]
    assert first_week.start == date(2026, 11, 30)
    assert [day.date for day in first_week.days] == [
        date(2026, 11, 30) + timedelta(days=n) for n in range(7)
    ]
    assert [day.in_range for day in first_week.days] == [False, False] + [True] * 5
    padding = first_week.days[0]
    assert (padding.marks, padding.summary, padding.label, padding.day_label) == ([], None, "", "")

    for week in calendar.weeks:
        assert len(week.days) == 7
        assert week.start.weekday() == 0
        assert [day.date.weekday() for day in week.days] == list(range(7))
    in_range = [day.date for week in calendar.weeks for day in week.days if day.in_range]
    assert in_range == [WED + timedelta(days=n) for n in range(90)]  # each day once, in order
    last_week = calendar.weeks[-1]
    assert last_week.days[-1].date >= calendar.last
    assert not any(day.in_range for day in last_week.days if day.date > calendar.last)


def test_single_day_range_is_one_week() -> None:
    calendar = build_dose_calendar(WED, WED, [(WED, 1, "taken", "8:00")])
    assert len(calendar.weeks) == 1
    assert [day.in_range for day in calendar.weeks[0].days] == [False, False, True] + [False] * 4


def test_twice_daily_day_has_both_marks_in_slot_order() -> None:
    doses = [(WED, 2, "missed", "20:00"), (WED, 1, "taken_late", "8:00")]  # given out of order
    day = build_dose_calendar(WED, WED + timedelta(days=6), doses).weeks[0].days[2]

    assert day.date == WED
    assert [(mark.slot, mark.status) for mark in day.marks] == [(1, "taken_late"), (2, "missed")]
    late, missed = day.marks
    assert (late.symbol, late.words, late.css_class) == ("L", "taken late", "dose-taken-late")
    assert late.label == "8:00 dose: taken late"
    assert late.label_time == "8:00"
    assert (missed.symbol, missed.css_class) == ("✗", "dose-missed")
    assert missed.label == "20:00 dose: missed"
    assert day.summary == "missed"
    assert day.summary_css_class == "dose-missed"
    assert day.label == "Wednesday 2 December 2026: 8:00 dose: taken late; 20:00 dose: missed"


def test_mark_without_a_time_still_reads_as_a_sentence() -> None:
    day = build_dose_calendar(WED, WED, [(WED, 1, "on_hold", "")]).weeks[0].days[2]
    assert day.marks[0].label == "Dose: on hold"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["taken", "missed"], "missed"),
        (["skipped", "missed"], "missed"),
        (["taken_late", "skipped"], "skipped"),
        (["taken", "taken_late"], "taken_late"),
        (["taken", "pending"], "pending"),  # not "taken" until every dose is logged
        (["taken_late", "pending"], "taken_late"),  # a problem already shows
        (["taken", "taken"], "taken"),
        (["on_hold", "taken"], "taken"),
        (["on_hold", "on_hold"], "on_hold"),
        (["pending"], "pending"),
        ([], None),
    ],
)
def test_day_summary_is_the_worst_status(statuses: list[str], expected: str | None) -> None:
    assert day_summary(statuses) == expected
    assert day_summary(reversed(statuses)) == expected  # order of the doses does not matter


def test_day_summary_reaches_the_calendar() -> None:
    doses = [(WED, 1, "taken", "8:00"), (WED, 2, "pending", "20:00")]
    day = build_dose_calendar(WED, WED, doses).weeks[0].days[2]
    assert (day.summary, day.summary_css_class) == ("pending", "dose-pending")


def test_every_status_has_a_symbol_and_words() -> None:
    assert tuple(STATUS_WORDS) == DOSE_STATUSES  # the adherence app's statuses, legend order
    assert set(STATUS_SYMBOLS) == set(DOSE_STATUSES)
    assert set(SUMMARY_PRECEDENCE) == set(DOSE_STATUSES)
    assert len(SUMMARY_PRECEDENCE) == len(DOSE_STATUSES)
    for status in DOSE_STATUSES:
        assert len(STATUS_SYMBOLS[status]) == 1
        assert STATUS_WORDS[status].strip()
    # Told apart without colour: no two statuses share a symbol or words.
    assert len(set(STATUS_SYMBOLS.values())) == len(DOSE_STATUSES)
    assert len(set(STATUS_WORDS.values())) == len(DOSE_STATUSES)


def test_legend_lists_every_status() -> None:
    legend = build_dose_calendar(WED, WED, []).legend
    assert [(e.status, e.symbol, e.words) for e in legend] == [
        (status, STATUS_SYMBOLS[status], STATUS_WORDS[status]) for status in DOSE_STATUSES
    ]
    assert [e.css_class for e in legend] == [
        "dose-taken",
        "dose-taken-late",
        "dose-skipped",
        "dose-missed",
        "dose-pending",
        "dose-on-hold",
    ]


def test_empty_input_gives_empty_days() -> None:
    calendar = build_dose_calendar(WED, WED + timedelta(days=89), [])
    days = [day for week in calendar.weeks for day in week.days if day.in_range]
    assert len(days) == 90
    for day in days:
        assert day.marks == []
        assert day.summary is None
        assert day.summary_css_class == "dose-none"
        assert day.label.endswith(": no dose scheduled")
    assert len(calendar.legend) == len(DOSE_STATUSES)


def test_doses_outside_the_range_are_ignored() -> None:
    doses = [
        (WED - timedelta(days=1), 1, "missed", "8:00"),  # the padded Tuesday
        (WED, 1, "taken", "8:00"),
        (WED + timedelta(days=1), 1, "missed", "8:00"),
    ]
    week = build_dose_calendar(WED, WED, doses).weeks[0]
    assert week.days[1].marks == []
    assert [mark.status for mark in week.days[2].marks] == ["taken"]
    assert week.days[3].marks == []


def test_unknown_status_and_reversed_range_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown dose status"):
        build_dose_calendar(WED, WED, [(WED, 1, "lost", "8:00")])
    with pytest.raises(ValueError, match="first"):
        build_dose_calendar(WED, WED - timedelta(days=1), [])


def test_month_labels_on_the_first_week_of_each_month() -> None:
    calendar = build_dose_calendar(WED, date(2027, 2, 28), [])
    labels = {week.start: week.month_label for week in calendar.weeks if week.month_label}
    assert labels == {
        date(2026, 11, 30): "Dec 2026",  # the range starts mid-week
        date(2026, 12, 28): "Jan 2027",  # holds 1 Jan
        date(2027, 2, 1): "Feb 2027",  # 1 Feb is a Monday
    }
    first_days = [d for week in calendar.weeks for d in week.days if d.in_range]
    assert first_days[0].day_label == "2 Dec"  # the range start names its month
    assert first_days[1].day_label == "3"
    assert next(d for d in first_days if d.date == date(2027, 1, 1)).day_label == "1 Jan"


def test_first_week_holding_two_month_starts_names_both() -> None:
    first = date(2026, 10, 28)  # Wednesday; 1 Nov is the Sunday of the same week
    assert build_dose_calendar(first, first + timedelta(days=20), []).weeks[0].month_label == (
        "Oct 2026 / Nov 2026"
    )


def test_today_is_flagged() -> None:
    calendar = build_dose_calendar(WED, WED + timedelta(days=6), [], today=WED + timedelta(days=1))
    days = calendar.weeks[0].days
    assert [day.is_today for day in days] == [False, False, False, True, False, False, False]
    assert days[3].label == "Thursday 3 December 2026 (today): no dose scheduled"


def test_weekday_headings() -> None:
    assert WEEKDAYS == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --------------------------------------------------------------------------------------------
# Symptom chart
# --------------------------------------------------------------------------------------------


def chart(
    patient: Iterable[tuple[datetime, int]] = (),
    clinician: Iterable[tuple[datetime, int]] = (),
    start: datetime = START,
    end: datetime = END,
    **kwargs: Any,
) -> SymptomChart:
    return build_symptom_chart("Nausea", start, end, patient, clinician, **kwargs)


def test_plot_area_inside_the_margins() -> None:
    result = chart()
    assert (result.width, result.height) == (640, 200)
    assert (result.plot_left, result.plot_right, result.plot_top, result.plot_bottom) == (
        LEFT,
        RIGHT,
        TOP,
        BOTTOM,
    )


def test_window_ends_and_midpoint_map_to_left_middle_right() -> None:
    middle = START + (END - START) / 2
    result = chart(patient=[(START, 0), (middle, 2), (END, 4)])
    assert [(p.x, p.y) for p in result.patient_points] == [
        (LEFT, BOTTOM),  # score 0 on the bottom of the plot area
        (332.0, 108.0),  # (40 + 624) / 2; 172 - 2 * 32
        (RIGHT, 44.0),  # 172 - 4 * 32
    ]


def test_grade_5_maps_to_the_top() -> None:
    result = chart(clinician=[(START, 5), (START + (END - START) / 4, 3)])
    assert [(p.x, p.y) for p in result.clinician_points] == [
        (LEFT, TOP),
        (186.0, 76.0),  # 40 + 584 / 4; 172 - 3 * 32
    ]


def test_coordinates_are_rounded_to_one_decimal() -> None:
    third = START + (END - START) / 3
    (point,) = chart(patient=[(third, 1)]).patient_points
    assert point.x == 234.7  # 40 + 584 / 3 = 234.666...
    assert point.y == 140.0


def test_points_are_in_time_order_and_the_polyline_joins_them() -> None:
    later, earlier = START + timedelta(days=30), START + timedelta(days=10)
    result = chart(patient=[(later, 3), (earlier, 1)], clinician=[(later, 2)])
    assert [p.value for p in result.patient_points] == [1, 3]
    assert [p.at for p in result.patient_points] == [earlier, later]
    assert result.patient_polyline == "186.0,140.0 478.0,76.0"
    assert result.clinician_polyline == "478.0,108.0"


def test_series_differ_in_marker_shape() -> None:
    at = START + timedelta(days=20)  # x 332
    result = chart(patient=[(at, 2)], clinician=[(at, 2)])
    assert result.patient_points[0].marker_path == (
        "M328.0,108.0 a4.0,4.0 0 1,0 8.0,0 a4.0,4.0 0 1,0 -8.0,0 Z"  # a circle, radius 4
    )
    assert result.clinician_points[0].marker_path == "M328.0,104.0 h8.0 v8.0 h-8.0 Z"  # a square


def test_points_outside_the_window_are_dropped() -> None:
    result = chart(
        patient=[(START - timedelta(seconds=1), 4), (START, 1), (END + timedelta(days=1), 4)],
        clinician=[(END + timedelta(seconds=1), 5)],
    )
    assert [p.value for p in result.patient_points] == [1]
    assert result.clinician_points == []
    assert result.clinician_polyline == ""
    assert "1 report;" in result.description
    assert "No clinician grades in this period." in result.description


def test_empty_series() -> None:
    result = chart()
    assert result.patient_points == []
    assert result.clinician_points == []
    assert result.patient_polyline == ""
    assert result.clinician_polyline == ""
    assert result.description == (
        "Nausea, 1 Nov 2026 to 11 Dec 2026. No patient reports in this period. "
        "No clinician grades in this period."
    )
    assert len(result.y_ticks) == 6


def test_zero_length_window_puts_points_in_the_middle() -> None:
    result = chart(patient=[(START, 3)], clinician=[(START, 1)], end=START)
    assert [(p.x, p.y) for p in result.patient_points] == [(332.0, 76.0)]
    assert [(p.x, p.y) for p in result.clinician_points] == [(332.0, 140.0)]
    assert [(t.pos, t.label) for t in result.x_ticks] == [(332.0, "1 Nov 00:00")]


def test_labels_name_the_series_the_date_and_the_words() -> None:
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    result = chart(patient=[(at, 3)], clinician=[(at, 3)])
    assert result.patient_points[0].label == "2 Dec 2026: patient score 3 (severe)"
    assert result.clinician_points[0].label == "2 Dec 2026: clinician grade 3"
    assert result.title == "Nausea: patient scores and clinician grades"
    assert result.symptom == "Nausea"


@pytest.mark.parametrize(("score", "words"), list(SCORE_WORDS.items()))
def test_every_patient_score_has_words(score: int, words: str) -> None:
    (point,) = chart(patient=[(START, score)]).patient_points
    assert point.label == f"1 Nov 2026: patient score {score} ({words})"


def test_dates_are_the_readers_dates() -> None:
    late_evening_utc = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 Dec in Berlin
    utc_chart = chart(patient=[(late_evening_utc, 2)])
    berlin_chart = chart(patient=[(late_evening_utc, 2)], tz=BERLIN)
    assert utc_chart.patient_points[0].label.startswith("1 Dec 2026:")
    assert berlin_chart.patient_points[0].label.startswith("2 Dec 2026:")
    assert utc_chart.patient_points[0].x == berlin_chart.patient_points[0].x  # same instant


def test_y_ticks_run_0_to_5_bottom_to_top() -> None:
    ticks = chart().y_ticks
    assert [(t.pos, t.label) for t in ticks] == [
        (172.0, "0"),
        (140.0, "1"),
        (108.0, "2"),
        (76.0, "3"),
        (44.0, "4"),
        (12.0, "5"),
    ]


@pytest.mark.parametrize("days", [3, 7, 14, 30, 60, 90, 180, 365])
def test_x_ticks_are_few_evenly_spaced_midnights(days: int) -> None:
    start = datetime(2026, 9, 3, 14, 0, tzinfo=BERLIN)  # crosses the October clock change
    end = start + timedelta(days=days)
    ticks = chart(start=start, end=end).x_ticks

    assert 3 <= len(ticks) <= 6
    if days >= 7:
        assert len(ticks) >= 4
    assert all(LEFT <= t.pos <= RIGHT for t in ticks)
    gaps = [b.pos - a.pos for a, b in pairwise(ticks)]
    one_hour = (RIGHT - LEFT) / (days * 24)
    assert max(gaps) - min(gaps) <= one_hour + 0.2  # equal days apart: DST hour, rounding
    assert ticks[0].label == "4 Sep"  # the first local midnight inside the window


def test_x_tick_positions_are_local_midnights() -> None:
    start = datetime(2026, 11, 1, tzinfo=BERLIN)
    ticks = chart(start=start, end=start + timedelta(days=30)).x_ticks
    assert [t.label for t in ticks] == ["1 Nov", "8 Nov", "15 Nov", "22 Nov", "29 Nov"]
    assert ticks[0].pos == LEFT
    assert ticks[1].pos == round(LEFT + 7 / 30 * 584, 1)


def test_short_window_ticks_carry_the_time() -> None:
    start = datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)
    ticks = chart(start=start, end=start + timedelta(hours=10)).x_ticks
    assert [(t.pos, t.label) for t in ticks] == [(LEFT, "2 Dec 08:00"), (RIGHT, "2 Dec 18:00")]


def test_description_summarises_both_series() -> None:
    result = chart(
        patient=[
            (START + timedelta(days=1), 1),
            (START + timedelta(days=5), 3),
            (START + timedelta(days=9), 3),
            (START + timedelta(days=20), 2),
        ],
        clinician=[(START + timedelta(days=6), 2)],
    )
    assert result.description == (
        "Nausea, 1 Nov 2026 to 11 Dec 2026. "
        "Patient scores (0 none to 4 very severe): 4 reports; latest 2 (moderate) on "
        "21 Nov 2026; highest 3 (severe) on 6 Nov 2026. "
        "Clinician CTCAE grades (1 to 5): 1 assessment; latest grade 2 on 7 Nov 2026; "
        "highest grade 2 on 7 Nov 2026."
    )


def test_custom_size() -> None:
    result = chart(patient=[(END, 5 - 1)], width=320, height=120)
    assert (result.plot_right, result.plot_bottom) == (304.0, 92.0)
    assert (result.patient_points[0].x, result.patient_points[0].y) == (304.0, 28.0)  # 92 - 4*16


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patient": [(START, 5)]}, "patient score"),
        ({"patient": [(START, -1)]}, "patient score"),
        ({"clinician": [(START, 0)]}, "clinician grade"),
        ({"clinician": [(START, 6)]}, "clinician grade"),
        ({"patient": [(datetime(2026, 11, 2), 1)]}, "timezone-aware"),
        ({"start": datetime(2026, 11, 1)}, "timezone-aware"),
        ({"end": START - timedelta(days=1)}, "start must not be after end"),
        ({"width": 50}, "no room"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        chart(**kwargs)

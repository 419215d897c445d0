"""End-date arithmetic: start + N calendar months, clamped to the end month's last day."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.guidelines import add_calendar_months, recommend

from .helpers import case


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2025-03-15", 36, "2028-03-15"),  # §10 test vector
        ("2024-02-29", 12, "2025-02-28"),  # 29 February into a common year
        ("2024-02-29", 48, "2028-02-29"),  # ... and into a leap year
        ("2024-02-29", 36, "2027-02-28"),
        ("2023-02-28", 12, "2024-02-28"),  # not moved to the 29th
        ("2024-01-31", 1, "2024-02-29"),  # 31st into February, leap year
        ("2025-01-31", 1, "2025-02-28"),  # 31st into February, common year
        ("2025-01-30", 1, "2025-02-28"),
        ("2025-03-31", 1, "2025-04-30"),  # 31st into 30-day months
        ("2025-05-31", 1, "2025-06-30"),
        ("2025-08-31", 1, "2025-09-30"),
        ("2025-10-31", 1, "2025-11-30"),
        ("2025-05-31", 6, "2025-11-30"),
        ("2025-08-31", 36, "2028-08-31"),
        ("2025-04-30", 1, "2025-05-30"),  # a 30th stays the 30th in a 31-day month
        ("2025-12-15", 1, "2026-01-15"),  # year change
        ("2025-11-30", 3, "2026-02-28"),
        ("2025-12-31", 2, "2026-02-28"),
        ("2025-03-15", 0, "2025-03-15"),
        ("2025-03-31", -1, "2025-02-28"),
        ("2025-03-15", 60, "2030-03-15"),
    ],
)
def test_add_calendar_months(start, months, expected):
    assert add_calendar_months(date.fromisoformat(start), months) == date.fromisoformat(expected)


@pytest.mark.parametrize("months", [1.0, True, "3", None])
def test_add_calendar_months_refuses_non_integer_months(months):
    with pytest.raises(TypeError):
        add_calendar_months(date(2025, 1, 1), months)


def test_add_calendar_months_refuses_non_date():
    with pytest.raises(TypeError):
        add_calendar_months("2025-01-01", 1)


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2500, 12, 31)),
    months=st.integers(min_value=-120, max_value=600),
)
def test_add_calendar_months_properties(start, months):
    end = add_calendar_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    # same day of the month, or the month's last day when that day does not exist
    assert end.day == min(start.day, calendar.monthrange(end.year, end.month)[1])


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-03-15", "2028-03-15"),
        ("2024-02-29", "2027-02-28"),
        ("2025-01-31", "2028-01-31"),
        ("2025-12-31", "2028-12-31"),
    ],
)
def test_adjuvant_plan_end_dates(start, end):
    result = recommend(case(start_date=start))
    assert result["duration_months"] == 36
    assert result["planned_end_date"] == end
    assert result["review_points"][-1]["date"] == end

"""Local calendar helpers, on both sides of daylight-saving changes."""

from datetime import UTC, date, datetime, time

import pytest

from backend.adherence.dose_schedule import dose_due_at as local_wall_time_to_utc
from backend.common.time import is_valid_time_zone, local_date


@pytest.mark.parametrize("name", ["Europe/Madrid", "America/New_York", "Asia/Kolkata", "UTC"])
def test_iana_names_are_valid(name: str) -> None:
    assert is_valid_time_zone(name)


@pytest.mark.parametrize("name", ["CEST", "Mars/Base", "", "../etc/passwd", "europe/madrid", 5])
def test_other_names_are_not(name: object) -> None:
    assert not is_valid_time_zone(name)  # type: ignore[arg-type]


def test_eight_am_in_madrid_across_the_spring_change() -> None:
    # 2026-03-29: clocks go from 02:00 CET to 03:00 CEST.
    before = local_wall_time_to_utc(date(2026, 3, 28), time(8, 0), "Europe/Madrid")
    after = local_wall_time_to_utc(date(2026, 3, 29), time(8, 0), "Europe/Madrid")
    assert before == datetime(2026, 3, 28, 7, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_a_time_in_the_spring_gap_still_happens_once() -> None:
    gap = local_wall_time_to_utc(date(2026, 3, 29), time(2, 30), "Europe/Madrid")
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 local, after the jump


def test_a_time_in_the_autumn_overlap_maps_to_its_first_occurrence() -> None:
    # 2026-11-01 in New York: 01:30 happens twice (EDT, then EST).
    first = local_wall_time_to_utc(date(2026, 11, 1), time(1, 30), "America/New_York")
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_local_date_differs_from_utc_date_near_midnight() -> None:
    instant = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    assert local_date(instant, "Europe/Madrid") == date(2026, 6, 2)
    assert local_date(instant, "America/New_York") == date(2026, 6, 1)

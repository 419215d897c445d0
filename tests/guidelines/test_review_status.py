"""Review points upcoming / due / done / overdue (issue 17; rules review.done_window and
review.overdue, DESIGN settings)."""

from datetime import date, timedelta

import pytest

from backend.guidelines import rules
from backend.guidelines.review_status import (
    BLOOD_COUNTS,
    DONE,
    DUE,
    LIVER_TESTS,
    OTHER,
    OVERDUE,
    UPCOMING,
    kind_of_test,
    review_kind,
    review_point_statuses,
)
from backend.guidelines.rules import GuidelineSettings

START = date(2026, 1, 5)


def point(day: int, what: str = rules.WHAT_BLOOD_COUNTS) -> dict[str, str]:
    return {"date": (START + timedelta(days=day)).isoformat(), "what": what}


def status_of(points, results, today_day, **settings):
    dates = {kind: [START + timedelta(days=d) for d in days] for kind, days in results.items()}
    return review_point_statuses(
        points, dates, START + timedelta(days=today_day), GuidelineSettings(**settings)
    )


def test_kinds_follow_what_the_point_asks_for():
    assert review_kind(rules.WHAT_BLOOD_COUNTS) == BLOOD_COUNTS
    assert review_kind(rules.WHAT_LIVER_TESTS) == LIVER_TESTS
    assert review_kind(rules.WHAT_LIVER_TESTS_BASELINE) == LIVER_TESTS
    assert review_kind(rules.WHAT_IMAGING) == OTHER
    assert [kind_of_test(t) for t in ("anc", "platelets", "alt", "ast", "bilirubin_total")] == [
        BLOOD_COUNTS,
        BLOOD_COUNTS,
        LIVER_TESTS,
        LIVER_TESTS,
        LIVER_TESTS,
    ]
    assert kind_of_test("haemoglobin") is None and kind_of_test("creatinine") is None


@pytest.mark.parametrize(
    ("today", "expected"),
    [(6, UPCOMING), (7, DUE), (13, DUE), (14, OVERDUE), (40, OVERDUE)],
)
def test_without_a_result_a_point_is_upcoming_then_due_then_overdue_after_7_days(today, expected):
    [only] = status_of([point(7)], {}, today)
    assert only.status == expected
    if expected == OVERDUE:
        assert only.overdue_since == START + timedelta(days=14)


@pytest.mark.parametrize(("result_day", "done"), [(-1, False), (0, True), (7, True), (30, True)])
def test_a_result_up_to_7_days_before_or_any_time_after_marks_it_done(result_day, done):
    [only] = status_of([point(7)], {BLOOD_COUNTS: [result_day]}, 40)
    assert (only.status == DONE) is done


def test_a_result_of_another_kind_does_not_count():
    [only] = status_of([point(7)], {LIVER_TESTS: [7]}, 20)
    assert only.status == OVERDUE


def test_one_result_does_one_point_the_latest_it_can():
    points = [point(7), point(14)]
    late = status_of(points, {BLOOD_COUNTS: [13]}, 30)
    assert [s.status for s in late] == [OVERDUE, DONE]  # the day-7 count was missed
    both = status_of(points, {BLOOD_COUNTS: [6, 13]}, 30)
    assert [s.status for s in both] == [DONE, DONE]
    same_day_twice = status_of(points, {BLOOD_COUNTS: [6, 6]}, 30)
    assert [s.status for s in same_day_twice] == [DONE, OVERDUE]


def test_other_points_are_never_overdue():
    [imaging] = status_of([point(10, rules.WHAT_IMAGING)], {}, 400)
    assert imaging.status == DUE


def test_the_windows_are_settings():
    [only] = status_of([point(7)], {BLOOD_COUNTS: [3]}, 40, review_done_window_days=3)
    assert only.status == OVERDUE
    [later] = status_of([point(7)], {}, 14, review_overdue_after_days=8)
    assert later.status == DUE
    with pytest.raises(ValueError):
        GuidelineSettings(review_overdue_after_days=0)

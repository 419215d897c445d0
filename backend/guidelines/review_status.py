"""Whether a plan's review points are upcoming, due, done or overdue (issue 17).

The plan's review points (``review_schedule.build_review_points``) say what to check and when; lab
results say what was checked. A point of a lab kind (liver tests, blood counts) is **done** when
a result of that kind was taken at most ``review_done_window_days`` before its date, or any
time after it, each result marking one point: the latest point it can (a late result does the
current point; an older missed point stays missed). A point not done is
**upcoming** before its date, **due** from its date, and **overdue** from
``review_overdue_after_days`` after it (rules ``review.done_window``, ``review.overdue``, both
DESIGN settings). Points of other kinds (imaging, serology, TSH...) are never done by a lab
result here: they are upcoming or due, and never overdue (no result of theirs is recorded).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from . import rules
from .rules import DEFAULT_SETTINGS, GuidelineSettings

LIVER_TESTS: Final = "liver_tests"
BLOOD_COUNTS: Final = "blood_counts"
OTHER: Final = "other"

# What a review point asks for -> its kind. Matching the stored text keeps plans made before
# points had a kind working.
KIND_OF_WHAT: Final[Mapping[str, str]] = {
    rules.WHAT_LIVER_TESTS: LIVER_TESTS,
    rules.WHAT_LIVER_TESTS_BASELINE: LIVER_TESTS,
    rules.WHAT_BLOOD_COUNTS: BLOOD_COUNTS,
}

# Which lab tests count for a kind (any one of them marks the point done).
TESTS_OF_KIND: Final[Mapping[str, frozenset[str]]] = {
    LIVER_TESTS: frozenset({"alt", "ast", "bilirubin_total"}),
    BLOOD_COUNTS: frozenset({"anc", "platelets"}),
}

UPCOMING: Final = "upcoming"
DUE: Final = "due"
DONE: Final = "done"
OVERDUE: Final = "overdue"
STATUSES: Final = (UPCOMING, DUE, DONE, OVERDUE)


@dataclass(frozen=True)
class ReviewPointStatus:
    """One review point with its status; ``done_on`` is the date of the result that did it."""

    date: date
    what: str
    kind: str
    status: str
    # datetime.date: in this class body, ``date`` is the field above.
    done_on: datetime.date | None = None
    overdue_since: datetime.date | None = None


def review_kind(what: str) -> str:
    return KIND_OF_WHAT.get(what, OTHER)


def kind_of_test(test: str) -> str | None:
    """The review kind a lab test counts for (None: none)."""
    for kind, tests in TESTS_OF_KIND.items():
        if test in tests:
            return kind
    return None


def review_point_statuses(
    points: Iterable[Mapping[str, str]],
    result_dates: Mapping[str, Sequence[date]],
    today: date,
    settings: GuidelineSettings = DEFAULT_SETTINGS,
) -> list[ReviewPointStatus]:
    """Each point (``{"date": ISO date, "what": text}``) with its status on ``today``.

    ``result_dates`` maps a kind (``liver_tests``, ``blood_counts``) to the dates its results
    were taken (a date with several results of the kind counts once).
    """
    if not isinstance(settings, GuidelineSettings):
        raise TypeError("settings must be a GuidelineSettings")
    window = timedelta(days=settings.review_done_window_days)
    overdue_after = timedelta(days=settings.review_overdue_after_days)
    parsed = sorted(
        ((date.fromisoformat(p["date"]), p["what"]) for p in points), key=lambda p: p[0]
    )
    done_on: dict[int, date] = {}
    for kind in TESTS_OF_KIND:
        unmatched = [i for i, (_, what) in enumerate(parsed) if review_kind(what) == kind]
        for taken in sorted(set(result_dates.get(kind, ()))):
            # the latest point this result can do (its date at most `window` after the
            # result): a late result does today's point, and an older missed point stays missed
            candidates = [i for i in unmatched if parsed[i][0] - window <= taken]
            if candidates:
                index = candidates[-1]
                done_on[index] = taken
                unmatched.remove(index)
    statuses = []
    for index, (when, what) in enumerate(parsed):
        kind = review_kind(what)
        if index in done_on:
            statuses.append(ReviewPointStatus(when, what, kind, DONE, done_on[index]))
        elif today < when:
            statuses.append(ReviewPointStatus(when, what, kind, UPCOMING))
        elif kind in TESTS_OF_KIND and today >= when + overdue_after:
            statuses.append(
                ReviewPointStatus(when, what, kind, OVERDUE, overdue_since=when + overdue_after)
            )
        else:
            statuses.append(ReviewPointStatus(when, what, kind, DUE))
    return statuses

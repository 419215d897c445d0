"""Review points of an imatinib plan: blood counts, liver tests, imaging, end of treatment.

Built from the label monitoring advice (docs/clinical-facts.md §5.4) and the follow-up table
(§8); the combination is the DESIGN schedule of §8. Points are bounded by the planned end date;
a plan without one (advanced disease, or a neoadjuvant plan whose post-operative course is not
yet known) lists points up to a horizon (``GuidelineSettings.indefinite_review_horizon_months``,
24 months, or the end of the usual 6-12 month pre-operative phase) and says so in a reason.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import rules
from .dates import add_calendar_months
from .rules import GuidelineSettings

_ORDER = (
    rules.WHAT_LIVER_TESTS_BASELINE,
    rules.WHAT_BLOOD_COUNTS,
    rules.WHAT_LIVER_TESTS,
    rules.WHAT_IMAGING_RESPONSE,
    rules.WHAT_SURGICAL_REVIEW,
    rules.WHAT_IMAGING,
    rules.WHAT_END_OF_TREATMENT,
)


def _months_until(start: date, months: list[int], limit: date) -> list[date]:
    return [d for d in (add_calendar_months(start, m) for m in months) if d <= limit]


def _every(interval: int, first: int, limit_months: int) -> list[int]:
    return list(range(first, limit_months + 1, interval))


def review_limit(
    setting: str, start: date, end: date | None, settings: GuidelineSettings
) -> tuple[date, int | None]:
    """Last date to list review points for, and the horizon in months when there is no end."""
    if end is not None:
        return end, None
    if setting == "neoadjuvant":
        horizon = max(settings.neoadjuvant_surgical_review_months)
    else:
        horizon = settings.indefinite_review_horizon_months
    return add_calendar_months(start, horizon), horizon


def build_review_points(
    setting: str,
    start: date,
    end: date | None,
    settings: GuidelineSettings,
) -> tuple[list[dict[str, str]], list[str], int | None]:
    """Return (review points, ids of the rules used, horizon in months or None)."""
    limit, horizon = review_limit(setting, start, end, settings)
    span = _whole_months(start, limit)
    points: list[tuple[date, str]] = [(start, rules.WHAT_LIVER_TESTS_BASELINE)]
    points += [
        (start + timedelta(days=d), rules.WHAT_BLOOD_COUNTS)
        for d in rules.BLOOD_COUNT_DAYS
        if start + timedelta(days=d) <= limit
    ]
    points += [(d, rules.WHAT_LIVER_TESTS) for d in _months_until(start, _every(1, 1, span), limit)]
    used = ["review.schedule", "review.blood_counts", "review.liver_tests"]

    if setting == "adjuvant":
        interval = settings.adjuvant_imaging_interval_months
        months = _every(interval, interval, span)
        points += [(d, rules.WHAT_IMAGING) for d in _months_until(start, months, limit)]
        used.append("review.imaging_adjuvant")
    elif setting == "advanced":
        interval = rules.ADVANCED_IMAGING_INTERVAL_MONTHS
        first = list(rules.ADVANCED_IMAGING_FIRST_MONTHS)
        months = first + _every(interval, first[-1] + interval, span)
        points += [(d, rules.WHAT_IMAGING_RESPONSE) for d in _months_until(start, months, limit)]
        used.append("review.imaging_advanced")
    else:  # neoadjuvant: surgical reviews, then adjuvant-phase imaging up to the end date
        surgical = sorted(settings.neoadjuvant_surgical_review_months)
        points += [(d, rules.WHAT_SURGICAL_REVIEW) for d in _months_until(start, surgical, limit)]
        used.append("review.imaging_neoadjuvant")
        if end is not None:
            interval = settings.adjuvant_imaging_interval_months
            months = _every(interval, surgical[-1] + interval, span)
            points += [(d, rules.WHAT_IMAGING) for d in _months_until(start, months, limit)]
            used.append("review.imaging_adjuvant")

    if end is not None:
        points.append((end, rules.WHAT_END_OF_TREATMENT))
    else:
        used.append("review.horizon")
    points.sort(key=lambda p: (p[0], _ORDER.index(p[1])))
    return [{"date": d.isoformat(), "what": what} for d, what in points], used, horizon


def _whole_months(start: date, limit: date) -> int:
    """Whole calendar months from start to limit (enough to enumerate monthly points)."""
    return (limit.year - start.year) * 12 + (limit.month - start.month)

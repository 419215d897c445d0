"""Review points of an imatinib plan: blood counts, liver tests, imaging, end of treatment.

Built from the label monitoring advice (docs/clinical-facts.md §5.4) and the follow-up table
(§8); the combination is the DESIGN schedule of §8. Points are bounded by the planned end date;
a plan without one (advanced disease, or a neoadjuvant plan whose post-operative course is not
yet known) lists points up to a horizon (``GuidelineSettings.indefinite_review_horizon_months``,
24 months, or the end of the usual 6-12 month pre-operative phase) and says so in a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from . import rules
from .dates import add_calendar_months
from .rules import GuidelineSettings

_ORDER = (
    rules.WHAT_LIVER_TESTS_BASELINE,
    rules.WHAT_HBV_SEROLOGY,
    rules.WHAT_HBV_SPECIALIST,
    rules.WHAT_TSH_BASELINE,
    rules.WHAT_PREGNANCY,
    rules.WHAT_PREGNANCY_SPECIALIST,
    rules.WHAT_BLOOD_COUNTS,
    rules.WHAT_LIVER_TESTS,
    rules.WHAT_TSH,
    rules.WHAT_IMAGING_RESPONSE,
    rules.WHAT_SURGICAL_REVIEW,
    rules.WHAT_IMAGING,
    rules.WHAT_END_OF_TREATMENT,
)


@dataclass(frozen=True)
class BaselineChecks:
    """Case fields that add baseline review points (None = not given)."""

    hbv_status: str | None = None
    thyroidectomy: bool | None = None
    pregnant_or_planning: bool | None = None


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
    baseline: BaselineChecks | None = None,
) -> tuple[list[dict[str, str]], list[str], int | None]:
    """Return (review points, ids of the rules used, horizon in months or None).

    Baseline points on the start date: liver tests; hepatitis B serology unless the status is
    known (a carrier or past infection gets a liver-specialist point instead; negative none);
    TSH for a thyroidectomy patient (then every ``thyroidectomy_tsh_interval_months``); the
    pregnancy test and contraception advice (always: the case has no sex or reproductive
    status; a pregnancy or plan for one makes it a specialist discussion).
    """
    baseline = baseline or BaselineChecks()
    limit, horizon = review_limit(setting, start, end, settings)
    span = _whole_months(start, limit)
    points: list[tuple[date, str]] = [(start, rules.WHAT_LIVER_TESTS_BASELINE)]
    points += [
        (start + timedelta(days=d), rules.WHAT_BLOOD_COUNTS)
        for d in rules.BLOOD_COUNT_DAYS
        if start + timedelta(days=d) <= limit
    ]
    after_week_8 = settings.blood_count_interval_after_week_8_months
    points += [
        (d, rules.WHAT_BLOOD_COUNTS)
        for d in _months_until(start, _every(after_week_8, 2 + after_week_8, span), limit)
    ]
    points += [(d, rules.WHAT_LIVER_TESTS) for d in _months_until(start, _every(1, 1, span), limit)]
    used = [
        "review.schedule",
        "review.blood_counts",
        "review.blood_counts_after_week_8",
        "review.liver_tests",
    ]
    if baseline.hbv_status in (None, "unknown"):
        points.append((start, rules.WHAT_HBV_SEROLOGY))
        used.append("review.hbv_serology")
    elif baseline.hbv_status in ("chronic", "past_infection"):
        points.append((start, rules.WHAT_HBV_SPECIALIST))
    if baseline.thyroidectomy:
        interval = settings.thyroidectomy_tsh_interval_months
        points.append((start, rules.WHAT_TSH_BASELINE))
        tsh_months = _every(interval, interval, span)
        points += [(d, rules.WHAT_TSH) for d in _months_until(start, tsh_months, limit)]
        used.append("review.tsh_thyroidectomy")
    pregnancy = (
        rules.WHAT_PREGNANCY_SPECIALIST if baseline.pregnant_or_planning else rules.WHAT_PREGNANCY
    )
    points.append((start, pregnancy))
    used.append("review.pregnancy")

    if setting == "adjuvant":
        interval = settings.adjuvant_imaging_interval_months
        months = _every(interval, interval, span)
        points += [(d, rules.WHAT_IMAGING) for d in _months_until(start, months, limit)]
        used.append("review.imaging_adjuvant")
    elif setting == "advanced":
        interval = settings.advanced_imaging_interval_months
        first = sorted(settings.advanced_imaging_first_months)
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

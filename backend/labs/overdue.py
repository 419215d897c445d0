"""Overdue review points alert the care team (issue 17), for the worker to call hourly.

A plan's liver-test and blood-count review points are upcoming, due, done or overdue
(``backend.guidelines.review_status``, the same rule the patient page shows through
``selectors.review_points_of_patient``). Each point that is overdue raises, once, a **normal**
``review_overdue`` alert whose symptom is the review kind (``liver_tests``, ``blood_counts``):
the first opens it and pushes ``alert_opened`` to the nurses (``alert_raise``); a later overdue
point of the same kind while it is unresolved adds an occurrence and joins its list of points.

Once per point: an ``OverdueReviewPoint`` row, unique on (plan, date, kind), is written in the
savepoint that raised or updated the alert. A point with a row never alerts again, even after
its alert is resolved; a concurrent run that loses the race on the row rolls its alert change
back. Only ``active`` plans, in batches ordered by id: a fixed number of queries per batch,
and patients with nothing new are never locked or written.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from backend.accounts.models import Patient
from backend.accounts.selectors import local_today_in, zone_periods_of_patients
from backend.adherence.guideline import deployment_guideline_settings
from backend.adherence.models import PlanStatus, TreatmentPlan
from backend.alerts.models import Alert, AlertKind, AlertPriority, AlertStatus
from backend.alerts.services import alert_raise
from backend.common.presentation.wording import medium_date
from backend.guidelines import Advice, AlertDecision
from backend.guidelines.advice import ADVICE_RULES, CALL_PATIENT, FOR_CLINICIAN
from backend.guidelines.labs import LAB_RESULT, REPEAT_LABS, TEST_NAMES
from backend.guidelines.review_status import (
    BLOOD_COUNTS,
    LIVER_TESTS,
    OVERDUE,
    TESTS_OF_KIND,
    ReviewPointStatus,
    review_kind,
    review_point_statuses,
)
from backend.guidelines.rules import (
    DEFAULT_SETTINGS,
    FLAG_NON_DEFAULT_SETTINGS,
    GUIDELINE_VERSION,
    RULES,
    UNCONFIRMED_FLAG_PREFIX,
    GuidelineSettings,
)

from .models import OverdueReviewPoint
from .selectors import review_result_dates

RULE_ID = "review.overdue"

KIND_WORDS = {LIVER_TESTS: "Liver tests", BLOOD_COUNTS: "Blood counts"}


# How long after becoming overdue a point may still alert (the sweep runs hourly).
OVERDUE_ALERT_LOOKBACK = timedelta(days=14)


def day_words(day: date) -> str:
    """2026-01-12 -> '12 Jan 2026' (fixed English month names, whatever the locale)."""
    return medium_date(day)


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _flags(settings: GuidelineSettings) -> tuple[str, ...]:
    flags = [UNCONFIRMED_FLAG_PREFIX + RULE_ID] if RULES[RULE_ID].needs_flag else []
    if (settings.review_overdue_after_days, settings.review_done_window_days) != (
        DEFAULT_SETTINGS.review_overdue_after_days,
        DEFAULT_SETTINGS.review_done_window_days,
    ):
        flags.append(FLAG_NON_DEFAULT_SETTINGS)
    return tuple(flags)


def overdue_summary(kind: str, points: list[date], today: date) -> str:
    """'Blood counts due on 12 Jan 2026 not done 7 days later.' for the latest point, and how
    many points of the kind the alert holds when more than one."""
    latest = max(points)
    late = _days((today - latest).days)
    text = f"{KIND_WORDS[kind]} due on {day_words(latest)} not done {late} later."
    if len(points) > 1:
        text += (
            f" {len(points)} {KIND_WORDS[kind].lower()} review points overdue since "
            f"{day_words(min(points))}."
        )
    return text


def overdue_decision(
    kind: str, points: list[date], today: date, settings: GuidelineSettings
) -> AlertDecision:
    """The alert for the overdue points of one kind (``points``: their dates)."""
    rule = RULES[RULE_ID]
    return AlertDecision(
        kind=AlertKind.REVIEW_OVERDUE,
        priority=AlertPriority.NORMAL,
        rule=rule.id,
        text=overdue_summary(kind, points, today),
        sources=rule.sources,
        status=rule.status,
        flags=_flags(settings),
        symptom=kind,
    )


def overdue_advice(kind: str, point: date, today: date, settings: GuidelineSettings) -> Advice:
    """Advice for a nurse: which result is missing, find or arrange it, call the patient by
    the next working day (a normal alert). Actions ``repeat_labs``, ``call_patient``."""
    tests = " or ".join(TEST_NAMES[test] for test in sorted(TESTS_OF_KIND[kind]))
    parts = [
        f"{KIND_WORDS[kind]} due on {day_words(point)}: no result ({tests}) recorded "
        f"{_days((today - point).days)} later.",
        "If the test was done elsewhere, record its result; otherwise arrange it.",
        "Call the patient by the next working day.",
    ]
    rule = RULES[RULE_ID]
    sources = list(rule.sources)
    sources += [s for s in ADVICE_RULES["advice.call_patient"].sources if s not in sources]
    return Advice(
        text=" ".join([FOR_CLINICIAN, *parts]),
        rule=rule.id,
        sources=tuple(sources),
        for_clinician=True,
        status=rule.status,
        flags=_flags(settings),
        actions=(REPEAT_LABS, CALL_PATIENT),
        basis=LAB_RESULT,
    )


def _point_details(plan_id: Any, status: ReviewPointStatus) -> dict[str, str]:
    assert status.overdue_since is not None
    return {
        "date": status.date.isoformat(),
        "what": status.what,
        "overdue_since": status.overdue_since.isoformat(),
        "plan": str(plan_id),
    }


def review_points_alert_overdue(now: datetime, *, batch_size: int = 500) -> list[Alert]:
    """Raise or update a ``review_overdue`` alert for each liver-test or blood-count review
    point of an active plan that is overdue on the patient's today and has not alerted before.
    Returns the alerts raised or updated (each once). Running it again changes nothing."""
    settings = deployment_guideline_settings()
    overdue_after = timedelta(days=settings.review_overdue_after_days)
    # No zone is more than a day ahead of UTC: a point due after this is overdue nowhere yet.
    latest_today = (now + timedelta(days=1)).date()
    # Only points that became overdue lately alert: a first deployment (or a long outage)
    # does not flood the queue with every point ever missed; the patient page lists them all.
    earliest_since = (now - timedelta(days=1)).date() - OVERDUE_ALERT_LOOKBACK
    touched: dict[Any, Alert] = {}
    last_pk = None
    while True:
        plans = TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE).order_by("pk")
        if last_pk is not None:
            plans = plans.filter(pk__gt=last_pk)
        batch = list(
            plans.values_list(
                "pk",
                "patient_id",
                "patient__time_zone",
                "start_date",
                "recommendation__review_points",
            )[:batch_size]
        )
        if not batch:
            return list(touched.values())
        last_pk = batch[-1][0]
        # Cheap first cut, no other query: plans with a lab point old enough to be overdue.
        candidates = {
            plan_id: (patient_id, zone, start, points)
            for plan_id, patient_id, zone, start, points in batch
            if any(
                review_kind(point.get("what", "")) in TESTS_OF_KIND
                and earliest_since
                <= date.fromisoformat(point["date"]) + overdue_after
                <= latest_today
                for point in points or []
            )
        }
        if not candidates:
            continue
        known = set(
            OverdueReviewPoint.objects.filter(plan_id__in=list(candidates)).values_list(
                "plan_id", "date", "kind"
            )
        )
        zones = zone_periods_of_patients(
            {patient_id: zone for patient_id, zone, _, _ in candidates.values()}
        )
        dates = review_result_dates(
            {
                plan_id: (patient_id, start)
                for plan_id, (patient_id, _, start, _) in candidates.items()
            }
        )
        new: dict[Any, list[tuple[Any, ReviewPointStatus]]] = defaultdict(list)
        for plan_id, (patient_id, _, _, points) in candidates.items():
            today = local_today_in(zones[patient_id], now)
            for status in review_point_statuses(points, dates[plan_id], today, settings):
                if (
                    status.status == OVERDUE
                    and status.overdue_since is not None
                    and status.overdue_since >= today - OVERDUE_ALERT_LOOKBACK
                    and (plan_id, status.date, status.kind) not in known
                ):
                    new[patient_id].append((plan_id, status))
        for patient_id, overdue in new.items():
            patient = Patient.objects.select_related("care_team").get(pk=patient_id)
            today = local_today_in(zones[patient_id], now)
            for alert in _alert_patient(patient, overdue, today, settings, now):
                touched[alert.pk] = alert


def _alert_patient(
    patient: Patient,
    overdue: list[tuple[Any, ReviewPointStatus]],
    today: date,
    settings: GuidelineSettings,
    now: datetime,
) -> list[Alert]:
    """One transaction per patient; each point in its own savepoint (alert + row, or
    neither), oldest first, so the alert counts one occurrence per point."""
    alerts: list[Alert] = []
    seen: set[tuple[Any, date, str]] = set()
    with transaction.atomic():
        for plan_id, status in sorted(overdue, key=lambda item: (item[1].kind, item[1].date)):
            key = (plan_id, status.date, status.kind)
            if key in seen:  # two points of one kind on one day: one entry
                continue
            seen.add(key)
            try:
                with transaction.atomic():
                    alerts.append(_alert_point(patient, plan_id, status, today, settings, now))
            except IntegrityError:
                continue  # a concurrent run alerted this point first: its alert stands
    return alerts


def _alert_point(
    patient: Patient,
    plan_id: Any,
    status: ReviewPointStatus,
    today: date,
    settings: GuidelineSettings,
    now: datetime,
) -> Alert:
    kind = status.kind
    open_alert = (
        Alert.objects.select_for_update()
        .filter(patient=patient, kind=AlertKind.REVIEW_OVERDUE, symptom=kind)
        .exclude(status=AlertStatus.RESOLVED)
        .first()
    )
    listed = list(open_alert.details.get("review_points", [])) if open_alert else []
    entry = _point_details(plan_id, status)
    listed = [p for p in listed if (p.get("plan"), p.get("date")) != (entry["plan"], entry["date"])]
    listed = sorted([*listed, entry], key=lambda p: (p["date"], p["plan"]))
    alert = alert_raise(
        patient=patient,
        decision=overdue_decision(
            kind, [date.fromisoformat(p["date"]) for p in listed], today, settings
        ),
        symptom=kind,
        advice=overdue_advice(kind, status.date, today, settings),
        details={
            "review_kind": kind,
            "review_points": listed,
            "latest_point": entry["date"],
            "review_overdue_after_days": settings.review_overdue_after_days,
            "review_done_window_days": settings.review_done_window_days,
            "guideline_version": GUIDELINE_VERSION,
        },
        now=now,
    )
    assert status.overdue_since is not None  # an overdue point's status has the date
    # The unique (plan, date, kind) key: a concurrent run that got here first makes this an
    # IntegrityError, and the caller's savepoint undoes the alert change above.
    OverdueReviewPoint.objects.create(
        plan_id=plan_id,
        patient=patient,
        date=status.date,
        kind=kind,
        what=status.what[:300],
        overdue_since=status.overdue_since,
        alert=alert,
        alerted_at=now,
    )
    return alert

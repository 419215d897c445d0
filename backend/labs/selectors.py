"""Reads for lab results. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to."""

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_local_today
from backend.adherence.guideline import deployment_guideline_settings
from backend.adherence.models import TreatmentPlan
from backend.adherence.selectors.plans import plan_current
from backend.alerts.models import Alert, AlertStatus, ResolutionOutcome
from backend.guidelines.labs import LabReading
from backend.guidelines.review_status import (
    TESTS_OF_KIND,
    ReviewPointStatus,
    review_point_statuses,
)

from .models import LabResult

# A baseline test may be taken some weeks before the start; older results count for nothing.
_EARLIEST = timedelta(days=90)


def lab_results_of_patient(patient: Patient) -> QuerySet[LabResult]:
    """Newest first: by the day taken, then by when recorded."""
    return (
        LabResult.objects.filter(patient=patient)
        .select_related("recorded_by")
        .order_by("-taken_on", "-recorded_at", "test")
    )


def latest_lab_results(
    patient: Patient, tests: Collection[str], after: date | None = None
) -> dict[str, LabResult]:
    """The latest result of each test (by the day taken, then by when recorded), only those
    taken after ``after`` when given."""
    rows = LabResult.objects.filter(patient=patient, test__in=list(tests))
    if after is not None:
        rows = rows.filter(taken_on__gt=after)
    latest: dict[str, LabResult] = {}
    for row in rows.order_by("-taken_on", "-recorded_at"):
        latest.setdefault(row.test, row)
    return latest


def reading_of(result: LabResult) -> LabReading:
    """A stored result as the guideline module reads it (canonical unit)."""
    return LabReading(
        test=result.test,
        value=result.value,
        upper_limit_of_normal=result.upper_limit_of_normal,
        taken_on=result.taken_on,
        ref=str(result.pk),
    )


def unresolved_lab_alert(patient: Patient, kind: str) -> Alert | None:
    """The patient's unresolved hold alert of this kind, locked for the caller's transaction."""
    return (
        Alert.objects.select_for_update()
        .filter(patient=patient, kind=kind, symptom="")
        .exclude(status=AlertStatus.RESOLVED)
        .first()
    )


def earlier_hold_episodes(patient: Patient, kind: str, since: datetime | None) -> int:
    """Resolved hold alerts of this kind since ``since`` (the current plan's creation), not
    counting those a nurse closed as needing no action: the earlier episodes of a hold."""
    alerts = Alert.objects.filter(patient=patient, kind=kind, status=AlertStatus.RESOLVED).exclude(
        resolution_outcome=ResolutionOutcome.NO_ACTION_NEEDED
    )
    if since is not None:
        alerts = alerts.filter(opened_at__gte=since)
    return alerts.count()


# Lab test -> the review kind it counts for (liver tests, blood counts).
REVIEW_KIND_OF_TEST: dict[str, str] = {
    test: kind for kind, names in TESTS_OF_KIND.items() for test in names
}


def review_result_dates(
    plans: Mapping[Any, tuple[Any, date]],
) -> dict[Any, dict[str, list[date]]]:
    """For each plan (``{plan id: (patient id, start date)}``), the dates of its patient's
    liver-test and blood-count results by review kind, from ``_EARLIEST`` before the plan's
    start: what ``review_point_statuses`` reads. One query, whatever the number of plans."""
    if not plans:
        return {}
    earliest = min(start for _, start in plans.values()) - _EARLIEST
    by_patient: dict[Any, list[tuple[str, date]]] = {}
    rows = (
        LabResult.objects.filter(
            patient_id__in={patient_id for patient_id, _ in plans.values()},
            test__in=list(REVIEW_KIND_OF_TEST),
            taken_on__gte=earliest,
        )
        .order_by()
        .values_list("patient_id", "test", "taken_on")
        .distinct()
    )
    for patient_id, test, taken_on in rows:
        by_patient.setdefault(patient_id, []).append((REVIEW_KIND_OF_TEST[test], taken_on))
    dates: dict[Any, dict[str, list[date]]] = {}
    for plan_id, (patient_id, start) in plans.items():
        kinds: dict[str, set[date]] = {}
        for kind, taken_on in by_patient.get(patient_id, []):
            if taken_on >= start - _EARLIEST:
                kinds.setdefault(kind, set()).add(taken_on)
        dates[plan_id] = {kind: sorted(days) for kind, days in kinds.items()}
    return dates


_CURRENT = object()


def review_points_of_patient(
    patient: Patient, today: date | None = None, *, plan: object = _CURRENT
) -> list[ReviewPointStatus]:
    """The current plan's review points, each upcoming / due / done / overdue on the
    patient's today (backend.guidelines.review_status), oldest first; [] without a plan.
    A caller that has read the current plan already passes it (``plan=``)."""
    if plan is _CURRENT:
        plan = plan_current(patient)
    if not isinstance(plan, TreatmentPlan):
        return []
    points = (plan.recommendation or {}).get("review_points") or []
    dates = review_result_dates({plan.pk: (patient.pk, plan.start_date)})[plan.pk]
    return review_point_statuses(
        points,
        dates,
        today or patient_local_today(patient),
        deployment_guideline_settings(),
    )

"""Reads for lab results. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to."""

from collections.abc import Collection
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_local_today
from backend.adherence.guideline import deployment_guideline_settings
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


def review_points_of_patient(
    patient: Patient, today: date | None = None
) -> list[ReviewPointStatus]:
    """The current plan's review points, each upcoming / due / done / overdue on the
    patient's today (backend.guidelines.review_status), oldest first; [] without a plan."""
    plan = plan_current(patient)
    if plan is None:
        return []
    points = (plan.recommendation or {}).get("review_points") or []
    tests = {test: kind for kind, names in TESTS_OF_KIND.items() for test in names}
    dates: dict[str, set[date]] = {}
    for test, taken_on in LabResult.objects.filter(
        patient=patient, test__in=list(tests), taken_on__gte=plan.start_date - _EARLIEST
    ).values_list("test", "taken_on"):
        dates.setdefault(tests[test], set()).add(taken_on)
    return review_point_statuses(
        points,
        {kind: sorted(days) for kind, days in dates.items()},
        today or patient_local_today(patient),
        deployment_guideline_settings(),
    )

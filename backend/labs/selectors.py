"""Reads for lab results. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to."""

from collections.abc import Collection
from datetime import date, datetime

from django.db.models import QuerySet

from backend.accounts.models import Patient
from backend.alerts.models import Alert, AlertStatus, ResolutionOutcome
from backend.guidelines.labs import LabReading

from .models import LabResult


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

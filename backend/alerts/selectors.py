"""Reads for alerts, scoped by accounts.selectors.patients_visible_to."""

from collections.abc import Collection
from datetime import datetime

from django.db.models import Q, QuerySet

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patients_visible_to

from .models import Alert, AlertStatus


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "acknowledged_by", "resolved_by"
    )


def alerts_filtered(
    user: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    priority: str | None = None,
    patient_id: object | None = None,
) -> QuerySet[Alert]:
    """Urgent first, then high, then by age. `status` 'unresolved' (the default) means open or
    acknowledged."""
    alerts = alerts_visible_to(user)
    if status in (None, "unresolved"):
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    else:
        alerts = alerts.filter(status=status)
    if kind:
        alerts = alerts.filter(kind=kind)
    if priority:
        alerts = alerts.filter(priority=priority)
    if patient_id:
        alerts = alerts.filter(patient_id=patient_id)
    return alerts.order_by("priority_rank", "opened_at")


def alerts_of_patient(
    patient: Patient, *, opened_from: datetime, opened_to: datetime
) -> list[Alert]:
    """A patient's alerts opened in [opened_from, opened_to), plus any still unresolved (an
    export shows what is open now, whenever it began). Callers pass a scoped patient."""
    return list(
        Alert.objects.filter(patient=patient)
        .filter(
            Q(opened_at__gte=opened_from, opened_at__lt=opened_to) | ~Q(status=AlertStatus.RESOLVED)
        )
        .select_related("acknowledged_by", "resolved_by")
        .order_by("opened_at", "id")
    )


def alert_times_of_patients(
    patient_ids: Collection[object], start: datetime, end: datetime
) -> dict[object, list[tuple[datetime, datetime | None]]]:
    """patient id -> (opened_at, resolved_at or None) of every alert opened in [start, end),
    for a cohort in one query (alerts opened, and time to resolve, in an export)."""
    times: dict[object, list[tuple[datetime, datetime | None]]] = {}
    rows = (
        Alert.objects.filter(patient_id__in=patient_ids, opened_at__gte=start, opened_at__lt=end)
        .order_by("opened_at")
        .values_list("patient_id", "opened_at", "resolved_at")
    )
    for patient_id, opened_at, resolved_at in rows:
        times.setdefault(patient_id, []).append((opened_at, resolved_at))
    return times


def last_alert_seen_at(patient: Patient, symptom: str) -> datetime | None:
    """When the care team was last alerted about this symptom (any kind), or None."""
    return (
        Alert.objects.filter(patient=patient, symptom=symptom)
        .order_by("-last_seen_at")
        .values_list("last_seen_at", flat=True)
        .first()
    )

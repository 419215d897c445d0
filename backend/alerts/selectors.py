"""Reads for alerts, scoped by accounts.selectors.patients_visible_to."""

from django.db.models import QuerySet

from backend.accounts.models import User
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

"""Reads for alerts, scoped by accounts.selectors.patients_visible_to."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Case, Count, Q, QuerySet, When

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patients_visible_to

from .models import Alert, AlertStatus


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "acknowledged_by", "resolved_by"
    )


def _matching(kind: str | None, priority: str | None, patient_id: UUID | str | None) -> Q | None:
    """The queue's filters as one condition (None: no filter), for its rows and its counts."""
    conditions = Q()
    if kind:
        conditions &= Q(kind=kind)
    if priority:
        conditions &= Q(priority=priority)
    if patient_id:
        conditions &= Q(patient_id=patient_id)
    return conditions or None


def alerts_filtered(
    user: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    priority: str | None = None,
    patient_id: UUID | str | None = None,
) -> QuerySet[Alert]:
    """Escalated first, then urgent, then high, then by age. `status` 'unresolved' (the
    default) means open or acknowledged."""
    alerts = alerts_visible_to(user)
    if status in (None, "unresolved"):
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    else:
        alerts = alerts.filter(status=status)
    matching = _matching(kind, priority, patient_id)
    if matching is not None:
        alerts = alerts.filter(matching)
    # Escalated first (the whole team was told: it waited too long), then urgent, high, by age.
    escalated_first = Case(When(escalated_at__isnull=False, then=0), default=1)
    return alerts.order_by(escalated_first, "priority_rank", "opened_at")


@dataclass(frozen=True)
class UnresolvedAlertCounts:
    unresolved: int  # open or acknowledged
    new: int  # open: not yet acknowledged
    matching: int  # unresolved and matching the filters (all unresolved without a filter)


def unresolved_alert_counts(
    user: User,
    *,
    kind: str | None = None,
    priority: str | None = None,
    patient_id: UUID | str | None = None,
) -> UnresolvedAlertCounts:
    """The user's unresolved alerts counted in one query: all, the new ones, and those that
    alerts_filtered with the same filters lists. Only unresolved rows are read (the partial
    index alert_unresolved_queue), never the years of resolved history."""
    matching = _matching(kind, priority, patient_id)
    counts = (
        alerts_visible_to(user)
        .exclude(status=AlertStatus.RESOLVED)
        .aggregate(
            unresolved=Count("id"),
            new=Count("id", filter=Q(status=AlertStatus.OPEN)),
            **({"matching": Count("id", filter=matching)} if matching is not None else {}),
        )
    )
    return UnresolvedAlertCounts(
        unresolved=counts["unresolved"],
        new=counts["new"],
        matching=counts.get("matching", counts["unresolved"]),
    )


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
    patient_ids: Collection[UUID], start: datetime, end: datetime
) -> dict[UUID, list[tuple[datetime, datetime | None]]]:
    """patient id -> (opened_at, resolved_at or None) of every alert opened in [start, end),
    for a cohort in one query (alerts opened, and time to resolve, in an export)."""
    times: dict[UUID, list[tuple[datetime, datetime | None]]] = {}
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


# What the patient's app says on a report, from the alerts it fed (issue 21: the loop closed).
TOLD, SEEN, RESOLVED = "told", "seen", "resolved"
_STAGE: dict[str, str] = {
    AlertStatus.OPEN: TOLD,
    AlertStatus.ACKNOWLEDGED: SEEN,
    AlertStatus.RESOLVED: RESOLVED,
}
_ORDER = {TOLD: 0, SEEN: 1, RESOLVED: 2}


def care_team_responses(
    patient: Patient, report_ids: Collection[object], since: datetime | None
) -> dict[str, dict[str, object]]:
    """For each report that fed an alert: how far the care team has got with it, for the
    patient's own eyes. `status` is the least advanced of its alerts (told: not yet seen; seen:
    a nurse acknowledged it; resolved: every alert about it is closed), `outcome` the resolving
    nurse's outcome code (the app words it for patients), and `call_requested_at` when a nurse
    asked the patient to phone. One query for all the reports."""
    wanted = {str(report_id) for report_id in report_ids}
    alerts = Alert.objects.filter(patient=patient)
    if since is not None:
        alerts = alerts.filter(opened_at__gte=since)
    found: dict[str, list[Alert]] = {}
    for alert in alerts.only(
        "details",
        "status",
        "acknowledged_at",
        "resolved_at",
        "resolution_outcome",
        "call_requested_at",
    ):
        details = alert.details or {}
        reports = details.get("reports") or ([details["report"]] if details.get("report") else [])
        for report_id in reports:
            if str(report_id) in wanted:
                found.setdefault(str(report_id), []).append(alert)
    responses: dict[str, dict[str, object]] = {}
    for report_id, fed in found.items():
        status = min((_STAGE[alert.status] for alert in fed), key=_ORDER.__getitem__)
        resolved = [(alert.resolved_at, alert) for alert in fed if alert.resolved_at is not None]
        resolved_at, latest = max(resolved, key=lambda pair: pair[0]) if resolved else (None, None)
        seen = [alert.acknowledged_at for alert in fed if alert.acknowledged_at is not None]
        calls = [alert.call_requested_at for alert in fed if alert.call_requested_at is not None]
        responses[report_id] = {
            "status": status,
            "seen_at": min(seen).isoformat() if seen else None,
            "resolved_at": resolved_at.isoformat() if resolved_at and status == RESOLVED else None,
            "outcome": latest.resolution_outcome if latest and status == RESOLVED else None,
            "call_requested_at": max(calls).isoformat() if calls else None,
        }
    return responses


def escalation_delay(priority: str) -> timedelta | None:
    """How long an open alert of this priority waits before the whole team is told
    (services.alerts_escalate); None for normal alerts, which never escalate."""
    from django.conf import settings

    minutes = {
        "urgent": settings.ALERT_ESCALATE_URGENT_AFTER_MINUTES,
        "high": settings.ALERT_ESCALATE_HIGH_AFTER_MINUTES,
    }.get(priority)
    return timedelta(minutes=minutes) if minutes is not None else None


def alert_escalates_at(alert: Alert) -> datetime | None:
    """When an open, not yet escalated urgent or high alert will be escalated; None otherwise
    (acknowledged, resolved, escalated already, or normal)."""
    if alert.status != AlertStatus.OPEN or alert.escalated_at is not None:
        return None
    delay = escalation_delay(alert.priority)
    since = alert.priority_since or alert.opened_at
    return since + delay if delay is not None else None

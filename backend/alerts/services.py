"""Writes for alerts: raise (deduplicated), acknowledge, resolve. Raising runs inside the
transaction of its cause and writes the care team's notifications to the outbox there too."""

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import CareTeam, Patient, User
from backend.accounts.roles import Role
from backend.audit.services import audit_record
from backend.common.errors import Conflict, ServiceValidationError
from backend.guidelines import Advice, AlertDecision, AlertRuleSettings
from backend.notifications.services import outbox_enqueue

from .models import (
    PRIORITY_RANK,
    STAFF_RESOLUTION_OUTCOMES,
    Alert,
    AlertStatus,
    CareTeamAlertSettings,
)


def alert_settings_for(care_team: CareTeam) -> AlertRuleSettings:
    """The team's thresholds, or the defaults of docs/guidelines.md (Alerts)."""
    row = CareTeamAlertSettings.objects.filter(care_team=care_team).first()
    if row is None:
        return AlertRuleSettings()
    return AlertRuleSettings(
        **{
            name: getattr(row, name)
            for name in AlertRuleSettings.__dataclass_fields__
            if hasattr(row, name)
        }
    )


def alert_raise(
    *,
    patient: Patient,
    decision: AlertDecision,
    symptom: str = "",
    advice: Advice | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Alert:
    """Open an alert, or, when one is already unresolved for this patient, kind and symptom,
    count the new cause on it (and raise its priority if the new cause is more urgent)."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = _unresolved(patient, decision.kind, symptom)
        if alert is None:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        patient=patient,
                        kind=decision.kind,
                        symptom=symptom,
                        priority=decision.priority,
                        priority_rank=PRIORITY_RANK[decision.priority],
                        rule=decision.rule,
                        summary=decision.text[:300],
                        sources=list(decision.sources),
                        advice=asdict(advice) if advice else None,
                        details=_with_reports({}, details or {}),
                        opened_at=now,
                        priority_since=now,
                        last_seen_at=now,
                    )
                _notify_care_team(alert, "opened")
                return alert
            except IntegrityError:
                alert = _unresolved(patient, decision.kind, symptom)
                if alert is None:  # pragma: no cover - the constraint that failed names it
                    raise
        escalated = PRIORITY_RANK[decision.priority] < alert.priority_rank
        alert.occurrences += 1
        alert.last_seen_at = now
        alert.summary = decision.text[:300]
        alert.details = _with_reports(alert.details, details or {})
        if advice is not None and not _keeps_clinician_advice(alert, advice):
            alert.advice = asdict(advice)
        if escalated:
            alert.priority = decision.priority
            alert.priority_rank = PRIORITY_RANK[decision.priority]
            alert.priority_since = now
            alert.rule = decision.rule
            alert.sources = list(decision.sources)
        alert.save()
        if escalated:
            _notify_care_team(alert, f"escalated-{alert.occurrences}")
        return alert


def _with_reports(before: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The details with the new cause's, keeping every report that fed the alert in `reports`
    (a repeated cause used to overwrite `report`, and the patient's earlier report lost its
    link to the alert the care team is working on)."""
    reports = list(before.get("reports") or ([before["report"]] if before.get("report") else []))
    if new.get("report") and new["report"] not in reports:
        reports.append(new["report"])
    merged = {**before, **new}
    if reports:
        merged["reports"] = reports
    return merged


# A nurse may ask again; a second push inside this time is not sent (a double click).
CALL_REQUEST_REPEAT_AFTER = timedelta(minutes=10)


def alert_ask_patient_to_call(*, alert: Alert, user: User) -> Alert:
    """A nurse asks the patient to phone the care team: a push to the patient's phones (no
    clinical detail on the lock screen) and a line on their report in the app."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("patient").get(pk=alert.pk)
        if alert.status == AlertStatus.RESOLVED:
            raise Conflict("alert", "This alert is already resolved.")
        patient = alert.patient
        if patient.user is None:
            raise Conflict("patient", "The patient has not activated the app: phone them.")
        now = timezone.now()
        if alert.call_requested_at and now - alert.call_requested_at < CALL_REQUEST_REPEAT_AFTER:
            return alert
        alert.call_requested_at = now
        alert.call_requested_by = user
        if alert.acknowledged_at is None:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = now
            alert.acknowledged_by = user
        alert.save()
        outbox_enqueue(
            recipient=patient.user,
            kind="call_request",
            payload={"alert": str(alert.pk)},
            dedupe_key=f"call-request:{alert.pk}:{now.isoformat()}",
        )
        audit_record(
            actor=user,
            action="alert.ask_to_call",
            patient=patient,
            detail={"alert": str(alert.pk)},
        )
    return alert


def alert_update(
    *,
    alert: Alert,
    event: str,
    summary: str | None = None,
    advice: Advice | None = None,
    details: dict[str, Any] | None = None,
) -> Alert:
    """Change what an unresolved alert says without counting a new cause (lab results that now
    meet a hold's resume rule, say) and tell the care team: one ``alert_updated`` outbox row per
    nurse, once per ``event`` (part of the dedupe key). Status and priority stay as they are;
    a nurse resolves the alert."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("patient").get(pk=alert.pk)
        if alert.status == AlertStatus.RESOLVED:
            raise Conflict("alert", "This alert is already resolved.")
        if summary is not None:
            alert.summary = summary[:300]
        if advice is not None:
            alert.advice = asdict(advice)
        if details:
            alert.details = {**alert.details, **details}
        alert.save()
        _notify_care_team(alert, event, kind="alert_updated")
    return alert


def _keeps_clinician_advice(alert: Alert, advice: Advice) -> bool:
    """Advice from a clinician's grade is not replaced by advice on a later patient answer."""
    current = alert.advice or {}
    return current.get("basis") == "clinician_grade" and advice.basis != "clinician_grade"


def alerts_advise_after_grade(
    *, patient: Patient, symptoms: list[str], advice: Advice
) -> list[Alert]:
    """Put a clinician's grade advice on the patient's unresolved alerts about these symptoms
    (the graded one and the red flags its report raised), in the grade's transaction."""
    with transaction.atomic():
        alerts = list(
            Alert.objects.select_for_update()
            .filter(patient=patient, symptom__in=symptoms)
            .exclude(status=AlertStatus.RESOLVED)
        )
        for alert in alerts:
            alert.advice = asdict(advice)
            alert.save(update_fields=["advice", "updated_at"])
    return alerts


def _unresolved(patient: Patient, kind: str, symptom: str) -> Alert | None:
    return (
        Alert.objects.select_for_update()
        .filter(patient=patient, kind=kind, symptom=symptom)
        .exclude(status=AlertStatus.RESOLVED)
        .first()
    )


def _notify_care_team(alert: Alert, event: str, kind: str | None = None) -> None:
    """One outbox row per nurse of the patient's team (the worker pushes them). The payload
    carries no clinical detail: the dashboard shows it to signed-in staff. ``kind``: the push's
    kind (default ``alert_opened`` for the event "opened", else ``alert_escalated``)."""
    team = User.objects.filter(care_teams=alert.patient.care_team_id, is_active=True)
    # Nurses act on alerts; a team with no active nurse must still hear (its coordinators).
    nurses = list(team.filter(role=Role.NURSE)) or list(team.filter(role=Role.COORDINATOR))
    for nurse in nurses:
        outbox_enqueue(
            recipient=nurse,
            kind=kind or ("alert_opened" if event == "opened" else "alert_escalated"),
            payload={"alert": str(alert.pk), "priority": alert.priority},
            dedupe_key=f"alert:{alert.pk}:{event}:{nurse.pk}",
        )


def alert_acknowledge(*, alert: Alert, user: User) -> Alert:
    """'I have seen it': the first acknowledgement counts; acknowledging again changes nothing."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.RESOLVED:
            raise Conflict("alert", "This alert is already resolved.")
        if alert.status == AlertStatus.OPEN:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user
            alert.save()
            audit_record(
                actor=user,
                action="alert.acknowledge",
                patient=alert.patient,
                detail={"alert": str(alert.pk)},
            )
    return alert


def alert_resolve(*, alert: Alert, user: User, outcome: str, note: str) -> Alert:
    note = note.strip()
    staff_outcomes = [value for value, _ in STAFF_RESOLUTION_OUTCOMES]
    if outcome not in staff_outcomes:
        raise ServiceValidationError("outcome", f"Must be one of: {', '.join(staff_outcomes)}.")
    if not note:
        raise ServiceValidationError("note", "Say what was done.")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.RESOLVED:
            raise Conflict("alert", "This alert is already resolved.")
        now = timezone.now()
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            alert.acknowledged_by = user
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
        alert.resolved_by = user
        alert.resolution_outcome = outcome
        alert.resolution_note = note
        alert.save()
        audit_record(
            actor=user,
            action="alert.resolve",
            patient=alert.patient,
            detail={"alert": str(alert.pk), "outcome": outcome},
        )
    return alert


def alerts_escalate(now: datetime) -> int:
    """Urgent alerts still open after ALERT_ESCALATE_URGENT_AFTER_MINUTES (high: ..._HIGH_...)
    are escalated once: every nurse and coordinator of the team is notified. Idempotent: the
    escalated time is set in the same transaction as the outbox rows."""
    from django.conf import settings
    from django.db.models import Q

    urgent_before = now - timedelta(minutes=settings.ALERT_ESCALATE_URGENT_AFTER_MINUTES)
    high_before = now - timedelta(minutes=settings.ALERT_ESCALATE_HIGH_AFTER_MINUTES)
    due = Q(priority="urgent", priority_since__lte=urgent_before) | Q(
        priority="high", priority_since__lte=high_before
    )
    escalated = 0
    with transaction.atomic():
        alerts = list(
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due, status=AlertStatus.OPEN, escalated_at__isnull=True)
            .select_related("patient")
        )
        for alert in alerts:
            team = User.objects.filter(
                care_teams=alert.patient.care_team_id,
                role__in=(Role.NURSE, Role.COORDINATOR),
                is_active=True,
            )
            for member in team:
                outbox_enqueue(
                    recipient=member,
                    kind="alert_escalated",
                    payload={"alert": str(alert.pk), "priority": alert.priority},
                    dedupe_key=f"alert:{alert.pk}:escalation:{member.pk}",
                )
            alert.escalated_at = now
            alert.save(update_fields=["escalated_at", "updated_at"])
            escalated += 1
    return escalated

"""Missed-dose streak alerts, for the worker to call after the missed-dose sweep. Set-based:
a fixed number of queries per batch of plans, whatever the number of patients."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db import transaction

from backend.accounts.models import Patient
from backend.adherence.metrics import LOG_STATUSES
from backend.adherence.models import DoseState, PlanStatus, ScheduledDose, TreatmentPlan
from backend.audit.services import audit_record
from backend.guidelines import AlertRuleSettings, missed_streak_alert

from .models import STREAK_LOOKBACK_DAYS, Alert, AlertKind, AlertStatus, ResolutionOutcome
from .services import alert_raise, alert_settings_for, alert_update


def current_missed_streak(statuses_by_day: dict[date, set[str]]) -> tuple[int, date | None]:
    """(length, first day) of the run of days with a missed dose that ends at the latest day
    with any log. Days with no log (held, not yet resolved, not scheduled) neither break nor
    extend it, as in adherence.metrics."""
    length = 0
    first = None
    for day in sorted(statuses_by_day, reverse=True):
        if DoseState.MISSED not in statuses_by_day[day]:
            break
        length += 1
        first = day
    return length, first


def missed_streak_runs(statuses_by_day: dict[date, set[str]]) -> list[tuple[int, date]]:
    """Every run of days with a missed dose, oldest first, as (length, first day); days with no
    log neither break nor extend a run (as current_missed_streak)."""
    runs: list[tuple[int, date]] = []
    length, first = 0, None
    for day in sorted(statuses_by_day):
        if DoseState.MISSED in statuses_by_day[day]:
            if length == 0:
                first = day
            length += 1
            continue
        if length and first is not None:
            runs.append((length, first))
        length, first = 0, None
    if length and first is not None:
        runs.append((length, first))
    return runs


def _statuses_by_day(patient_id: UUID, since: date) -> dict[date, set[str]]:
    """The logged states (taken, skipped, missed) of the patient's ledger rows by day: pending
    and held rows are no log, so they neither break nor extend a streak."""
    days: dict[date, set[str]] = defaultdict(set)
    for day, state in (
        ScheduledDose.objects.filter(
            patient_id=patient_id, local_date__gte=since, state__in=LOG_STATUSES
        )
        .order_by()
        .values_list("local_date", "state")
    ):
        days[day].add(state)
    return days


def _lock_patient(patient: Patient) -> None:
    """Streak alerts of one patient change one at a time: the sweep that raises them and a
    late dose log that withdraws them both hold the patient's row, so neither acts on the
    other's half-done view of the doses."""
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").first()


def missed_streak_alert_reevaluate(*, patient: Patient, now: datetime) -> Alert | None:
    """After doses the sweep had marked missed are logged (late, or corrected): recompute the
    streak of the patient's unresolved streak alert, in the log's transaction. The streak is
    the latest run of missed days since the alert's streak began that still reaches the care
    team's threshold. Shorter: the alert says so. None left: an alert still open is resolved
    by the system ("doses logged later", kept in its history); one a nurse acknowledged stays
    open with a note, and the team is told."""
    with transaction.atomic():
        _lock_patient(patient)
        alert = (
            Alert.objects.select_for_update()
            .filter(patient=patient, kind=AlertKind.MISSED_DOSE_STREAK)
            .exclude(status=AlertStatus.RESOLVED)
            .first()
        )
        if alert is None:
            return None
        started = _alert_streak_start(alert, now)
        settings = alert_settings_for(patient.care_team)
        runs = missed_streak_runs(_statuses_by_day(patient.pk, started))
        qualifying = [run for run in runs if missed_streak_alert(run[0], settings) is not None]
        if qualifying:
            return _streak_shortened(alert, *qualifying[-1], settings)
        return _streak_withdrawn(alert, runs, now)


def _alert_streak_start(alert: Alert, now: datetime) -> date:
    try:
        return date.fromisoformat(alert.details["streak_started"])
    except (KeyError, TypeError, ValueError):
        return (now - timedelta(days=STREAK_LOOKBACK_DAYS)).date()


def _streak_shortened(alert: Alert, length: int, first: date, settings: AlertRuleSettings) -> Alert:
    details = {"streak_days": length, "streak_started": first.isoformat()}
    if all(alert.details.get(key) == value for key, value in details.items()):
        return alert
    decision = missed_streak_alert(length, settings)
    reported = {  # what the alert first said, kept for the nurse's note
        "streak_days_reported": alert.details.get(
            "streak_days_reported", alert.details.get("streak_days")
        ),
        "streak_started_reported": alert.details.get(
            "streak_started_reported", alert.details.get("streak_started")
        ),
    }
    alert.details = {**alert.details, **details, "doses_logged_later": True, **reported}
    if decision is not None:
        alert.summary = decision.text[:300]
    alert.save(update_fields=["details", "summary", "updated_at"])
    return alert


WITHDRAWN_NOTE = (
    "The doses marked missed were logged later: no missed-dose streak remains "
    "(was {days} days from {started})."
)


def _streak_withdrawn(alert: Alert, runs: list[tuple[int, date]], now: datetime) -> Alert:
    note = WITHDRAWN_NOTE.format(
        days=alert.details.get("streak_days_reported", alert.details.get("streak_days", "?")),
        started=alert.details.get(
            "streak_started_reported", alert.details.get("streak_started", "?")
        ),
    )
    longest = max((length for length, _ in runs), default=0)
    if alert.status == AlertStatus.ACKNOWLEDGED:
        # A nurse is already on it (perhaps phoning): keep it for them to close, say why.
        return alert_update(
            alert=alert,
            event="doses-logged-later",
            summary=f"doses since logged: no missed streak remains (was {alert.summary})",
            details={
                "doses_logged_later": True,
                "streak_days": longest,
                "withdrawn_note": note,
            },
        )
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = None
    alert.resolution_outcome = ResolutionOutcome.DOSES_LOGGED_LATER
    alert.resolution_note = note
    alert.details = {**alert.details, "doses_logged_later": True, "streak_days": longest}
    alert.save()
    audit_record(
        actor=None,
        action="alert.withdrawn",
        patient=alert.patient,
        detail={"alert": str(alert.pk), "outcome": ResolutionOutcome.DOSES_LOGGED_LATER},
    )
    return alert


def alerts_open_for_missed_streaks(now: datetime, *, batch_size: int = 500) -> list[Alert]:
    """Open (or update) one `missed_dose_streak` alert per patient whose current streak has
    reached their care team's threshold. A growing streak updates the open alert; a streak
    after a taken dose opens a new one once the previous alert is resolved."""
    raised: list[Alert] = []
    last_pk = None
    since = (now - timedelta(days=STREAK_LOOKBACK_DAYS)).date()
    while True:
        plans = TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE).order_by("pk")
        if last_pk is not None:
            plans = plans.filter(pk__gt=last_pk)
        batch = list(plans.select_related("patient__care_team")[:batch_size])
        if not batch:
            return raised
        last_pk = batch[-1].pk
        patients = {plan.patient_id: plan.patient for plan in batch}
        days: dict[UUID, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
        for patient_id, day, state in (
            ScheduledDose.objects.filter(
                patient_id__any_of=set(patients), local_date__gte=since, state__in=LOG_STATUSES
            )
            .order_by()
            .values_list("patient_id", "local_date", "state")
        ):
            days[patient_id][day].add(state)
        open_alerts = {
            alert.patient_id: alert
            for alert in Alert.objects.filter(
                patient_id__in=list(patients), kind=AlertKind.MISSED_DOSE_STREAK
            ).exclude(status=AlertStatus.RESOLVED)
        }
        settings_by_team = {}
        for patient_id, statuses in days.items():
            length, first = current_missed_streak(statuses)
            patient = patients[patient_id]
            team = patient.care_team_id
            if team not in settings_by_team:
                settings_by_team[team] = alert_settings_for(patient.care_team)
            decision = missed_streak_alert(length, settings_by_team[team])
            if decision is None or first is None:
                continue
            known = open_alerts.get(patient_id)
            if (
                known is not None
                and known.details.get("streak_started") == first.isoformat()
                and (known.details.get("streak_days") == length)
            ):
                continue  # the same streak, no longer than when last seen: nothing new
            alert = _raise_if_still_missed(patient, since, settings_by_team[team], now)
            if alert is not None:
                raised.append(alert)
    return raised


def _raise_if_still_missed(
    patient: Patient, since: date, settings: AlertRuleSettings, now: datetime
) -> Alert | None:
    """Raise the streak alert after reading the doses again under the patient's lock: a dose
    logged late since the batch was read (and its own withdrawal) must not be undone."""
    with transaction.atomic():
        _lock_patient(patient)
        length, first = current_missed_streak(_statuses_by_day(patient.pk, since))
        decision = missed_streak_alert(length, settings)
        if decision is None or first is None:
            return None
        known = (
            Alert.objects.filter(patient=patient, kind=AlertKind.MISSED_DOSE_STREAK)
            .exclude(status=AlertStatus.RESOLVED)
            .first()
        )
        if (
            known is not None
            and known.details.get("streak_started") == first.isoformat()
            and known.details.get("streak_days") == length
        ):
            return None
        return alert_raise(
            patient=patient,
            decision=decision,
            details={"streak_days": length, "streak_started": first.isoformat()},
            now=now,
        )

"""Dose logs from phones: record once (a resend of the same client_id returns what is stored),
correct within the backfill window (every change kept), never delete."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patient_local_today
from backend.alerts import triggers
from backend.common.errors import ServiceValidationError
from backend.common.time import local_date

from ..models import DoseLog, DoseLogRevision, DoseStatus, SkipReason, TreatmentPlan
from ..schedule import ScheduledDose
from ..selectors.plan_schedules import PlanSchedule, plan_schedules
from .ledger import ledger_record_log

CREATED = "created"  # a new log, or a patient's log replacing a "missed" one
REPLAYED = "replayed"  # the same client_id again: the stored log, unchanged
CONFLICT = "conflict"  # the dose already has another log


@dataclass(frozen=True)
class DoseLogResult:
    log: DoseLog
    outcome: str
    # The log replaced one the sweep had marked missed (a streak alert may no longer hold).
    replaced_missed: bool = False


def _after_change(log: DoseLog) -> None:
    """A dose skipped for side effects may, with a symptom at level 2 or more, need the care
    team (the combined alert); raised here, in the log's own transaction."""
    if log.status == DoseStatus.SKIPPED and log.skip_reason == SkipReason.SIDE_EFFECTS:
        triggers.alerts_after_dose_skipped_for_side_effects(patient=log.patient, now=timezone.now())


def dose_log_record(
    *,
    patient: Patient,
    recorded_by: User,
    client_id: UUID,
    scheduled_date: date,
    slot: int,
    status: str,
    taken_at: datetime | None = None,
    skip_reason: str = "",
    note: str = "",
) -> DoseLogResult:
    """Record what the patient did with one scheduled dose. Idempotent on client_id."""
    with transaction.atomic():
        result = _record(
            patient=patient,
            recorded_by=recorded_by,
            client_id=client_id,
            scheduled_date=scheduled_date,
            slot=slot,
            status=status,
            taken_at=taken_at,
            skip_reason=skip_reason,
            note=note,
        )
        if result.outcome == CREATED:
            _after_change(result.log)
        if result.replaced_missed:
            triggers.alerts_after_missed_dose_logged(patient=patient, now=timezone.now())
        return result


def _record(
    *,
    patient: Patient,
    recorded_by: User,
    client_id: UUID,
    scheduled_date: date,
    slot: int,
    status: str,
    taken_at: datetime | None,
    skip_reason: str,
    note: str,
) -> DoseLogResult:
    replay = _replay(patient, client_id)
    if replay is not None:
        return replay
    now = timezone.now()
    plans = _patient_plans(patient)
    # The zone periods come with the plans (one read for both); a patient with no plan yet
    # still gets the date checks first.
    today = plans[0].local_today(now) if plans else patient_local_today(patient, now)
    dose, plan_id = _scheduled_dose(plans, scheduled_date, slot, today)
    values = _checked_values(
        dose=dose, status=status, taken_at=taken_at, skip_reason=skip_reason, now=now, today=today
    )
    values["note"] = note

    existing = (
        DoseLog.objects.select_for_update()
        .filter(patient=patient, scheduled_date=scheduled_date, slot=slot)
        .order_by()
        .first()
    )
    if existing is None:
        try:
            with transaction.atomic():
                log = DoseLog.objects.create(
                    client_id=client_id,
                    patient=patient,
                    plan_id=plan_id,
                    scheduled_date=scheduled_date,
                    slot=slot,
                    recorded_by=recorded_by,
                    **values,
                )
                ledger_record_log(log, dose, plan_id)
            return DoseLogResult(log, CREATED)
        except IntegrityError:
            # A copy of this request, or the missed sweep, got there first.
            replay = _replay(patient, client_id)
            if replay is not None:
                return replay
            existing = (
                DoseLog.objects.select_for_update()
                .filter(patient=patient, scheduled_date=scheduled_date, slot=slot)
                .order_by()
                .first()
            )
            if existing is None:  # pragma: no cover - the unique key that failed names it
                raise
    if existing.client_id == client_id:
        return DoseLogResult(existing, REPLAYED)
    if existing.status == DoseStatus.MISSED:
        log = _apply_change(
            existing,
            {**values, "client_id": client_id, "recorded_by": recorded_by},
            changed_by=recorded_by,
            reason="logged after being marked missed",
        )
        ledger_record_log(log, dose, plan_id)
        return DoseLogResult(log, CREATED, replaced_missed=True)
    return DoseLogResult(existing, CONFLICT)


def _replay(patient: Patient, client_id: UUID) -> DoseLogResult | None:
    stored = DoseLog.objects.filter(client_id=client_id).order_by().first()
    if stored is None:
        return None
    if stored.patient_id != patient.pk:
        raise ServiceValidationError("client_id", "This client_id has already been used.")
    return DoseLogResult(stored, REPLAYED)


def _patient_plans(patient: Patient) -> list[PlanSchedule]:
    """The patient's plans, newest first (the plan a dose belongs to is the newest covering
    its day), read as rows with their schedules: no guideline JSON, no model instances."""
    return plan_schedules(
        TreatmentPlan.objects.filter(patient=patient).order_by("-start_date", "-created_at")
    )


def _scheduled_dose(
    plans: list[PlanSchedule], day: date, slot: int, today: date
) -> tuple[ScheduledDose, object]:
    """The scheduled dose (day, slot) of the patient's plans (newest first) and its plan's id,
    or a 400 saying why there is none."""
    if day > today:
        raise ServiceValidationError("date", "Doses cannot be logged for a future date.")
    window = settings.DOSE_BACKFILL_DAYS
    if day < today - timedelta(days=window):
        raise ServiceValidationError(
            "date", f"Doses can be logged up to {window} days back; ask your care team."
        )
    if not plans:
        raise ServiceValidationError("date", "There is no treatment plan to log doses against.")
    for plan in plans:
        last = plan.last_dose_date()
        if plan.start_date <= day and (last is None or day <= last):
            doses = plan.doses(day, day)
            if any(d.on_hold for d in doses):
                raise ServiceValidationError("date", "Imatinib is on hold on this day.")
            for dose in doses:
                if dose.slot == slot:
                    return dose, plan.plan_id
            count = len(doses)
            raise ServiceValidationError(
                "slot", f"The plan has {count} dose(s) on this day: slot must be 1 to {count}."
            )
    if day < min(plan.start_date for plan in plans):
        raise ServiceValidationError("date", "This day is before the plan's start date.")
    raise ServiceValidationError("date", "This day is after the plan's end date.")


def _checked_values(
    *,
    dose: ScheduledDose,
    status: str,
    taken_at: datetime | None,
    skip_reason: str,
    now: datetime,
    today: date,
) -> dict[str, Any]:
    if status == DoseStatus.TAKEN:
        if taken_at is None:
            raise ServiceValidationError("taken_at", "Say when the dose was taken.")
        if skip_reason:
            raise ServiceValidationError("skip_reason", "Only a skipped dose has a skip reason.")
        if taken_at > now + timedelta(seconds=settings.DOSE_CLOCK_SKEW_SECONDS):
            raise ServiceValidationError("taken_at", "Must not be in the future.")
        earliest = dose.due_at - timedelta(hours=settings.DOSE_EARLIEST_HOURS_BEFORE)
        if taken_at < earliest:
            raise ServiceValidationError(
                "taken_at",
                f"Is more than {settings.DOSE_EARLIEST_HOURS_BEFORE} hours before this dose's "
                "time: is it the right day?",
            )
        # Counted in the patient's local days, like the dates a dose may be logged for.
        window = settings.DOSE_BACKFILL_DAYS
        if local_date(taken_at, dose.time_zone) < today - timedelta(days=window):
            raise ServiceValidationError("taken_at", f"Must be within the last {window} days.")
        late_after = timedelta(minutes=settings.DOSE_LATE_AFTER_MINUTES)
        return {
            "status": DoseStatus.TAKEN,
            "taken_at": taken_at,
            "late": taken_at > dose.due_at + late_after,
            "skip_reason": "",
        }
    if status == DoseStatus.SKIPPED:
        if taken_at is not None:
            raise ServiceValidationError("taken_at", "A skipped dose has no time taken.")
        if skip_reason not in SkipReason.values:
            raise ServiceValidationError(
                "skip_reason", f"Must be one of: {', '.join(SkipReason.values)}."
            )
        return {
            "status": DoseStatus.SKIPPED,
            "taken_at": None,
            "late": False,
            "skip_reason": skip_reason,
        }
    raise ServiceValidationError("status", "Must be 'taken' or 'skipped'.")


_TRACKED_FIELDS = ("status", "taken_at", "late", "skip_reason", "note", "client_id")


def _snapshot(log: DoseLog) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in _TRACKED_FIELDS:
        value = getattr(log, field)
        values[field] = (
            value.isoformat()
            if isinstance(value, datetime)
            else (str(value) if isinstance(value, UUID) else value)
        )
    return values


def _apply_change(
    log: DoseLog, changes: dict[str, Any], *, changed_by: User | None, reason: str
) -> DoseLog:
    before = _snapshot(log)
    for field, value in changes.items():
        setattr(log, field, value)
    after = _snapshot(log)
    if before == after:
        return log
    log.save()
    DoseLogRevision.objects.create(
        dose_log=log,
        changed_by=changed_by,
        before={k: v for k, v in before.items() if before[k] != after[k]},
        after={k: v for k, v in after.items() if before[k] != after[k]},
        reason=reason,
    )
    return log


def dose_log_correct(
    *,
    log: DoseLog,
    changed_by: User,
    status: str | None = None,
    taken_at: datetime | None = None,
    skip_reason: str | None = None,
    note: str | None = None,
) -> DoseLog:
    """A patient corrects their log within the backfill window; the change is a revision."""
    with transaction.atomic():
        log = DoseLog.objects.select_for_update().select_related("patient").get(pk=log.pk)
        now = timezone.now()
        today = patient_local_today(log.patient, now)
        window = settings.DOSE_BACKFILL_DAYS
        if log.scheduled_date < today - timedelta(days=window):
            raise ServiceValidationError(
                "date", f"Logs can be corrected for {window} days; ask your care team."
            )
        changes: dict[str, Any] = {}
        if note is not None:
            changes["note"] = note
        if status is not None or taken_at is not None or skip_reason is not None:
            new_status = status or (log.status if log.status != DoseStatus.MISSED else None)
            if new_status is None:
                raise ServiceValidationError("status", "Say whether the dose was taken or skipped.")
            plans = _patient_plans(log.patient)
            dose, _ = _scheduled_dose(plans, log.scheduled_date, log.slot, today)
            changes |= _checked_values(
                dose=dose,
                status=new_status,
                taken_at=taken_at
                if taken_at is not None
                else (log.taken_at if new_status == DoseStatus.TAKEN else None),
                skip_reason=skip_reason
                if skip_reason is not None
                else (log.skip_reason if new_status == DoseStatus.SKIPPED else ""),
                now=now,
                today=today,
            )
        before = (log.status, log.skip_reason)
        log = _apply_change(log, changes, changed_by=changed_by, reason="corrected by patient")
        ledger_record_log(log)
        if (log.status, log.skip_reason) != before:
            _after_change(log)
            if before[0] == DoseStatus.MISSED:
                triggers.alerts_after_missed_dose_logged(patient=log.patient, now=now)
        return log

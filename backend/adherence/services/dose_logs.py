"""Dose logs from phones, written on the dose ledger: a dose's log is its ScheduledDose row.
Record once (a resend of the same client_id returns what is stored), correct or undo within
the backfill window (every change kept as a DoseLogRevision, a phone's change once by its
change_id, refused when the log changed since the phone saw it), never delete.

The common case, a pending dose logged on time, is one UPDATE on the ledger's unique key
(issue 20): the row's own due time and zone decide "late" and the earliest allowed time in
the same statement. Anything else (a resend, a dose already logged or marked missed, a day
on hold or not scheduled, a time out of bounds) takes the checked path, which reads the row
under a lock and answers with the exact rule and message."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patient_local_today
from backend.alerts import triggers
from backend.common.errors import Conflict, ServiceValidationError
from backend.common.time import local_date

from ..models import (
    LOGGED_STATES,
    DoseLogRevision,
    DoseState,
    DoseStatus,
    ScheduledDose,
    SkipReason,
    TreatmentPlan,
)
from ..selectors.plan_schedules import PlanSchedule, plan_schedules
from .ledger import ledger_rows
from .missed_doses import dose_is_missed

CREATED = "created"  # a new log, or a patient's log replacing a "missed" one
REPLAYED = "replayed"  # the same client_id again: the stored log, unchanged
CONFLICT = "conflict"  # the dose already has another log
UNDONE = "undone"  # the client_id's log was undone: the dose's row as it is now

NOT_LOGGED = "not_logged"  # a correction's status that undoes the log
DEFAULT_CORRECTION_REASON = "corrected by patient"
DEFAULT_UNDO_REASON = "undone by the patient"


@dataclass(frozen=True)
class DoseLogResult:
    log: ScheduledDose
    outcome: str
    # The log replaced one the sweep had marked missed (a streak alert may no longer hold).
    replaced_missed: bool = False


def _after_change(log: ScheduledDose, patient: Patient) -> None:
    """A dose skipped for side effects may, with a symptom at level 2 or more, need the care
    team (the combined alert); a dose skipped because the tablets ran out always does (the
    ran-out alert). Raised here, in the log's own transaction."""
    if _may_alert({"state": log.state, "skip_reason": log.skip_reason}):
        triggers.alerts_after_dose_skipped_for_side_effects(patient=patient, now=timezone.now())
    if log.state == DoseState.SKIPPED and log.skip_reason == SkipReason.RAN_OUT:
        triggers.alerts_after_dose_skipped_ran_out(patient=patient, now=timezone.now())


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
    now = timezone.now()
    today = patient_local_today(patient, now)
    try:
        requested = _requested_values(status, taken_at, skip_reason, now) | {"note": note}
    except ServiceValidationError:
        requested = None  # the checked path answers, in the order it always has
    if (
        requested is not None
        and connection.vendor == "postgresql"
        and _within_window(scheduled_date, today)
    ):
        try:
            with transaction.atomic():
                log = _log_pending_dose(
                    patient=patient,
                    recorded_by=recorded_by,
                    client_id=client_id,
                    day=scheduled_date,
                    slot=slot,
                    values=requested,
                    now=now,
                    today=today,
                )
                if log is not None:
                    _after_change(log, patient)
                    return DoseLogResult(log, CREATED)
        except IntegrityError:
            pass  # the client_id was taken meanwhile: the checked path says by what
    with transaction.atomic():
        result = _record_checked(
            patient=patient,
            recorded_by=recorded_by,
            client_id=client_id,
            day=scheduled_date,
            slot=slot,
            request=(status, taken_at, skip_reason, note),
            now=now,
            today=today,
        )
        if result.outcome == CREATED:
            _after_change(result.log, patient)
        if result.replaced_missed:
            triggers.alerts_after_missed_dose_logged(patient=patient, now=now)
        return result


def _may_alert(values: dict[str, Any]) -> bool:
    state: str = values["state"]
    skip_reason: str = values["skip_reason"]
    return state == DoseState.SKIPPED and skip_reason == SkipReason.SIDE_EFFECTS


def _within_window(day: date, today: date) -> bool:
    return today - timedelta(days=settings.DOSE_BACKFILL_DAYS) <= day <= today


_LOG_PENDING_DOSE_SQL = """
    UPDATE {ledger} SET
        state = %(status)s,
        client_id = %(client_id)s,
        taken_at = %(taken_at)s::timestamptz,
        late = COALESCE(%(taken_at)s::timestamptz > due_at + %(late_after)s, false),
        skip_reason = %(skip_reason)s,
        note = %(note)s,
        recorded_by_id = %(recorded_by)s,
        next_reminder_at = NULL,
        logged_at = %(now)s,
        updated_at = %(now)s
    WHERE patient_id = %(patient)s AND local_date = %(day)s AND slot = %(slot)s
      AND state = %(pending)s AND due_at IS NOT NULL
      AND (%(taken_at)s::timestamptz IS NULL OR (
            %(taken_at)s::timestamptz >= due_at - %(earliest)s
            AND (%(taken_at)s::timestamptz AT TIME ZONE time_zone)::date >= %(first_day)s))
      AND NOT EXISTS (SELECT 1 FROM {ledger} WHERE client_id = %(client_id)s)
      AND NOT EXISTS (SELECT 1 FROM {revisions} WHERE undone_client_id = %(client_id)s)
    RETURNING *
"""


def _log_pending_dose(
    *,
    patient: Patient,
    recorded_by: User,
    client_id: UUID,
    day: date,
    slot: int,
    values: dict[str, Any],
    now: datetime,
    today: date,
) -> ScheduledDose | None:
    """The common case in one statement: the pending row of (patient, day, slot) becomes the
    log, when its due time allows `taken_at` and the client_id is new. None when any of that
    does not hold (the checked path then says why, or finds a resend)."""
    sql = _LOG_PENDING_DOSE_SQL.format(
        ledger=connection.ops.quote_name(ScheduledDose._meta.db_table),
        revisions=connection.ops.quote_name(DoseLogRevision._meta.db_table),
    )
    rows = list(
        ScheduledDose.objects.raw(
            sql,
            {
                "status": values["state"],
                "client_id": client_id,
                "taken_at": values["taken_at"],
                "late_after": timedelta(minutes=settings.DOSE_LATE_AFTER_MINUTES),
                "skip_reason": values["skip_reason"],
                "note": values["note"],
                "recorded_by": recorded_by.pk,
                "now": now,
                "patient": patient.pk,
                "day": day,
                "slot": slot,
                "pending": DoseState.PENDING.value,
                "earliest": timedelta(hours=settings.DOSE_EARLIEST_HOURS_BEFORE),
                "first_day": today - timedelta(days=settings.DOSE_BACKFILL_DAYS),
            },
        )
    )
    return rows[0] if rows else None


def _record_checked(
    *,
    patient: Patient,
    recorded_by: User,
    client_id: UUID,
    day: date,
    slot: int,
    request: tuple[str, datetime | None, str, str],
    now: datetime,
    today: date,
) -> DoseLogResult:
    replay = _replay(patient, client_id)
    if replay is not None:
        return replay
    row = _dose_row(patient, day, slot, today, now)
    if row.client_id == client_id:
        return DoseLogResult(row, REPLAYED)  # a copy of this request committed while we waited
    status, taken_at, skip_reason, note = request
    requested = _requested_values(status, taken_at, skip_reason, now) | {"note": note}
    values = _checked_values(row, requested, now=now, today=today)
    if row.state == DoseState.PENDING:
        try:
            with transaction.atomic():
                _apply(row, {**values, "client_id": client_id, "recorded_by": recorded_by}, now)
        except IntegrityError:
            # A copy of this request got there first.
            replay = _replay(patient, client_id)
            if replay is None:  # pragma: no cover - the unique key that failed names it
                raise
            return replay
        return DoseLogResult(row, CREATED)
    if row.state == DoseState.MISSED:
        _apply_change(
            row,
            {**values, "client_id": client_id, "recorded_by": recorded_by},
            changed_by=recorded_by,
            reason="logged after being marked missed",
            now=now,
        )
        return DoseLogResult(row, CREATED, replaced_missed=True)
    return DoseLogResult(row, CONFLICT)


def _replay(patient: Patient, client_id: UUID) -> DoseLogResult | None:
    stored = ScheduledDose.objects.filter(client_id=client_id).order_by().first()
    outcome = REPLAYED
    if stored is None:
        # A log that was undone: its POST again (a late outbox) must not log the dose again.
        undo = (
            DoseLogRevision.objects.filter(undone_client_id=client_id)
            .select_related("dose_log")
            .first()
        )
        if undo is None:
            return None
        stored, outcome = undo.dose_log, UNDONE
    if stored.patient_id != patient.pk:
        raise ServiceValidationError("client_id", "This client_id has already been used.")
    return DoseLogResult(stored, outcome)


def _dose_row(patient: Patient, day: date, slot: int, today: date, now: datetime) -> ScheduledDose:
    """The ledger row of (day, slot), locked, or a 400 saying why the dose cannot be logged.
    A dose the schedule has but the ledger lacks (a gap the writer has not filled) gets its
    row, so a log is never refused for the ledger's sake."""
    if day > today:
        raise ServiceValidationError("date", "Doses cannot be logged for a future date.")
    window = settings.DOSE_BACKFILL_DAYS
    if day < today - timedelta(days=window):
        raise ServiceValidationError(
            "date", f"Doses can be logged up to {window} days back; ask your care team."
        )
    row = _locked_row(patient, day, slot)
    if row is not None and row.state == DoseState.ON_HOLD:
        raise ServiceValidationError("date", "Imatinib is on hold on this day.")
    if row is not None and (row.due_at is not None or row.state != DoseState.PENDING):
        return row
    plans = _patient_plans(patient)
    schedule = _scheduling_plan(plans, day, slot)
    ScheduledDose.objects.bulk_create(
        [r for r in ledger_rows(schedule, day, day, now) if r.slot == slot], ignore_conflicts=True
    )
    row = _locked_row(patient, day, slot)
    if row is None:  # pragma: no cover - the schedule has the dose, so the row was written
        raise ServiceValidationError("date", "This dose is not in the plan's schedule.")
    return row


def _locked_row(patient: Patient, day: date, slot: int) -> ScheduledDose | None:
    return (
        ScheduledDose.objects.select_for_update()
        .filter(patient=patient, local_date=day, slot=slot)
        .order_by()
        .first()
    )


def _patient_plans(patient: Patient) -> list[PlanSchedule]:
    """The patient's plans, newest first (the plan a dose belongs to is the newest covering
    its day), read as rows with their schedules: no guideline JSON, no model instances."""
    return plan_schedules(
        TreatmentPlan.objects.filter(patient=patient).order_by("-start_date", "-created_at"),
        progress="created_at",
    )


def _scheduling_plan(plans: list[PlanSchedule], day: date, slot: int) -> PlanSchedule:
    """The plan whose schedule has the dose (day, slot), or a 400 saying why none has."""
    if not plans:
        raise ServiceValidationError("date", "There is no treatment plan to log doses against.")
    for plan in plans:
        last = plan.last_dose_date()
        if plan.start_date <= day and (last is None or day <= last):
            doses = plan.doses(day, day)
            if any(d.on_hold for d in doses):
                raise ServiceValidationError("date", "Imatinib is on hold on this day.")
            if any(dose.slot == slot for dose in doses):
                return plan
            count = len(doses)
            raise ServiceValidationError(
                "slot", f"The plan has {count} dose(s) on this day: slot must be 1 to {count}."
            )
    if day < min(plan.start_date for plan in plans):
        raise ServiceValidationError("date", "This day is before the plan's start date.")
    raise ServiceValidationError("date", "This day is after the plan's end date.")


def _requested_values(
    status: str, taken_at: datetime | None, skip_reason: str, now: datetime
) -> dict[str, Any]:
    """The checks that need no dose: what a log of `status` must and must not carry."""
    if status == DoseStatus.TAKEN:
        if taken_at is None:
            raise ServiceValidationError("taken_at", "Say when the dose was taken.")
        if skip_reason:
            raise ServiceValidationError("skip_reason", "Only a skipped dose has a skip reason.")
        if taken_at > now + timedelta(seconds=settings.DOSE_CLOCK_SKEW_SECONDS):
            raise ServiceValidationError("taken_at", "Must not be in the future.")
        return {"state": DoseState.TAKEN, "taken_at": taken_at, "skip_reason": ""}
    if status == DoseStatus.SKIPPED:
        if taken_at is not None:
            raise ServiceValidationError("taken_at", "A skipped dose has no time taken.")
        if skip_reason not in SkipReason.values:
            raise ServiceValidationError(
                "skip_reason", f"Must be one of: {', '.join(SkipReason.values)}."
            )
        return {"state": DoseState.SKIPPED, "taken_at": None, "skip_reason": skip_reason}
    raise ServiceValidationError("status", "Must be 'taken' or 'skipped'.")


def _checked_values(
    row: ScheduledDose, requested: dict[str, Any], *, now: datetime, today: date
) -> dict[str, Any]:
    """The log's values for this dose: `taken_at` within bounds of its due time, and late
    when more than DOSE_LATE_AFTER_MINUTES after it."""
    values = dict(requested)
    taken_at = values["taken_at"]
    values["late"] = False
    if values["state"] != DoseState.TAKEN:
        return values
    if row.due_at is None:
        raise ServiceValidationError(
            "date", "This dose is no longer in the plan's schedule; ask your care team."
        )
    earliest = row.due_at - timedelta(hours=settings.DOSE_EARLIEST_HOURS_BEFORE)
    if taken_at < earliest:
        raise ServiceValidationError(
            "taken_at",
            f"Is more than {settings.DOSE_EARLIEST_HOURS_BEFORE} hours before this dose's "
            "time: is it the right day?",
        )
    # Counted in the patient's local days, like the dates a dose may be logged for.
    window = settings.DOSE_BACKFILL_DAYS
    if local_date(taken_at, row.time_zone) < today - timedelta(days=window):
        raise ServiceValidationError("taken_at", f"Must be within the last {window} days.")
    values["late"] = taken_at > row.due_at + timedelta(minutes=settings.DOSE_LATE_AFTER_MINUTES)
    return values


# The fields a revision records, under the names its history has always used.
_TRACKED_FIELDS = {
    "status": "state",
    "taken_at": "taken_at",
    "late": "late",
    "skip_reason": "skip_reason",
    "note": "note",
    "client_id": "client_id",
}


def _revision_record(
    log: ScheduledDose,
    before: dict[str, Any],
    after: dict[str, Any],
    **fields: Any,
) -> DoseLogRevision:
    """One revision of a log: only the fields that changed, before and after."""
    changed = [field for field in before if before[field] != after[field]]
    return DoseLogRevision.objects.create(
        dose_log=log,
        before={field: before[field] for field in changed},
        after={field: after[field] for field in changed},
        **fields,
    )


def _snapshot(log: ScheduledDose) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in _TRACKED_FIELDS.items():
        value = getattr(log, field)
        values[name] = (
            value.isoformat()
            if isinstance(value, datetime)
            else (str(value) if isinstance(value, UUID) else value)
        )
    return values


def _apply(row: ScheduledDose, changes: dict[str, Any], now: datetime) -> None:
    """Write the log's fields onto its row; a first log also stops the dose's reminders."""
    for field, value in changes.items():
        setattr(row, field, value)
    update = [*changes, "updated_at"]
    if row.logged_at is None:
        row.logged_at = now
        row.next_reminder_at = None
        update += ["logged_at", "next_reminder_at"]
    row.updated_at = now
    row.save(update_fields=update)


def _apply_change(
    log: ScheduledDose,
    changes: dict[str, Any],
    *,
    changed_by: User | None,
    reason: str,
    now: datetime,
    change_id: UUID | None = None,
    request: dict[str, Any] | None = None,
) -> ScheduledDose:
    before = _snapshot(log)
    for field, value in changes.items():
        setattr(log, field, value)
    after = _snapshot(log)
    if before == after:
        return log
    _apply(log, changes, now)
    _revision_record(
        log,
        before,
        after,
        changed_by=changed_by,
        reason=reason,
        change_id=change_id,
        request=request,
    )
    return log


class DoseLogChangeConflict(Conflict):
    """A patient's change clashes with what is stored: answered with 409 and the log as it is
    now (`log`), so the phone can show the person what is stored and let them decide."""

    def __init__(self, field: str, reason: str, *, log: ScheduledDose) -> None:
        super().__init__(field, reason)
        self.log = log


class NotLogged(Exception):
    """The dose has no log to correct (it is pending or on hold): the API answers 404."""


def dose_log_correct(
    *,
    log: ScheduledDose,
    changed_by: User,
    status: str | None = None,
    taken_at: datetime | None = None,
    skip_reason: str | None = None,
    note: str | None = None,
    change_id: UUID | None = None,
    based_on: datetime | None = None,
    reason: str | None = None,
) -> ScheduledDose:
    """A patient corrects or undoes (status "not_logged") their log within the backfill
    window; the change is a revision with its reason.

    `change_id` (the phone's UUID for the change) makes it idempotent: the same change again
    returns the log as it is, with no second revision; the same change_id with other content
    is a conflict. `based_on` is the log's `updated_at` as the phone last got it: when the log
    changed since (another phone, the sweep, an undo), the change is refused as a conflict
    with the log as it is, never written over. An undone dose is pending again (missed once
    the sweep's rule says so) and can be logged with a new client_id."""
    request = _change_request(status, taken_at, skip_reason, note, based_on, reason)
    with transaction.atomic():
        log = ScheduledDose.objects.select_for_update().select_related("patient").get(pk=log.pk)
        if change_id is not None:
            done = DoseLogRevision.objects.filter(change_id=change_id).first()
            if done is not None:
                if done.dose_log_id != log.pk or done.request != request:
                    raise DoseLogChangeConflict(
                        "change_id",
                        "This change_id was already used for another change; "
                        "make a new one for each change.",
                        log=log,
                    )
                return log  # the same change again: stored once
        if based_on is not None and based_on != log.updated_at:
            raise DoseLogChangeConflict(
                "based_on",
                "This dose's log has changed since this phone last saw it (on another phone?); "
                "here is what is stored.",
                log=log,
            )
        if log.state not in LOGGED_STATES:
            raise NotLogged()
        now = timezone.now()
        today = patient_local_today(log.patient, now)
        window = settings.DOSE_BACKFILL_DAYS
        if log.local_date < today - timedelta(days=window):
            raise ServiceValidationError(
                "date", f"Logs can be corrected for {window} days; ask your care team."
            )
        if status == NOT_LOGGED:
            return _undo(
                log,
                changed_by=changed_by,
                reason=reason or DEFAULT_UNDO_REASON,
                change_id=change_id,
                request=request,
                now=now,
            )
        changes: dict[str, Any] = {}
        if note is not None:
            changes["note"] = note
        if status is not None or taken_at is not None or skip_reason is not None:
            new_status = status or (log.state if log.state != DoseState.MISSED else None)
            if new_status is None:
                raise ServiceValidationError("status", "Say whether the dose was taken or skipped.")
            requested = _requested_values(
                new_status,
                taken_at
                if taken_at is not None
                else (log.taken_at if new_status == DoseStatus.TAKEN else None),
                skip_reason
                if skip_reason is not None
                else (log.skip_reason if new_status == DoseStatus.SKIPPED else ""),
                now,
            )
            changes |= _checked_values(log, requested, now=now, today=today)
        before = (log.state, log.skip_reason)
        log = _apply_change(
            log,
            changes,
            changed_by=changed_by,
            reason=reason or DEFAULT_CORRECTION_REASON,
            now=now,
            change_id=change_id,
            request=request,
        )
        if (log.state, log.skip_reason) != before:
            _after_change(log, log.patient)
            if before[0] == DoseState.MISSED:
                triggers.alerts_after_missed_dose_logged(patient=log.patient, now=now)
        return log


def _change_request(
    status: str | None,
    taken_at: datetime | None,
    skip_reason: str | None,
    note: str | None,
    based_on: datetime | None,
    reason: str | None,
) -> dict[str, Any]:
    """What a change asked, as kept on its revision (a resend must ask the same)."""
    asked = {
        "status": status,
        "taken_at": taken_at,
        "skip_reason": skip_reason,
        "note": note,
        "based_on": based_on,
        "reason": reason,
    }
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in asked.items()
        if value is not None
    }


def _undo(
    log: ScheduledDose,
    *,
    changed_by: User,
    reason: str,
    change_id: UUID | None,
    request: dict[str, Any],
    now: datetime,
) -> ScheduledDose:
    """The patient's log is taken back: the row is pending again, or missed when the sweep's
    rule says its time has passed; what was logged is kept in the revision, with the log's
    client_id, so a late resend of its POST is recognised and not stored again."""
    if log.state not in (DoseState.TAKEN, DoseState.SKIPPED):
        raise ServiceValidationError(
            "status", "Only a dose logged as taken or skipped can be undone."
        )
    before = _snapshot(log)
    undone_client_id = log.client_id
    missed = dose_is_missed(log, now)
    log.state = DoseState.MISSED if missed else DoseState.PENDING
    log.client_id = None
    log.taken_at = None
    log.late = False
    log.skip_reason = ""
    log.note = ""
    log.recorded_by = None
    log.logged_at = now if missed else None  # as the sweep marks it, or not logged at all
    log.next_reminder_at = None
    log.updated_at = now
    after = _snapshot(log)
    log.save(
        update_fields=[
            "state",
            "client_id",
            "taken_at",
            "late",
            "skip_reason",
            "note",
            "recorded_by",
            "logged_at",
            "next_reminder_at",
            "updated_at",
        ]
    )
    _revision_record(
        log,
        before,
        after,
        changed_by=changed_by,
        reason=reason,
        change_id=change_id,
        request=request,
        undone_client_id=undone_client_id,
    )
    return log

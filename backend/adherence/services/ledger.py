"""The dose ledger's writer: one ScheduledDose row per (patient, local date, slot).

The rules stay in adherence/dose_schedule.py (through PlanSchedule.doses): this module only decides
which days to write and keeps history. Rows go from the plan's start to the patient's today +
LEDGER_HORIZON_DAYS (or the last dose day); `ledger_extend` moves the horizon on daily. A
change to the plan (revision, hold, resume, stop, case update, zone change) calls
`ledger_rewrite` in its own transaction, which rewrites only unresolved rows (pending or on
hold) from the change's effective day: a resolved dose (taken, skipped, missed) is history and
is never rewritten. A dose of today not yet logged is unresolved, even when already due: a
hold from today puts it on hold (the patient must not take it; the sweep must not count it
missed), as the schedule itself says."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.common.any_of_lookup import array_literal
from backend.notifications.models import NotificationPreference
from backend.notifications.selectors import (
    DEFAULT_REMINDER_PREFERENCE,
    ReminderPreference,
    reminder_preference_from,
)

from ..dose_schedule import ScheduledDose as Dose
from ..dose_schedule import grace_ends_at
from ..models import (
    UNRESOLVED_STATES,
    DoseLogRevision,
    DoseState,
    PlanStatus,
    ScheduledDose,
    TreatmentPlan,
)
from ..reminder_rules import REMINDER_SETTINGS_ON_ROW, first_reminder, reminder_settings_on_row
from ..selectors.plan_schedules import PlanSchedule, plan_schedules

_REWRITTEN_FIELDS = (
    "plan",
    "patient_user",
    "revision",
    "local_time",
    "time_zone",
    "due_at",
    "missed_after",
    "state",
    "next_reminder_at",
    "follow_ups_sent",
    *REMINDER_SETTINGS_ON_ROW,
    "updated_at",
)


def _schedules(plans: QuerySet[TreatmentPlan]) -> list[PlanSchedule]:
    # The plan's creation instant is the writer's progress column: it fixes the sweep floor.
    return plan_schedules(plans, progress="created_at")


def horizon_last_day(schedule: PlanSchedule, now: datetime) -> date:
    """The last day the ledger holds for this plan now: the patient's today + the horizon,
    or the last dose day when that is sooner."""
    last = schedule.local_today(now) + timedelta(days=settings.LEDGER_HORIZON_DAYS)
    end = schedule.last_dose_date()
    return last if end is None else min(last, end)


def _sweep_floor(schedule: PlanSchedule) -> date:
    """The first day the missed sweep may mark: doses before the backfill window when the
    plan was made were never loggable here (as the plan's creation always decided)."""
    created_today = schedule.local_today(schedule.progress)
    return max(schedule.start_date, created_today - timedelta(days=settings.DOSE_BACKFILL_DAYS))


def reminder_preferences(patient_ids: set[Any]) -> dict[Any, ReminderPreference]:
    """The patients' own reminder settings (offset, follow-ups, quiet hours), for the first
    reminder time of their rows; those without any have the defaults."""
    if not patient_ids:
        return {}
    return {
        patient_id: reminder_preference_from(preference)
        for patient_id, preference in (
            (preference.user.patient_profile.pk, preference)
            for preference in NotificationPreference.objects.filter(
                user__patient_profile__id__in=patient_ids
            ).select_related("user__patient_profile")
        )
    }


_ROW_FIELDS = (
    "patient_id",
    "patient_user_id",
    "plan_id",
    "revision_id",
    "local_date",
    "slot",
    "local_time",
    "time_zone",
    "due_at",
    "missed_after",
    "state",
    "next_reminder_at",
    "follow_ups_sent",
    *REMINDER_SETTINGS_ON_ROW,
)
# The same columns as PostgreSQL array types, for the bulk insert (unnest).
_ROW_ARRAY_TYPES = (
    "uuid", "bigint", "uuid", "integer", "date", "smallint", "time", "text", "timestamptz",
    "timestamptz", "text", "timestamptz", "smallint", "boolean", "smallint", "time", "time",
)  # fmt: skip


def _row_values(
    schedule: PlanSchedule,
    dose: Dose,
    floor: date,
    now: datetime,
    preference: ReminderPreference = DEFAULT_REMINDER_PREFERENCE,
) -> tuple[Any, ...]:
    """One ledger row as values in _ROW_FIELDS order."""
    grace = timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS)
    remind = not dose.on_hold and schedule.status == PlanStatus.ACTIVE
    next_at, attempt = (
        first_reminder(dose.due_at, now, dose.time_zone, preference) if remind else (None, 0)
    )
    return (
        schedule.patient_id,
        schedule.user_id,
        schedule.plan_id,
        schedule.revision_on(dose.date),
        dose.date,
        dose.slot,
        dose.local_time,
        dose.time_zone,
        dose.due_at,
        grace_ends_at(dose.date, dose.time_zone, grace) if dose.date >= floor else None,
        DoseState.ON_HOLD.value if dose.on_hold else DoseState.PENDING.value,
        next_at,
        attempt,
        *reminder_settings_on_row(preference).values(),
    )


def _row(
    schedule: PlanSchedule,
    dose: Dose,
    floor: date,
    now: datetime,
    preference: ReminderPreference,
) -> ScheduledDose:
    values = _row_values(schedule, dose, floor, now, preference)
    return ScheduledDose(**dict(zip(_ROW_FIELDS, values, strict=True)))


def _insert_rows(rows: list[tuple[Any, ...]]) -> None:
    """Insert ledger rows (in _ROW_FIELDS order), leaving any row already there. On
    PostgreSQL one statement of arrays (unnest): building a model instance a row and binding
    each value cost three times the insert (measured on the benchmark's plans)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        ScheduledDose.objects.bulk_create(
            [ScheduledDose(**dict(zip(_ROW_FIELDS, row, strict=True))) for row in rows],
            batch_size=2000,
            ignore_conflicts=True,
        )
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _ROW_FIELDS)
    arrays = ", ".join(f"%s::{kind}[]" for kind in _ROW_ARRAY_TYPES)
    stamp = timezone.now()
    sql = (
        f"INSERT INTO {quote(ScheduledDose._meta.db_table)} "  # noqa: S608 - names quoted
        f"(id, {columns}, late, skip_reason, note, created_at, updated_at) "
        f"SELECT time_ordered_uuid(), *, false, '', '', %s, %s FROM unnest({arrays}) "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), 20000):
            columns_values = list(zip(*rows[offset : offset + 20000], strict=True))
            params: list[Any] = [
                array_literal(values) if kind == "uuid" else list(values)
                for kind, values in zip(_ROW_ARRAY_TYPES, columns_values, strict=True)
            ]
            cursor.execute(sql, [stamp, stamp, *params])


def ledger_rows(
    schedule: PlanSchedule, first: date, last: date, now: datetime
) -> list[ScheduledDose]:
    """The plan's ledger rows for [first, last], unsaved, from the schedule's rules (the first
    reminder times by the patient's own reminder settings)."""
    floor = _sweep_floor(schedule)
    preference = reminder_preferences({schedule.patient_id}).get(
        schedule.patient_id, DEFAULT_REMINDER_PREFERENCE
    )
    return [_row(schedule, dose, floor, now, preference) for dose in schedule.doses(first, last)]


def _ledger_values(
    schedule: PlanSchedule,
    first: date,
    last: date,
    now: datetime,
    preference: ReminderPreference,
) -> list[tuple[Any, ...]]:
    floor = _sweep_floor(schedule)
    return [
        _row_values(schedule, dose, floor, now, preference) for dose in schedule.doses(first, last)
    ]


def _set_ledger_through(days: dict[Any, date]) -> None:
    by_day: dict[date, list[Any]] = defaultdict(list)
    for plan_id, day in days.items():
        by_day[day].append(plan_id)
    for day, plan_ids in by_day.items():
        TreatmentPlan.objects.filter(pk__any_of=set(plan_ids)).update(ledger_through=day)


def ledger_write(
    plans: QuerySet[TreatmentPlan],
    now: datetime,
    *,
    since: date | None = None,
    batch_size: int = 1000,
) -> int:
    """Write the missing rows of `plans` from each plan's start (or `since`, for a seed that
    needs only the recent days) to its horizon (set-based: bulk insert, existing rows left as
    they are). For seeds and the data migration; a service's change uses ledger_rewrite.
    Returns the rows offered."""
    written = 0
    last_pk = None
    plans = plans.order_by("pk")
    while True:
        batch_plans = plans if last_pk is None else plans.filter(pk__gt=last_pk)
        batch = _schedules(batch_plans[:batch_size])
        if not batch:
            return written
        written += _write_batch(batch, now, from_start=True, since=since)
        last_pk = batch[-1].plan_id


def ledger_extend(now: datetime, *, batch_size: int = 2000) -> int:
    """The daily job: each active plan's rows up to the patient's today + the horizon. Only
    the days after the plan's ledger_through are computed, so a run is about a day of rows a
    plan; idempotent (the unique key), and a run after days down fills the gap. A plan is
    taken once its rows end before the UTC date + the horizon - 1 (no zone's today is more
    than a day behind UTC's), so hourly runs read nothing most hours and the rows always
    reach at least a day short of the full horizon."""
    latest = now.date() + timedelta(days=settings.LEDGER_HORIZON_DAYS - 1)
    plans = (
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE)
        .filter(Q(ledger_through__isnull=True) | Q(ledger_through__lt=latest))
        .filter(
            Q(planned_end_date__isnull=True)
            | Q(ledger_through__isnull=True)
            | Q(ledger_through__lt=F("planned_end_date"))
        )
        .order_by("pk")
    )
    written = 0
    last_pk = None
    while True:
        batch_plans = plans if last_pk is None else plans.filter(pk__gt=last_pk)
        # The writer's progress column is the creation instant (the sweep floor), so the
        # plans' ledger_through comes with a second, narrow query.
        batch = _schedules(batch_plans[:batch_size])
        if not batch:
            return written
        through = dict(
            TreatmentPlan.objects.filter(pk__any_of={s.plan_id for s in batch})
            .order_by()
            .values_list("pk", "ledger_through")
        )
        written += _write_batch(batch, now, from_start=False, through=through)
        last_pk = batch[-1].plan_id


def _write_batch(
    schedules: list[PlanSchedule],
    now: datetime,
    *,
    from_start: bool,
    through: dict[Any, date | None] | None = None,
    since: date | None = None,
) -> int:
    rows: list[tuple[Any, ...]] = []
    reached: dict[Any, date] = {}
    preferences = reminder_preferences({schedule.patient_id for schedule in schedules})
    for schedule in schedules:
        first = schedule.start_date if since is None else max(schedule.start_date, since)
        done = None if through is None else through.get(schedule.plan_id)
        if not from_start and done is not None:
            first = max(first, done + timedelta(days=1))
        last = horizon_last_day(schedule, now)
        if first <= last:
            preference = preferences.get(schedule.patient_id, DEFAULT_REMINDER_PREFERENCE)
            rows.extend(_ledger_values(schedule, first, last, now, preference))
        if done is None or last > done:
            reached[schedule.plan_id] = last
    with transaction.atomic():
        _insert_rows(rows)
        _set_ledger_through(reached)
    return len(rows)


def ledger_rewrite(
    plan: TreatmentPlan | UUID, *, from_day: date, now: datetime | None = None
) -> None:
    """Bring the plan's unresolved rows from `from_day` on in line with its schedule after a
    change. Call inside the change's transaction, after the change is saved.

    Pending and on-hold rows from `from_day` are updated, deleted (no longer scheduled) or
    added; resolved rows stay as they are. A row of
    this plan whose due time and state do not change keeps its reminder progress. The row of
    another plan on a day this plan covers is taken over: an unresolved day belongs to the
    plan rewritten last (in practice the active plan, the only one a change rewrites)."""
    now = now or timezone.now()
    plan_id = plan.pk if isinstance(plan, TreatmentPlan) else plan
    (schedule,) = _schedules(TreatmentPlan.objects.filter(pk=plan_id))
    last = horizon_last_day(schedule, now)
    first = max(from_day, schedule.start_date)
    fresh = (
        {(row.local_date, row.slot): row for row in ledger_rows(schedule, first, last, now)}
        if first <= last
        else {}
    )
    active = schedule.status == PlanStatus.ACTIVE
    stale: list[Any] = []
    changed: list[ScheduledDose] = []
    for row in (
        ScheduledDose.objects.select_for_update()
        .filter(patient_id=schedule.patient_id, local_date__gte=from_day)
        .order_by()
    ):
        new = fresh.pop((row.local_date, row.slot), None)
        if row.state not in UNRESOLVED_STATES:
            continue  # history
        if new is None:
            stale.append(row.pk)
            continue
        if (
            active
            and row.plan_id == new.plan_id
            and new.due_at == row.due_at
            and new.state == row.state
        ):
            new.next_reminder_at, new.follow_ups_sent = row.next_reminder_at, row.follow_ups_sent
        new.pk = row.pk
        new.updated_at = now
        changed.append(new)
    if stale:
        # A row an undo left pending has its revisions (the undone log, PROTECT): kept, with
        # no dose time, like a log whose dose a revision removed (off the calendar, never
        # reminded or swept); the others are deleted.
        kept = set(
            DoseLogRevision.objects.filter(dose_log_id__in=stale).values_list(
                "dose_log_id", flat=True
            )
        )
        if kept:
            ScheduledDose.objects.filter(pk__in=kept).update(
                local_time=None, due_at=None, missed_after=None, next_reminder_at=None
            )
        ScheduledDose.objects.filter(pk__in=[pk for pk in stale if pk not in kept]).delete()
    if changed:
        ScheduledDose.objects.bulk_update(changed, _REWRITTEN_FIELDS, batch_size=500)
    if fresh:
        ScheduledDose.objects.bulk_create(list(fresh.values()), ignore_conflicts=True)
    if not active:
        # A stopped or completed plan is reminded of nothing more, today's doses included.
        ScheduledDose.objects.filter(
            patient_id=schedule.patient_id,
            plan_id=plan_id,
            state=DoseState.PENDING,
            local_date__gte=from_day,
            next_reminder_at__isnull=False,
        ).update(next_reminder_at=None, updated_at=now)
    TreatmentPlan.objects.filter(pk=plan_id).update(ledger_through=last)


def ledger_rewrite_patient(patient_id: Any, *, from_day: date) -> None:
    """After a change to the patient (a zone change): rewrite the active plan's rows."""
    for plan_id in TreatmentPlan.objects.filter(
        patient_id=patient_id, status=PlanStatus.ACTIVE
    ).values_list("pk", flat=True):
        ledger_rewrite(plan_id, from_day=from_day)

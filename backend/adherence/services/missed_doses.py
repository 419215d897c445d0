"""The missed-dose sweep: a dose with no log when its grace window has ended is recorded as
missed. Set-based (a fixed number of queries per batch of plans, never per patient) and
idempotent (the unique (patient, date, slot) key, and a per-plan cursor)."""

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.common.lookups import array_literal

from ..models import DoseLog, DoseStatus, PlanStatus, TreatmentPlan
from ..selectors.plan_schedules import PlanSchedule, plan_schedules


def doses_mark_missed(now: datetime, *, batch_size: int = 2000) -> int:
    """Record every unlogged dose whose grace window ended before `now`. Returns how many
    missed rows the database inserted (0 when run again for the same `now`); a phone's log
    that lands between the read and the write wins, and is not counted."""
    written = 0
    last_pk = None
    while True:
        batch = _plans_after(now, last_pk, batch_size)
        if not batch:
            return written
        written += _sweep_batch(batch, now)
        last_pk = batch[-1].plan_id


def _plans_to_sweep(now: datetime) -> Q:
    """Active plans; completed plans not yet swept through their end date; plans stopped
    recently enough that their last days may be unswept."""
    recently = now - timedelta(days=settings.DOSE_BACKFILL_DAYS + 2)
    return (
        Q(status=PlanStatus.ACTIVE)
        | Q(status=PlanStatus.COMPLETED, missed_checked_through__lt=F("planned_end_date"))
        | Q(status=PlanStatus.STOPPED, stopped_at__gte=recently)
    )


def _latest_day_anywhere(now: datetime) -> date:
    """No zone's last day past grace is later than this (UTC+14 is the furthest ahead): a
    plan checked through it has nothing to sweep, whatever its zone."""
    shifted = now - timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS) + timedelta(hours=14)
    return shifted.date() - timedelta(days=1)


def _plans_after(now: datetime, last_pk: object, batch_size: int) -> list[PlanSchedule]:
    # Only plans with a day left to check: a sweep every 15 minutes then loads each plan once
    # a day, not 96 times.
    unswept = Q(missed_checked_through__isnull=True) | Q(
        missed_checked_through__lt=_latest_day_anywhere(now)
    )
    plans = TreatmentPlan.objects.filter(_plans_to_sweep(now), unswept).order_by("pk")
    if last_pk is not None:
        plans = plans.filter(pk__gt=last_pk)
    return plan_schedules(plans[:batch_size], progress="missed_checked_through")


def _last_day_past_grace(plan: PlanSchedule, now: datetime) -> date:
    """The latest local date whose grace window (end of day + grace) has ended at `now`."""
    shifted = now - timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS)
    return plan.local_today(shifted) - timedelta(days=1)


def _sweep_batch(plans: list[PlanSchedule], now: datetime) -> int:
    candidates: list[tuple[object, object, date, int]] = []  # patient, plan, date, slot
    checked_through: dict[object, date] = {}
    for plan in plans:
        first = plan.start_date
        if plan.progress is not None:  # checked through this day
            first = max(first, plan.progress + timedelta(days=1))
        last = _last_day_past_grace(plan, now)
        end = plan.last_dose_date()
        if end is not None:
            last = min(last, end)
        if first > last:
            continue
        checked_through[plan.plan_id] = last
        candidates.extend(
            (plan.patient_id, plan.plan_id, dose.date, dose.slot)
            for dose in plan.doses(first, last)
            if not dose.on_hold
        )
    if not checked_through:
        return 0
    with transaction.atomic():
        # A log already there (or one a phone sends between the read and the write) wins:
        # ON CONFLICT DO NOTHING on the (patient, date, slot) key, and only new rows count.
        written = _insert_missed(candidates)
        # One UPDATE per distinct day (a batch has a few: one per zone's calendar day), not a
        # CASE with a branch per plan, which costs more to build than to run.
        plans_by_day: dict[date, list[object]] = defaultdict(list)
        for pk, day in checked_through.items():
            plans_by_day[day].append(pk)
        for day, pks in plans_by_day.items():
            TreatmentPlan.objects.filter(pk__any_of=set(pks)).update(missed_checked_through=day)
    return written


_MISSED_ROWS_PER_STATEMENT = 1000
_MISSED_COLUMNS = (
    "id", "patient", "plan", "scheduled_date", "slot", "status", "late", "skip_reason", "note",
    "created_at", "updated_at",
)  # fmt: skip


def _insert_missed(candidates: list[tuple[object, object, date, int]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING of missed rows (patient, plan, date, slot); returns
    how many were new. Plain SQL, not bulk_create: building a DoseLog instance a row cost
    more than the insert itself (docs/performance.md), and the database's own count is exact
    where a read before the write could be overtaken. On PostgreSQL the rows go as four
    arrays (unnest): binding 11 parameters a row in Python cost more than PostgreSQL's
    insert."""
    if not candidates:
        return 0
    table = connection.ops.quote_name(DoseLog._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(DoseLog._meta.get_field(name).column) for name in _MISSED_COLUMNS
    )
    missed = DoseStatus.MISSED.value
    now = timezone.now()
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            patients, plans, days, slots = zip(*candidates, strict=True)
            # Names from the model's metadata, quoted; every value is a bound parameter.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608
                "SELECT gen_random_uuid(), patient, plan, day, slot, %s, false, '', '', %s, %s "
                "FROM unnest(%s::uuid[], %s::uuid[], %s::date[], %s::smallint[]) "
                "AS missed (patient, plan, day, slot) ON CONFLICT DO NOTHING",
                [
                    missed,
                    now,
                    now,
                    array_literal(patients),
                    array_literal(plans),
                    "{" + ",".join(day.isoformat() for day in days) + "}",
                    array_literal(slots),
                ],
            )
            return cursor.rowcount
        uuid_field = DoseLog._meta.get_field("id")
        adapted_now = connection.ops.adapt_datetimefield_value(now)
        for offset in range(0, len(candidates), _MISSED_ROWS_PER_STATEMENT):
            chunk = candidates[offset : offset + _MISSED_ROWS_PER_STATEMENT]
            params: list[object] = []
            for patient_id, plan_id, day, slot in chunk:
                params += [
                    uuid_field.get_db_prep_value(uuid.uuid4(), connection),
                    uuid_field.get_db_prep_value(patient_id, connection),
                    uuid_field.get_db_prep_value(plan_id, connection),
                    connection.ops.adapt_datefield_value(day),
                    slot,
                    missed,
                    False,
                    "",
                    "",
                    adapted_now,
                    adapted_now,
                ]
            row = "(" + ", ".join(["%s"] * len(_MISSED_COLUMNS)) + ")"
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                f"{', '.join([row] * len(chunk))} ON CONFLICT DO NOTHING",
                params,
            )
            written += cursor.rowcount
    return written

"""The missed-dose sweep: a dose with no log when its grace window has ended is recorded as
missed. Set-based (a fixed number of queries per batch of plans, never per patient) and
idempotent (the unique (patient, date, slot) key, and a per-plan cursor)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from backend.accounts.selectors import patient_local_today

from ..models import DoseLog, DoseStatus, PlanStatus, TreatmentPlan
from ..selectors.doses import plan_doses, plan_last_dose_date, zone_periods


def doses_mark_missed(now: datetime, *, batch_size: int = 500) -> int:
    """Record every unlogged dose whose grace window ended before `now`. Returns how many
    missed rows it tried to write (0 when run again for the same `now`); a phone's log that
    lands between the read and the write wins, and is still counted."""
    written = 0
    last_pk = None
    while True:
        batch = _plans_after(now, last_pk, batch_size)
        if not batch:
            return written
        written += _sweep_batch(batch, now)
        last_pk = batch[-1].pk


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


def _plans_after(now: datetime, last_pk: object, batch_size: int) -> list[TreatmentPlan]:
    # Only plans with a day left to check: a sweep every 15 minutes then loads each plan once
    # a day, not 96 times.
    unswept = Q(missed_checked_through__isnull=True) | Q(
        missed_checked_through__lt=_latest_day_anywhere(now)
    )
    plans = TreatmentPlan.objects.filter(_plans_to_sweep(now), unswept).order_by("pk")
    if last_pk is not None:
        plans = plans.filter(pk__gt=last_pk)
    return list(
        plans.select_related("patient")
        .prefetch_related("revisions", "holds", "patient__zone_changes")
        # The guideline's input and answer (tens of kilobytes) play no part in the sweep.
        .defer("case", "recommendation")[:batch_size]
    )


def _last_day_past_grace(plan: TreatmentPlan, now: datetime) -> date:
    """The latest local date whose grace window (end of day + grace) has ended at `now`."""
    shifted = now - timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS)
    return patient_local_today(plan.patient, shifted) - timedelta(days=1)


def _sweep_batch(plans: list[TreatmentPlan], now: datetime) -> int:
    candidates: list[DoseLog] = []
    checked_through: dict[object, date] = {}
    earliest: date | None = None
    for plan in plans:
        zones = zone_periods(plan.patient)
        first = plan.start_date
        if plan.missed_checked_through is not None:
            first = max(first, plan.missed_checked_through + timedelta(days=1))
        last = _last_day_past_grace(plan, now)
        end = plan_last_dose_date(plan)
        if end is not None:
            last = min(last, end)
        if first > last:
            continue
        earliest = first if earliest is None else min(earliest, first)
        checked_through[plan.pk] = last
        candidates.extend(
            DoseLog(
                patient_id=plan.patient_id,
                plan=plan,
                scheduled_date=dose.date,
                slot=dose.slot,
                status=DoseStatus.MISSED,
            )
            for dose in plan_doses(plan, zones, first, last)
            if not dose.on_hold
        )
    if not checked_through:
        return 0
    with transaction.atomic():
        # By patient, not plan: a dose is unique per patient, date and slot, whichever plan.
        logged = set(
            DoseLog.objects.filter(
                patient_id__in={plan.patient_id for plan in plans}, scheduled_date__gte=earliest
            ).values_list("patient_id", "scheduled_date", "slot")
        )
        missing = [c for c in candidates if (c.patient_id, c.scheduled_date, c.slot) not in logged]
        # ignore_conflicts: a patient's log that arrives between the read and the write wins.
        DoseLog.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)
        # One UPDATE per distinct day (a batch has a few: one per zone's calendar day), not a
        # CASE with a branch per plan, which costs more to build than to run.
        plans_by_day: dict[date, list[object]] = defaultdict(list)
        for pk, day in checked_through.items():
            plans_by_day[day].append(pk)
        for day, pks in plans_by_day.items():
            TreatmentPlan.objects.filter(pk__in=pks).update(missed_checked_through=day)
    return len(missing)

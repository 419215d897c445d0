"""The dose calendar and adherence metrics of one patient, read with a fixed number of queries
(plans, revisions, holds, zone changes, logs) whatever the length of the history. Every screen
and export uses these, so PDC and streaks have one definition."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_zone_periods, time_zone_in_force
from backend.common.time import local_date

from ..exposure import DateSpan
from ..metrics import AdherenceMetrics, LoggedDose, adherence_metrics, dose_status
from ..models import DoseLog, PlanStatus, TreatmentPlan
from ..schedule import RegimenPeriod, ScheduledDose, ZonePeriod, scheduled_doses

MAX_RANGE_DAYS = 366


def zone_periods(patient: Patient) -> list[ZonePeriod]:
    return [ZonePeriod(first, zone) for first, zone in patient_zone_periods(patient)]


def regimen_periods(plan: TreatmentPlan) -> list[RegimenPeriod]:
    revisions = sorted(plan.revisions.all(), key=lambda r: r.number)
    return [
        RegimenPeriod(
            effective_date=revision.effective_date,
            dose_times=tuple(time.fromisoformat(t) for t in revision.dose_times),
        )
        for revision in revisions
    ]


def hold_spans(plan: TreatmentPlan) -> list[DateSpan]:
    return [DateSpan(hold.start_date, hold.end_date) for hold in plan.holds.all()]


def plan_last_dose_date(plan: TreatmentPlan) -> date | None:
    """The end date, or for a stopped plan the local day it was stopped (whichever is first)."""
    if plan.status != PlanStatus.STOPPED or plan.stopped_at is None:
        return plan.planned_end_date  # no zone lookup needed
    return last_dose_date(
        plan.planned_end_date, plan.status, plan.stopped_at, patient_zone_periods(plan.patient)
    )


def last_dose_date(
    planned_end_date: date | None,
    status: str,
    stopped_at: datetime | None,
    zone_periods: list[tuple[date, str]],
) -> date | None:
    """THE rule, on plain data: the planned end date, or for a stopped plan the local day it
    was stopped in the zone in force then (whichever is first)."""
    end = planned_end_date
    if status == PlanStatus.STOPPED and stopped_at is not None:
        stopped = local_date(stopped_at, time_zone_in_force(zone_periods, stopped_at))
        end = stopped if end is None else min(end, stopped)
    return end


def plan_doses(
    plan: TreatmentPlan, zones: Sequence[ZonePeriod], first: date, last: date
) -> list[ScheduledDose]:
    return scheduled_doses(
        start=plan.start_date,
        end=plan_last_dose_date(plan),
        regimens=regimen_periods(plan),
        holds=hold_spans(plan),
        zones=zones,
        first=first,
        last=last,
    )


def plans_overlapping(patient: Patient, first: date, last: date) -> list[TreatmentPlan]:
    return list(
        TreatmentPlan.objects.filter(patient=patient, start_date__lte=last)
        .filter(Q(planned_end_date__isnull=True) | Q(planned_end_date__gte=first))
        .order_by("start_date", "created_at")
        .select_related("patient")
        .prefetch_related("revisions", "holds")
    )


@dataclass(frozen=True)
class CalendarDose:
    dose: ScheduledDose
    status: str  # one of metrics.DOSE_STATUSES
    log: DoseLog | None
    plan_id: object


def logged_facts(log: DoseLog) -> LoggedDose:
    return LoggedDose(status=log.status, late=log.late, skip_reason=log.skip_reason or None)


def plans_doses(
    plans: Sequence[TreatmentPlan], zones: Sequence[ZonePeriod], first: date, last: date
) -> list[tuple[ScheduledDose, TreatmentPlan]]:
    """The scheduled doses of one patient's plans (oldest first, as plans_overlapping orders
    them) in [first, last] with the plan each belongs to, sorted by (date, slot). Takes loaded
    plans so the cohort reads (selectors/cohort.py) share this rule without a query each."""
    doses: list[tuple[ScheduledDose, TreatmentPlan]] = []
    taken_days: set[date] = set()
    # A day two plans both cover belongs wholly to the one that started later, as when logging
    # (services/dose_logs.py picks the same plan).
    for plan in reversed(plans):
        plan_days = set()
        for dose in plan_doses(plan, zones, first, last):
            if dose.date not in taken_days:
                plan_days.add(dose.date)
                doses.append((dose, plan))
        taken_days |= plan_days
    doses.sort(key=lambda item: (item[0].date, item[0].slot))
    return doses


def dose_calendar(patient: Patient, first: date, last: date) -> list[CalendarDose]:
    """Every scheduled dose of the patient in [first, last] with its status and log."""
    zones = zone_periods(patient)
    doses = plans_doses(plans_overlapping(patient, first, last), zones, first, last)
    logs = {
        (log.scheduled_date, log.slot): log
        for log in DoseLog.objects.filter(
            patient=patient, scheduled_date__gte=first, scheduled_date__lte=last
        )
    }
    calendar = []
    for dose, plan in doses:
        log = logs.get((dose.date, dose.slot))
        status = dose_status(dose, logged_facts(log) if log else None)
        calendar.append(CalendarDose(dose=dose, status=status, log=log, plan_id=plan.pk))
    return calendar


def patient_adherence(patient: Patient, first: date, last: date) -> AdherenceMetrics:
    """PDC, dose-level adherence, on-time rate, streaks and days on drug over [first, last]."""
    return metrics_from_calendar(dose_calendar(patient, first, last), first=first, last=last)


def metrics_from_calendar(
    calendar: Iterable[CalendarDose], *, first: date, last: date
) -> AdherenceMetrics:
    items = list(calendar)
    logged = {
        (item.dose.date, item.dose.slot): logged_facts(item.log)
        for item in items
        if item.log is not None
    }
    return adherence_metrics([item.dose for item in items], logged, first=first, last=last)

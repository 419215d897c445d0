"""The dose calendar and adherence metrics of one patient, read from the dose ledger
(ScheduledDose: one row per scheduled dose, its state and log) in one query on (patient, local
date) whatever the length of the history. Every screen and export uses these, so PDC and
streaks have one definition. The schedule helper below (plan_doses) expands one plan for the
benchmarks' seeds and reports; readers take the ledger's rows."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_zone_periods, time_zone_in_force
from backend.common.time import local_date

from ..dose_schedule import RegimenPeriod, ScheduledDose, ZonePeriod, scheduled_doses
from ..exposure import DateSpan
from ..metrics import LOG_STATUSES, AdherenceMetrics, LoggedDose, adherence_metrics, dose_status
from ..models import DoseState, PlanStatus, TreatmentPlan
from ..models import ScheduledDose as LedgerRow

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


@dataclass(frozen=True)
class CalendarDose:
    dose: ScheduledDose
    status: str  # one of metrics.DOSE_STATUSES
    log: LedgerRow | None  # the ledger row once resolved (taken, skipped, missed), else None
    plan_id: UUID


def logged_facts(log: LedgerRow) -> LoggedDose:
    """What metrics.dose_status needs of a resolved ledger row ("" means no reason)."""
    return LoggedDose(status=log.state, late=log.late, skip_reason=log.skip_reason or None)


def ledger_dose(log: LedgerRow) -> ScheduledDose:
    """The schedule's view of a ledger row: a held day is `on_hold` in the ledger."""
    return ScheduledDose(
        date=log.local_date,
        slot=log.slot,
        local_time=log.local_time,  # type: ignore[arg-type]  # set: calendar_rows filters
        time_zone=log.time_zone,
        due_at=log.due_at,  # type: ignore[arg-type]
        on_hold=log.state == DoseState.ON_HOLD,
    )


def patient_dose_row(patient: Patient, dose_id: Any) -> LedgerRow | None:
    """The patient's ledger row with this id, logged or not (a resend of an undo finds its dose
    pending), or None: another patient's row is as unknown as one that does not exist."""
    return LedgerRow.objects.filter(pk=dose_id, patient=patient).first()


def calendar_rows(patient_id: UUID | str, first: date, last: date) -> QuerySet[LedgerRow]:
    """The patient's ledger rows in [first, last] by (date, slot), on the unique key's index.

    Rows without a dose time are logs kept from a schedule that no longer has the dose (a
    later revision changed the number of doses): not scheduled, so not on the calendar, as
    the schedule decided before the ledger."""
    return (
        LedgerRow.objects.filter(patient_id=patient_id, local_date__gte=first, local_date__lte=last)
        .filter(due_at__isnull=False)
        .order_by("local_date", "slot")
    )


def doses_not_logged_due_between(earliest: datetime, latest: datetime) -> QuerySet[LedgerRow]:
    """Ledger rows still not logged (pending) whose due time is in [earliest, latest], of
    active plans only: a held dose is `on_hold`, not pending, and a stopped or completed
    plan's doses are asked of nobody. A QuerySet on the partial index of pending rows by due
    time (ledger_pending_due), so a caller (the caregiver alert) narrows it to its own
    patients and reads it in the same statement."""
    return LedgerRow.objects.filter(
        state=DoseState.PENDING,
        due_at__gte=earliest,
        due_at__lte=latest,
        plan__status=PlanStatus.ACTIVE,
    )


def dose_calendar(patient: Patient, first: date, last: date) -> list[CalendarDose]:
    """Every scheduled dose of the patient in [first, last] with its status and log, from the
    ledger's rows (one query). The status is metrics.dose_status of the row: on hold, pending
    (never inferred as missed) or what was logged."""
    calendar = []
    for row in calendar_rows(patient.pk, first, last):
        dose = ledger_dose(row)
        log = row if row.state in LOG_STATUSES else None
        status = dose_status(dose, logged_facts(log) if log is not None else None)
        calendar.append(CalendarDose(dose=dose, status=status, log=log, plan_id=row.plan_id))
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

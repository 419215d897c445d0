"""Adherence metrics and current-plan facts for a whole cohort (the coordinator's cohort page,
the CSV exports) in a fixed number of queries, however many patients it has.

The figures are those of doses.patient_adherence, not a second definition: the same plan
expansion and tie-break (doses.plans_doses) and the same metrics (metrics.adherence_metrics),
fed with rows read for every patient at once instead of one patient at a time.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from operator import or_
from uuid import UUID

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_local_today

from ..metrics import AdherenceMetrics, LoggedDose, adherence_metrics, dose_status
from ..models import DoseLog, PlanStatus, TreatmentPlan
from ..schedule import ScheduledDose
from .doses import plans_doses, zone_periods
from .plans import PlanSummary, plan_summary

Window = tuple[date, date]  # (first, last), both inclusive, as patient_adherence takes them


@dataclass(frozen=True)
class CohortRow:
    """One patient's line on the cohort page."""

    metrics: list[AdherenceMetrics]  # one per window, in the order the windows were given
    # plan_summary of the plan plan_current picks, as of the patient's local today; None when
    # the patient has no plan. Its plan.planned_end_date, state and exposure.days_on_drug
    # (since the plan's start) are the table's columns.
    current_plan: PlanSummary | None


def cohort_adherence(
    patients: Sequence[Patient], windows: Sequence[Window]
) -> dict[UUID, list[AdherenceMetrics]]:
    """patient_adherence(patient, first, last) for every patient and window, keyed by patient
    id, each list in the order of `windows`. Five queries at most, whatever the cohort size
    (plans, revisions, holds, zone changes, dose logs); none for an empty cohort."""
    if not patients:
        return {}
    if not windows:
        return {patient.pk: [] for patient in patients}
    spans = _merged_windows(windows)
    plans = _plans_by_patient(patients)
    logged = _logged_by_patient(plans, spans)
    return {
        patient.pk: _metrics(plans.get(patient.pk, []), logged.get(patient.pk, {}), spans, windows)
        for patient in patients
    }


def cohort_rows(
    patients: Sequence[Patient], windows: Sequence[Window], *, instant: datetime | None = None
) -> dict[UUID, CohortRow]:
    """cohort_adherence plus each patient's current plan summary (at `instant`, default now),
    from the same five queries: the summary needs only the plans, revisions, holds and zone
    changes already read for the metrics."""
    if not patients:
        return {}
    instant = instant or timezone.now()  # one instant for the whole cohort
    spans = _merged_windows(windows)
    plans = _plans_by_patient(patients)
    logged = _logged_by_patient(plans, spans)
    rows = {}
    for patient in patients:
        patient_plans = plans.get(patient.pk, [])
        current = _current_plan(patient_plans)
        summary = None
        if current is not None:
            summary = plan_summary(current, patient_local_today(current.patient, instant))
        rows[patient.pk] = CohortRow(
            metrics=_metrics(patient_plans, logged.get(patient.pk, {}), spans, windows),
            current_plan=summary,
        )
    return rows


def _plans_by_patient(
    patients: Sequence[Patient], *, with_recommendation: bool = True
) -> dict[UUID, list[TreatmentPlan]]:
    """Every plan of every patient, oldest first as doses.plans_overlapping orders them.

    All plans, not only those overlapping the windows: a plan outside a window yields no
    doses there (so it claims no day), and the current plan may end before every window.
    Zone changes come prefetched on plan.patient, so doses.zone_periods, plan_last_dose_date
    and plan_summary (via accounts.selectors) read them without a query per patient.
    """
    plans = (
        TreatmentPlan.objects.filter(patient_id__in={patient.pk for patient in patients})
        .order_by("start_date", "created_at")
        .select_related("patient")
        .prefetch_related("revisions", "holds", "patient__zone_changes")
        .defer("case")  # the guideline's input: no cohort read needs it
    )
    if not with_recommendation:
        # Its review points run to tens of kilobytes a plan: a dose export does not need them.
        plans = plans.defer("recommendation")
    grouped: dict[UUID, list[TreatmentPlan]] = defaultdict(list)
    for plan in plans:
        grouped[plan.patient_id].append(plan)
    return grouped


def _merged_windows(windows: Sequence[Window]) -> list[Window]:
    """The days any window covers, as disjoint sorted spans: each day is expanded and read
    once however the windows overlap (30 and 90 days ending today: 90 days, not 120)."""
    merged: list[Window] = []
    for first, last in sorted(window for window in windows if window[0] <= window[1]):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _logged_by_patient(
    plans: dict[UUID, list[TreatmentPlan]], spans: list[Window]
) -> dict[UUID, dict[tuple[date, int], LoggedDose]]:
    """The dose logs of the merged windows' days, one query, only the columns the metrics use.

    Only patients with a plan: a log always belongs to a plan, and without one no dose is
    scheduled, so a log could not count anyway.
    """
    if not plans or not spans:
        return {}
    days = reduce(or_, (Q(scheduled_date__range=span) for span in spans))
    rows = (
        DoseLog.objects.filter(days, patient_id__in=list(plans))
        .order_by()
        .values_list("patient_id", "scheduled_date", "slot", "status", "late", "skip_reason")
    )
    logged: dict[UUID, dict[tuple[date, int], LoggedDose]] = defaultdict(dict)
    for patient_id, day, slot, status, late, skip_reason in rows:
        # As doses.logged_facts builds it from a DoseLog ("" means no reason).
        logged[patient_id][(day, slot)] = LoggedDose(
            status=status, late=late, skip_reason=skip_reason or None
        )
    return logged


def _metrics(
    plans: list[TreatmentPlan],
    logged: dict[tuple[date, int], LoggedDose],
    spans: list[Window],
    windows: Sequence[Window],
) -> list[AdherenceMetrics]:
    """Expand the plans once over the merged windows, then summarise each window.

    A day's doses (and which plan owns the day) depend only on the day, so expanding the
    union and letting adherence_metrics keep each window's days gives what expanding every
    window on its own (as patient_adherence does) would.
    """
    doses: list[ScheduledDose] = []
    if plans:
        zones = zone_periods(plans[0].patient)
        for first, last in spans:
            doses.extend(dose for dose, _plan in plans_doses(plans, zones, first, last))
    return [adherence_metrics(doses, logged, first=first, last=last) for first, last in windows]


def _current_plan(plans: list[TreatmentPlan]) -> TreatmentPlan | None:
    """plans.plan_current's choice among loaded plans: the active plan, else the latest by
    (start_date, created_at)."""
    candidates = [plan for plan in plans if plan.status == PlanStatus.ACTIVE] or plans
    if not candidates:
        return None
    return max(candidates, key=lambda plan: (plan.start_date, plan.created_at))


def _utc_instant(text: str | None) -> datetime | None:
    """A timestamp column cast to text, as PostgreSQL writes it ('2026-11-30 07:05:00.12+00')
    or SQLite stores it (naive, in UTC), as the aware UTC datetime the ORM would give."""
    if text is None:
        return None
    instant = datetime.fromisoformat(text)
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


# One scheduled dose of a cohort export, a plain tuple (an export makes millions of them):
# (dose, plan id, status, taken_at, skip_reason). The status is one of metrics.DOSE_STATUSES,
# as dose_calendar gives it; skip_reason is "" when there is none.
CohortDose = tuple[ScheduledDose, UUID, str, datetime | None, str]


def cohort_doses(
    patients: Sequence[Patient], first: date, last: date
) -> Iterator[tuple[Patient, list[CohortDose]]]:
    """Every scheduled dose of each patient in [first, last] with its status, as dose_calendar
    gives it, in five queries for the whole cohort (the analysts' dose-level export).

    Yields (patient, doses) in the order of `patients`, one patient's doses at a time: the
    logs of the cohort are in memory, its schedule only a patient at a time.

    The logs' patient id and taken_at are read as text: a str loads in C, where a UUID costs
    ~2 us a row (psycopg builds it in Python) and a timestamptz ~6 us (Django's loader parses
    it in Python); on the benchmark cohort that was a quarter of the export's time.
    """
    if not patients or first > last:
        return
    plans = _plans_by_patient(patients, with_recommendation=False)
    logs: dict[str, dict[tuple[date, int], tuple[LoggedDose, datetime | None]]] = defaultdict(dict)
    if plans:
        rows = (
            DoseLog.objects.filter(scheduled_date__range=(first, last), patient_id__in=list(plans))
            .order_by()
            .values_list(
                Cast("patient_id", TextField()),
                "scheduled_date",
                "slot",
                "status",
                "late",
                "skip_reason",
                Cast("taken_at", TextField()),
            )
        )
        # As doses.logged_facts builds it from a DoseLog ("" means no reason); a cohort's logs
        # have a handful of distinct facts, so each is built once.
        facts: dict[tuple[str, bool, str], LoggedDose] = {}
        for patient_id, day, slot, status, late, skip_reason, taken_at in rows:
            key = (status, late, skip_reason)
            logged = facts.get(key)
            if logged is None:
                logged = facts[key] = LoggedDose(
                    status=status, late=late, skip_reason=skip_reason or None
                )
            # PostgreSQL writes a uuid with dashes, SQLite stores its 32 hex digits: keyed by
            # the hex digits (UUID.hex).
            logs[patient_id.replace("-", "")][(day, slot)] = (logged, _utc_instant(taken_at))
    no_log = (None, None)
    for patient in patients:
        patient_plans = plans.get(patient.pk)
        if not patient_plans:
            yield patient, []
            continue
        patient_logs = logs.pop(patient.pk.hex, {})
        doses: list[CohortDose] = []
        append = doses.append
        zones = zone_periods(patient_plans[0].patient)
        for dose, plan in plans_doses(patient_plans, zones, first, last):
            logged, taken_at = patient_logs.get((dose.date, dose.slot), no_log)
            append(
                (
                    dose,
                    plan.pk,
                    dose_status(dose, logged),
                    taken_at,
                    (logged.skip_reason or "") if logged is not None else "",
                )
            )
        yield patient, doses

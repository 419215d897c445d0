"""Adherence metrics and current-plan facts for a whole cohort (the coordinator's cohort page,
the CSV exports) in a fixed number of queries, however many patients it has.

The figures are those of doses.patient_adherence, not a second definition: the same dose
ledger rows (ScheduledDose, one per scheduled dose with its state and log) and the same
metrics (metrics.adherence_metrics), read for every patient at once instead of one patient at
a time. The dose export streams the ledger's rows straight from SQL.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Case, IntegerField, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_local_today
from backend.common.any_of_lookup import array_literal

from ..dose_schedule import ScheduledDose
from ..metrics import LOG_STATUSES, AdherenceMetrics, LoggedDose, adherence_metrics, dose_status
from ..models import DoseState, PlanStatus, TreatmentPlan
from ..models import ScheduledDose as LedgerRow
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
    id, each list in the order of `windows`. One query on the dose ledger, whatever the
    cohort size; none for an empty cohort."""
    if not patients:
        return {}
    if not windows:
        return {patient.pk: [] for patient in patients}
    ledger = _ledger_by_patient([patient.pk for patient in patients], _merged_windows(windows))
    return {patient.pk: _metrics(ledger.get(patient.pk), windows) for patient in patients}


def cohort_rows(
    patients: Sequence[Patient], windows: Sequence[Window], *, instant: datetime | None = None
) -> dict[UUID, CohortRow]:
    """cohort_adherence plus each patient's current plan summary (at `instant`, default now):
    five queries (the dose ledger, then plans, revisions, holds and zone changes for the
    summaries)."""
    if not patients:
        return {}
    instant = instant or timezone.now()  # one instant for the whole cohort
    ledger = _ledger_by_patient([patient.pk for patient in patients], _merged_windows(windows))
    plans = _plans_by_patient(patients)
    rows = {}
    for patient in patients:
        patient_plans = plans.get(patient.pk, [])
        current = _current_plan(patient_plans)
        summary = None
        if current is not None:
            summary = plan_summary(current, patient_local_today(current.patient, instant))
        rows[patient.pk] = CohortRow(
            metrics=_metrics(ledger.get(patient.pk), windows),
            current_plan=summary,
        )
    return rows


def _plans_by_patient(patients: Sequence[Patient]) -> dict[UUID, list[TreatmentPlan]]:
    """Every plan of every patient, oldest first, for the current plan's summary.

    All plans: the current plan may end before every window. Zone changes come prefetched on
    plan.patient, so plan_summary (via accounts.selectors) reads them without a query per
    patient.
    """
    plans = (
        TreatmentPlan.objects.filter(patient_id__in={patient.pk for patient in patients})
        .order_by("start_date", "created_at")
        .select_related("patient")
        .prefetch_related("revisions", "holds", "patient__zone_changes")
        .defer("case")  # the guideline's input: no cohort read needs it
    )
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


@dataclass(frozen=True, slots=True)
class _DoseDay:
    """What metrics.adherence_metrics reads of a scheduled dose (a cohort page reads tens of
    thousands: the due instant and zone it does not need are not loaded)."""

    date: date
    slot: int
    on_hold: bool


# A patient's doses (by date and slot) and the logged facts of the resolved ones.
_PatientLedger = tuple[list[_DoseDay], dict[tuple[date, int], LoggedDose]]


def _ledger_by_patient(patient_ids: list[Any], spans: list[Window]) -> dict[Any, _PatientLedger]:
    """The ledger rows of the merged windows' days, one query, only the columns the metrics
    use. Rows without a dose time (a log kept from a schedule that no longer has its dose)
    are not scheduled doses, as on the calendar (doses.calendar_rows)."""
    if not patient_ids or not spans:
        return {}
    days = reduce(or_, (Q(local_date__range=span) for span in spans))
    rows = (
        LedgerRow.objects.filter(days, patient_id__any_of=set(patient_ids), due_at__isnull=False)
        .order_by()
        .values_list("patient_id", "local_date", "slot", "state", "late", "skip_reason")
    )
    ledger: dict[Any, _PatientLedger] = {}
    # A cohort's rows have a handful of distinct facts, so each is built once.
    facts: dict[tuple[str, bool, str], LoggedDose] = {}
    for patient_id, day, slot, state, late, skip_reason in rows:
        doses, logged = ledger.setdefault(patient_id, ([], {}))
        doses.append(_DoseDay(day, slot, state == DoseState.ON_HOLD))
        if state in LOG_STATUSES:
            logged[(day, slot)] = _facts(facts, state, late, skip_reason)
    return ledger


def _facts(
    facts: dict[tuple[str, bool, str], LoggedDose], state: str, late: bool, skip_reason: str
) -> LoggedDose:
    """As doses.logged_facts builds it from a ledger row ("" means no reason), built once."""
    key = (state, late, skip_reason)
    logged = facts.get(key)
    if logged is None:
        logged = facts[key] = LoggedDose(status=state, late=late, skip_reason=skip_reason or None)
    return logged


def _metrics(ledger: _PatientLedger | None, windows: Sequence[Window]) -> list[AdherenceMetrics]:
    """Each window's metrics from the rows of the merged windows (adherence_metrics keeps each
    window's own days), as patient_adherence gives them window by window."""
    doses, logged = ledger if ledger is not None else ([], {})
    return [
        adherence_metrics(doses, logged, first=first, last=last)  # type: ignore[arg-type]
        for first, last in windows
    ]


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


# Rows read a database round trip at a time by the export's server-side cursor.
DOSE_EXPORT_FETCH_ROWS = 5000


def cohort_doses(
    patients: Sequence[Patient], first: date, last: date
) -> Iterator[tuple[Patient, list[CohortDose]]]:
    """Every scheduled dose of each patient in [first, last] with its status, as dose_calendar
    gives it (the dose ledger's rows), in one query for the whole cohort (the analysts'
    dose-level export).

    Yields (patient, doses) in the order of `patients`, one patient's doses at a time, read
    from one statement ordered by the patients' positions, date and slot through a
    server-side cursor on PostgreSQL: memory holds a fetch and one patient's doses, never
    the cohort's. The Python schedule is not involved.

    Ids, dose times and instants are read as text and each distinct value parsed once: a str
    loads in C, where a UUID costs ~2 us a row (psycopg builds it in Python) and a
    timestamptz ~6 us (Django's loader parses it in Python), and a cohort repeats a handful
    of plans, times and due instants row after row.
    """
    if not patients or first > last:
        return
    rows = (
        LedgerRow.objects.filter(
            patient_id__any_of={patient.pk for patient in patients},
            local_date__gte=first,
            local_date__lte=last,
            due_at__isnull=False,
        )
        .annotate(position=_position_of_patient([patient.pk for patient in patients]))
        .order_by("position", "local_date", "slot")
        .values_list(
            "position",
            Cast("plan_id", TextField()),
            "local_date",
            "slot",
            Cast("local_time", TextField()),
            "time_zone",
            Cast("due_at", TextField()),
            "state",
            "late",
            Cast("taken_at", TextField()),
            "skip_reason",
        )
        .iterator(chunk_size=DOSE_EXPORT_FETCH_ROWS)
    )
    plan_ids: dict[str, UUID] = {}  # one object a plan: rows.dose_rows compares by identity
    wall_times: dict[str, time] = {}
    instants: dict[str, datetime | None] = {}
    facts: dict[tuple[str, bool, str], LoggedDose] = {}
    doses: list[CohortDose] = []
    position = 0
    for (
        row_position,
        plan_text,
        day,
        slot,
        time_text,
        zone,
        due_text,
        state,
        late,
        taken_text,
        skip_reason,
    ) in rows:
        while position < row_position:  # the patients before this row's are complete
            yield patients[position], doses
            doses, position = [], position + 1
        plan_id = plan_ids.get(plan_text)
        if plan_id is None:
            plan_id = plan_ids[plan_text] = UUID(plan_text)
        wall_time = wall_times.get(time_text)
        if wall_time is None:
            wall_time = wall_times[time_text] = time.fromisoformat(time_text)
        due_at = instants[due_text] if due_text in instants else _instant(instants, due_text)
        dose = ScheduledDose(day, slot, wall_time, zone, due_at, state == DoseState.ON_HOLD)  # type: ignore[arg-type]
        logged = _facts(facts, state, late, skip_reason) if state in LOG_STATUSES else None
        taken_at = _utc_instant(taken_text)  # nearly every one differs: not kept
        doses.append(
            (dose, plan_id, dose_status(dose, logged), taken_at, skip_reason if logged else "")
        )
    while position < len(patients):
        yield patients[position], doses
        doses, position = [], position + 1


# The facts of one scheduled dose as one text, for the dose-level export: the day (ISO), the
# slot, the local time (HH:MM), the zone, the due instant and taken_at (ISO 8601 in UTC, as
# datetime.isoformat writes them), the status (as dose_status gives it) and the skip reason
# of a logged dose, joined by commas. None of these values holds a comma, a quote, a line
# break or a leading formula character (tests/reports/test_dose_export_text.py checks
# every zone and reason), so each is its own CSV field; tests/adherence/test_cohort_doses.py
# checks the SQL against the Python formatting below.
_ISO_UTC = (
    "to_char({column} AT TIME ZONE 'UTC', CASE WHEN date_part('microseconds', {column} "
    "AT TIME ZONE 'UTC')::bigint %% 1000000 = 0 THEN 'YYYY-MM-DD\"T\"HH24:MI:SS' "
    "ELSE 'YYYY-MM-DD\"T\"HH24:MI:SS.US' END) || '+00:00'"
)
_DOSE_FACTS_SQL = (
    "concat_ws(',', to_char({t}.local_date, 'YYYY-MM-DD'), {t}.slot::text, "
    "to_char({t}.local_time, 'HH24:MI'), {t}.time_zone, "
    + _ISO_UTC.format(column="{t}.due_at")
    + ", CASE {t}.state WHEN 'on_hold' THEN 'on_hold' WHEN 'taken' THEN "
    "CASE WHEN {t}.late THEN 'taken_late' ELSE 'taken' END WHEN 'skipped' THEN 'skipped' "
    "WHEN 'missed' THEN 'missed' ELSE 'pending' END, "
    "CASE WHEN {t}.taken_at IS NULL THEN '' ELSE "
    + _ISO_UTC.format(column="{t}.taken_at")
    + " END, CASE WHEN {t}.state IN ('taken', 'skipped', 'missed') THEN {t}.skip_reason "
    "ELSE '' END)"
)

# The patients' positions from the array's ordinality, joined to the ledger's unique index
# (patient, date, slot): each patient's rows come in date order, so the sort is by position
# only (array_position over 500 ids in the sort key cost 233 ms a chunk against 148 ms).
_DOSE_TEXTS_SQL = """
    SELECT cohort.position - 1, dose.plan_id::text, {facts}
    FROM unnest(%s::uuid[]) WITH ORDINALITY AS cohort(patient_id, position)
    JOIN {ledger} AS dose ON dose.patient_id = cohort.patient_id
    WHERE dose.local_date BETWEEN %s AND %s AND dose.due_at IS NOT NULL
    ORDER BY cohort.position, dose.local_date, dose.slot
"""

# (the patient's position in the cohort, the plan's id, the dose's facts), all text.
CohortDoseText = tuple[int, str, str]


def cohort_dose_texts(
    patients: Sequence[Patient], first: date, last: date
) -> Iterator[CohortDoseText]:
    """cohort_doses for a file: each scheduled dose of each patient in [first, last] as
    (position of its patient in `patients`, plan id, facts text), in the order of
    `patients`, date and slot.

    On PostgreSQL the text is written by the database (_DOSE_FACTS_SQL) and streamed through
    a server-side cursor: Python only passes strings on, which is what brings the export
    near COPY's speed (issue 20). Elsewhere it is formatted here from cohort_doses, the
    definition the SQL is tested against."""
    if connection.vendor != "postgresql":
        yield from _cohort_dose_texts_portable(patients, first, last)
        return
    if not patients or first > last:
        return
    sql = _DOSE_TEXTS_SQL.format(
        ledger=connection.ops.quote_name(LedgerRow._meta.db_table),
        facts=_DOSE_FACTS_SQL.format(t="dose"),
    )
    # A server-side cursor (Django's chunked cursor): rows arrive a fetch at a time.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [[patient.pk for patient in patients], first, last])
        while rows := cursor.fetchmany(DOSE_EXPORT_FETCH_ROWS):
            yield from rows


def _cohort_dose_texts_portable(
    patients: Sequence[Patient], first: date, last: date
) -> Iterator[CohortDoseText]:
    def iso_utc(instant: datetime | None) -> str:
        return "" if instant is None else instant.astimezone(UTC).isoformat()

    for position, (_, doses) in enumerate(cohort_doses(patients, first, last)):
        for dose, plan_id, status, taken_at, skip_reason in doses:
            facts = ",".join(
                (
                    dose.date.isoformat(),
                    str(dose.slot),
                    dose.local_time.strftime("%H:%M"),
                    dose.time_zone,
                    iso_utc(dose.due_at),
                    status,
                    iso_utc(taken_at),
                    skip_reason,
                )
            )
            yield position, str(plan_id), facts


def _instant(instants: dict[str, datetime | None], text: str) -> datetime | None:
    instant = instants[text] = _utc_instant(text)
    return instant


def _position_of_patient(patient_ids: list[Any]) -> Any:
    """Each row's patient's position in `patient_ids` (0-based), for the export's order: on
    PostgreSQL array_position over one array parameter, elsewhere a CASE."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(LedgerRow._meta.db_table)
        return RawSQL(  # noqa: S611 - a quoted table name, the ids one bound parameter
            f"array_position(%s::uuid[], {table}.patient_id) - 1",
            (array_literal(patient_ids),),
            output_field=IntegerField(),
        )
    return Case(
        *(When(patient_id=pk, then=Value(index)) for index, pk in enumerate(patient_ids)),
        output_field=IntegerField(),
    )

"""The rows of the cohort exports, produced a chunk of patients at a time: each chunk costs a
fixed number of queries (adherence.selectors.cohort and two aggregates), and only one chunk is
in memory, whatever the cohort's size. PDC and streaks come from the one definition in
adherence.metrics."""

import statistics
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from backend.accounts.models import Patient
from backend.adherence.selectors.cohort import cohort_doses, cohort_rows
from backend.alerts.selectors import alert_times_of_patients
from backend.guidelines.symptoms import SYMPTOMS
from backend.sideeffects.selectors import symptom_maxima

from .columns import SKIP_REASONS
from .pseudonyms import study_id, study_plan_id
from .tabular import csv_field, csv_value

CHUNK_SIZE = 500


def utc_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Reports and alerts are counted by UTC day in cohort exports (patients live in many
    zones); doses always by the patient's own local day."""
    return (
        datetime.combine(first, time.min, UTC),
        datetime.combine(last + timedelta(days=1), time.min, UTC),
    )


def patient_chunks(patients: QuerySet[Patient], size: int | None = None) -> Iterator[list[Patient]]:
    """The cohort in its export order, `size` patients at a time (a server-side cursor on
    PostgreSQL, so the whole cohort is never loaded at once)."""
    size = size or CHUNK_SIZE
    ordered = patients.select_related("care_team").order_by("care_team__name", "display_name", "id")
    iterator = ordered.iterator(chunk_size=size)
    while chunk := list(islice(iterator, size)):
        yield chunk


def patient_key(patient: Patient, *, pseudonymised: bool = False) -> str:
    """A row's first value, which traces it to its patient (attribution.PatientsPassed): the
    patient's id, or in a pseudonymised file their study id."""
    return study_id(patient.pk) if pseudonymised else str(patient.pk)


def identity_values(patient: Patient, *, pseudonymised: bool = False) -> list[Any]:
    """The values of columns.IDENTITY_COLUMNS, or of [STUDY_ID] in a pseudonymised file."""
    if pseudonymised:
        return [study_id(patient.pk)]
    return [str(patient.pk), patient.display_name, patient.medical_record_number]


def _median_hours(times: list[tuple[datetime, datetime | None]]) -> float | None:
    durations = [
        (resolved - opened).total_seconds() / 3600 for opened, resolved in times if resolved
    ]
    return round(statistics.median(durations), 2) if durations else None


def cohort_summary_rows(
    chunks: Iterable[list[Patient]],
    first: date,
    last: date,
    *,
    on_chunk: Callable[[int], None] | None = None,
    pseudonymised: bool = False,
) -> Iterator[list[Any]]:
    """One row per patient in COHORT_COLUMNS order (COHORT_PSEUDONYMISED_COLUMNS when
    `pseudonymised`). `on_chunk(n)` is told after each chunk (the async export's progress)."""
    start, end = utc_day_bounds(first, last)
    for chunk in chunks:
        ids = [patient.pk for patient in chunk]
        rows = cohort_rows(chunk, [(first, last)])
        maxima = symptom_maxima(ids, start, end)
        alert_times = alert_times_of_patients(ids, start, end)
        for patient in chunk:
            row = rows[patient.pk]
            (metrics,) = row.metrics
            plan = row.current_plan
            times = alert_times.get(patient.pk, [])
            symptoms: list[Any] = []
            for code in SYMPTOMS:
                level, grade = maxima.get((patient.pk, code), (None, None))
                symptoms.extend([level, grade])
            yield [
                *identity_values(patient, pseudonymised=pseudonymised),
                patient.care_team.name,
                first,
                last,
                plan.plan.setting if plan else None,
                plan.state if plan else None,
                plan.current_revision.dose_mg_per_day if plan else None,
                plan.plan.start_date if plan else None,
                plan.plan.planned_end_date if plan else None,
                plan.exposure.days_on_drug if plan else None,
                metrics.scheduled_doses,
                metrics.taken,
                metrics.taken_late,
                metrics.skipped,
                *(metrics.skipped_by_reason.get(reason, 0) for reason in SKIP_REASONS),
                metrics.missed,
                metrics.on_hold,
                metrics.pending,
                metrics.dose_adherence,
                metrics.pdc,
                metrics.pdc.band,
                metrics.longest_missed_streak,
                metrics.current_missed_streak,
                *symptoms,
                len(times),
                _median_hours(times),
            ]
        if on_chunk is not None:
            on_chunk(len(chunk))


class _Fields(dict[Any, str]):
    """value -> its CSV field (tabular.csv_field), each distinct value formatted once: a dose
    export repeats the same days, times, zones, due instants and ids row after row."""

    def __init__(self, field: Callable[[Any], str] = csv_field) -> None:
        super().__init__()
        self._field = field

    def __missing__(self, value: Any) -> str:
        field = self[value] = self._field(value)
        return field


def _wall_clock(value: time) -> str:
    return csv_field(value.strftime("%H:%M"))


def dose_rows(
    chunks: Iterable[list[Patient]],
    first: date,
    last: date,
    *,
    on_chunk: Callable[[int], None] | None = None,
    pseudonymised: bool = False,
) -> Iterator[tuple[str, ...]]:
    """One row per scheduled dose in DOSE_COLUMNS order (DOSE_PSEUDONYMISED_COLUMNS when
    `pseudonymised`), every value already a CSV field (tabular.csv_field; csv_lines(...,
    fields=True) joins them).

    Built for speed (an export has millions of rows): a patient's own values (id, name,
    record number, plan ids) are formatted once a patient, the repeating ones (days, times,
    zones, due instants, statuses) once, then looked up.
    """
    plan_value: Callable[[Any], str] = study_plan_id if pseudonymised else str
    # Small whatever the export's size: the range's days, a few slots, times, zones,
    # statuses and reasons.
    days, slots, zones, statuses, reasons = _Fields(), _Fields(), _Fields(), _Fields(), _Fields()
    times = _Fields(_wall_clock)
    for chunk in chunks:
        dues = _Fields()  # days x times x zones: kept a chunk only
        for patient, doses in cohort_doses(chunk, first, last):
            # One tuple a patient (the patient's id, name and record number, or their study
            # id): its first field is one object for all of the patient's rows.
            identity = tuple(
                csv_field(value) for value in identity_values(patient, pseudonymised=pseudonymised)
            )
            plan_id: object = None
            plan_field = ""  # set by the patient's first dose
            for dose, dose_plan_id, status, taken_at, skip_reason in doses:
                if dose_plan_id is not plan_id:  # a patient's doses come in runs of one plan
                    plan_id, plan_field = dose_plan_id, csv_field(plan_value(dose_plan_id))
                yield (
                    *identity,
                    plan_field,
                    days[dose.date],
                    slots[dose.slot],
                    times[dose.local_time],
                    zones[dose.time_zone],
                    dues[dose.due_at],  # in UTC (dose_schedule.dose_due_at)
                    statuses[status],
                    # An ISO instant needs no quoting: csv_value's text is its field.
                    "" if taken_at is None else csv_value(taken_at.astimezone(UTC)),
                    reasons[skip_reason],
                )
        if on_chunk is not None:
            on_chunk(len(chunk))

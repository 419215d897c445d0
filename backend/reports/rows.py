"""The rows of the cohort exports, produced a chunk of patients at a time: each chunk costs a
fixed number of queries (adherence.selectors.cohort and two aggregates), and only one chunk is
in memory, whatever the cohort's size. PDC and streaks come from the one definition in
adherence.metrics."""

import statistics
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from backend.accounts.models import Patient
from backend.adherence.selectors.cohort import cohort_dose_texts, cohort_rows
from backend.alerts.selectors import alert_times_of_patients
from backend.guidelines.symptoms import SYMPTOMS
from backend.sideeffects.selectors import symptom_maxima

from .columns import SKIP_REASONS
from .pseudonyms import study_id, study_plan_id
from .tabular import csv_field

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


def dose_rows(
    chunks: Iterable[list[Patient]],
    first: date,
    last: date,
    *,
    on_chunk: Callable[[int], None] | None = None,
    pseudonymised: bool = False,
) -> Iterator[tuple[str, ...]]:
    """One row per scheduled dose in DOSE_COLUMNS order (DOSE_PSEUDONYMISED_COLUMNS when
    `pseudonymised`), as pieces of CSV text that csv_lines(..., fields=True) joins with
    commas: the patient's key field (their id, or study id: what audited_rows and
    attribution.PatientsPassed read from row[0]), the patient's other fields, the plan's
    field, and the dose's facts.

    Built for speed (an export has millions of rows): the patient's and the plan's fields
    are formatted once (tabular.csv_field), the dose's facts come as text from the ledger
    (adherence.selectors.cohort.cohort_dose_texts), so a row costs two lookups in Python.
    """
    plan_value: Callable[[Any], str] = study_plan_id if pseudonymised else str
    plan_fields: dict[str, str] = {}  # a plan's id as text -> its field
    for chunk in chunks:
        patient_fields: list[tuple[str, ...]] = []
        for patient in chunk:
            key, *others = (
                csv_field(value) for value in identity_values(patient, pseudonymised=pseudonymised)
            )
            patient_fields.append((key, ",".join(others)) if others else (key,))
        for position, plan_text, facts in cohort_dose_texts(chunk, first, last):
            plan_field = plan_fields.get(plan_text)
            if plan_field is None:
                plan_field = plan_fields[plan_text] = csv_field(plan_value(UUID(plan_text)))
            yield *patient_fields[position], plan_field, facts
        if on_chunk is not None:
            on_chunk(len(chunk))

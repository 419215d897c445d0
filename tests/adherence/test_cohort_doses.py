"""The dose-level cohort read (selectors/cohort.py cohort_doses, behind doses.csv) gives
exactly dose_calendar's doses, plans and statuses for every patient, whatever the history
(zone changes, holds, revisions, overlapping and stopped plans, no plan), in a fixed number
of queries; and the same doses as text for the file (cohort_dose_texts), written by
PostgreSQL exactly as the Python definition writes them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.adherence.models import ScheduledDose
from backend.adherence.selectors.cohort import (
    _cohort_dose_texts_portable,
    cohort_dose_texts,
    cohort_doses,
)
from backend.adherence.selectors.doses import dose_calendar
from tests.adherence.test_cohort_adherence import HISTORIES, NOW, TODAY, cohort

pytestmark = pytest.mark.django_db

FIRST, LAST = TODAY - timedelta(days=130), TODAY + timedelta(days=5)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def calendar_of(patient, first, last):
    return [
        (
            item.dose,
            item.plan_id,
            item.status,
            item.log.taken_at if item.log else None,
            (item.log.skip_reason or "") if item.log else "",
        )
        for item in dose_calendar(patient, first, last)
    ]


def test_cohort_doses_equal_the_dose_calendar_of_every_patient(nurse, care_team):
    patients = cohort(nurse, care_team, len(HISTORIES))

    result = list(cohort_doses(patients, FIRST, LAST))

    assert [patient.pk for patient, _ in result] == [patient.pk for patient in patients]
    for patient, doses in result:
        assert doses == calendar_of(patient, FIRST, LAST), patient.display_name
    statuses = {status for _, doses in result for _, _, status, _, _ in doses}
    assert statuses == {"taken", "taken_late", "skipped", "missed", "pending", "on_hold"}
    zones = {dose.time_zone for _, doses in result for dose, *_ in doses}
    assert len(zones) >= 4  # the zone changes are inside the range
    plans = {(patient.pk, plan_id) for patient, doses in result for _, plan_id, *_ in doses}
    assert len(plans) > len([doses for _, doses in result if doses])  # someone has two plans


def test_a_range_of_one_day_and_an_empty_range(nurse, care_team):
    patients = cohort(nurse, care_team, len(HISTORIES))

    for patient, doses in cohort_doses(patients, TODAY, TODAY):
        assert doses == calendar_of(patient, TODAY, TODAY)
    assert list(cohort_doses(patients, TODAY, TODAY - timedelta(days=1))) == []
    assert list(cohort_doses([], FIRST, LAST)) == []


def test_query_count_does_not_grow_with_the_cohort(nurse, care_team):
    counts = []
    for size in (len(HISTORIES), 3 * len(HISTORIES)):
        patients = cohort(nurse, care_team, size)[-size:]
        with CaptureQueriesContext(connection) as queries:
            list(cohort_doses(patients, FIRST, LAST))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6, counts


@pytest.mark.postgres
def test_the_databases_text_is_the_python_definitions_text(nurse, care_team):
    patients = cohort(nurse, care_team, len(HISTORIES))
    # Instants with and without a fraction of a second (isoformat writes six digits or none).
    taken = list(
        ScheduledDose.objects.filter(
            state="taken", patient__in=patients, local_date__range=(FIRST, LAST)
        ).order_by("due_at")[:3]
    )
    taken_at = [
        datetime(2026, 1, 5, 7, 5, 0, 0, UTC),
        datetime(2026, 1, 5, 7, 5, 1, 120000, UTC),
        datetime(2026, 1, 5, 7, 5, 2, 7, UTC),
    ]
    for dose, instant in zip(taken, taken_at, strict=True):
        ScheduledDose.objects.filter(pk=dose.pk).update(taken_at=instant)

    from_sql = list(cohort_dose_texts(patients, FIRST, LAST))
    from_python = list(_cohort_dose_texts_portable(patients, FIRST, LAST))

    assert from_sql == from_python
    facts = [text for _, _, text in from_sql]
    statuses = {text.split(",")[5] for text in facts}
    assert statuses == {"taken", "taken_late", "skipped", "missed", "pending", "on_hold"}
    for instant in taken_at:
        assert any(f",{instant.isoformat()}," in text for text in facts)
    assert {position for position, _, _ in from_sql} <= set(range(len(patients)))
    assert list(cohort_dose_texts(patients, TODAY, TODAY - timedelta(days=1))) == []
    assert list(cohort_dose_texts([], FIRST, LAST)) == []

"""labs.selectors.review_points_of_patient: the current plan's review points with their status
from the patient's lab results, on the patient's today; and review_result_dates, the one query
both it and the overdue sweep read."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.adherence.models import TreatmentPlan
from backend.labs.selectors import review_points_of_patient, review_result_dates
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory
from tests.labs.conftest import blood_count, labs_url, liver_panel

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
START = date(2026, 6, 1)


def day(offset: int) -> date:
    return START + timedelta(days=offset)


@pytest.fixture
def plan(nurse, patient) -> TreatmentPlan:
    return TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=START)


def record(nurse, patient, payload, on: date) -> None:
    with time_machine.travel(datetime(on.year, on.month, on.day, 12, tzinfo=MADRID), tick=False):
        response = client_for(nurse).post(labs_url(patient), payload, format="json")
    assert response.status_code == 201, response.json()


def lab_points(patient, today: date | None = None):
    return [
        (p.date, p.kind, p.status, p.done_on)
        for p in review_points_of_patient(patient, today)
        if p.kind != "other"
    ]


def test_no_plan_no_points(patient) -> None:
    assert review_points_of_patient(patient) == []


def test_statuses_from_results_on_a_given_day(plan, patient, nurse) -> None:
    record(nurse, patient, liver_panel(day(-3).isoformat()), day(-3))
    record(nurse, patient, blood_count(day(9).isoformat()), day(9))
    points = lab_points(patient, day(14))
    assert points[:4] == [
        (day(0), "liver_tests", "done", day(-3)),
        # A result does the latest point it can (its date at most 7 days after the result):
        # the day-9 count does the day-14 point, and the missed day-7 point stays missed.
        (day(7), "blood_counts", "overdue", None),
        (day(14), "blood_counts", "done", day(9)),
        (day(21), "blood_counts", "upcoming", None),
    ]


def test_overdue_from_day_7_and_the_default_today_is_the_patients(plan, patient) -> None:
    assert lab_points(patient, day(6))[0] == (day(0), "liver_tests", "due", None)
    assert lab_points(patient, day(7))[0] == (day(0), "liver_tests", "overdue", None)
    # 23:30 UTC on day 6 is 01:30 on day 7 in Madrid: overdue.
    late = datetime(2026, 6, 7, 23, 30, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(late, tick=False):
        assert review_points_of_patient(patient)[0].status == "overdue"
    with time_machine.travel(late - timedelta(hours=2), tick=False):
        assert review_points_of_patient(patient)[0].status == "due"


def test_other_tests_and_old_results_count_for_nothing(plan, patient, nurse) -> None:
    record(nurse, patient, liver_panel(day(-91).isoformat()), day(-91))
    creatinine = {
        "taken_on": day(0).isoformat(),
        "results": [{"test": "creatinine", "value": 80, "unit": "µmol/L"}],
    }
    record(nurse, patient, creatinine, day(0))
    assert lab_points(patient, day(7))[0] == (day(0), "liver_tests", "overdue", None)
    assert review_result_dates({plan.pk: (patient.pk, START)}) == {plan.pk: {}}


def test_review_result_dates_reads_many_plans_at_once(plan, patient, nurse) -> None:
    record(nurse, patient, liver_panel(day(-90).isoformat()), day(-90))
    record(nurse, patient, blood_count(day(2).isoformat()), day(2))
    record(nurse, patient, blood_count(day(2).isoformat(), anc=2.5), day(2))
    assert review_result_dates({plan.pk: (patient.pk, START)}) == {
        plan.pk: {"liver_tests": [day(-90)], "blood_counts": [day(2)]}
    }
    assert review_result_dates({}) == {}


def test_a_completed_plan_still_shows_its_points(plan, patient) -> None:
    TreatmentPlan.objects.filter(pk=plan.pk).update(status="completed")
    assert lab_points(patient, day(7))[0] == (day(0), "liver_tests", "overdue", None)

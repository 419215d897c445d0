"""Overdue review points (issue 17): a liver-test or blood-count point with no result
``review_overdue_after_days`` (7) after its date raises one normal ``review_overdue`` alert per
kind, pushed to the nurses; each point alerts once, even after its alert is resolved; a later
point of the same kind joins the open alert; a result inside the window, or any time before
the sweep, prevents it. The sweep runs hourly in the worker; running it again changes nothing.

The plan starts on Monday 1 June 2026 (Madrid): liver tests on 1 Jun (baseline) and 1 Jul;
blood counts on 8, 15, 22, 29 Jun, 13 and 27 Jul.
"""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.adherence.models import TreatmentPlan
from backend.alerts.models import Alert, AlertStatus
from backend.alerts.services import alert_resolve
from backend.guidelines.rules import RULES
from backend.labs import overdue
from backend.labs.models import OverdueReviewPoint
from backend.labs.overdue import review_points_alert_overdue
from backend.notifications.models import OutboxMessage
from tests.factories.accounts import PatientFactory
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory
from tests.labs.conftest import blood_count, labs_url, liver_panel
from worker.tasks.labs import alert_overdue_review_points

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
START = date(2026, 6, 1)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A Madrid wall-clock time on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MADRID)


def day(offset: int) -> date:
    return START + timedelta(days=offset)


@pytest.fixture
def plan(nurse, patient) -> TreatmentPlan:
    return TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=START)


def sweep(when: datetime) -> list[Alert]:
    with time_machine.travel(when, tick=False):
        return review_points_alert_overdue(when)


def record(nurse, patient, payload: dict[str, Any], when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        response = client_for(nurse).post(labs_url(patient), payload, format="json")
    assert response.status_code in (200, 201), response.json()


def review_alerts(patient, kind: str | None = None) -> list[Alert]:
    rows = Alert.objects.filter(patient=patient, kind="review_overdue").order_by("opened_at")
    return list(rows.filter(symptom=kind) if kind else rows)


def resolve(alert: Alert, nurse) -> None:
    with time_machine.travel(alert.last_seen_at + timedelta(hours=1), tick=False):
        alert_resolve(alert=alert, user=nurse, outcome="contacted_patient", note="Labs booked.")


# ------------------------------------------------------------------------ the day-7 boundary


def test_not_overdue_on_day_6_overdue_from_day_7_in_the_patients_zone(plan, patient, nurse):
    # 23:30 on day 6 in Madrid is already day 7 in some zones, but not the patient's.
    assert sweep(at(day(6), 23, 30)) == []
    assert not review_alerts(patient)
    (alert,) = sweep(at(day(7), 0, 30))
    assert (alert.kind, alert.symptom, alert.priority, alert.status) == (
        "review_overdue",
        "liver_tests",
        "normal",
        "open",
    )
    assert alert.summary == "Liver tests due on 1 Jun 2026 not done 7 days later."
    # The blood count due on day 7 is due, not overdue: no blood-count alert yet.
    assert review_alerts(patient) == [alert]


def test_the_alert_carries_the_rule_its_sources_and_advice_and_is_pushed_to_the_nurses(
    plan, patient, nurse
):
    (alert,) = sweep(at(day(7)))
    alert.refresh_from_db()
    rule = RULES["review.overdue"]
    assert alert.rule == "review.overdue"
    assert alert.sources == list(rule.sources)
    assert alert.occurrences == 1
    advice = alert.advice
    assert advice["rule"] == "review.overdue"
    assert advice["status"] == "DESIGN"
    assert advice["basis"] == "lab_result"
    assert advice["actions"] == ["repeat_labs", "call_patient"]
    assert advice["flags"] == ["unconfirmed_rule:review.overdue"]
    assert set(rule.sources) <= set(advice["sources"])
    assert advice["text"].startswith("Advice for the clinician")
    assert "Liver tests due on 1 Jun 2026: no result" in advice["text"]
    assert "Call the patient by the next working day." in advice["text"]
    assert alert.details["review_kind"] == "liver_tests"
    assert alert.details["review_overdue_after_days"] == 7
    assert alert.details["review_points"] == [
        {
            "date": "2026-06-01",
            "what": "Liver tests before starting (baseline)",
            "overdue_since": "2026-06-08",
            "plan": str(plan.pk),
        }
    ]
    (push,) = OutboxMessage.objects.filter(kind="alert_opened")
    assert push.recipient == nurse
    assert push.payload == {"alert": str(alert.pk), "priority": "normal"}
    (row,) = OverdueReviewPoint.objects.all()
    assert (row.plan_id, row.date, row.kind, row.alert_id) == (
        plan.pk,
        START,
        "liver_tests",
        alert.pk,
    )
    assert row.overdue_since == day(7)


# ------------------------------------------------------------------ results that prevent it


@pytest.mark.parametrize(("taken", "alerts"), [(-7, False), (-8, True), (3, False)])
def test_a_result_inside_the_window_prevents_the_alert(plan, patient, nurse, taken, alerts):
    taken_on = day(taken)
    record(nurse, patient, liver_panel(taken_on.isoformat()), at(max(taken_on, day(-1))))
    sweep(at(day(7)))
    assert bool(review_alerts(patient, "liver_tests")) is alerts


def test_a_late_result_recorded_before_the_sweep_means_no_alert_ever(plan, patient, nurse):
    # Taken on day 7 (the day it became overdue) and recorded before the sweep ran.
    record(nurse, patient, liver_panel(day(7).isoformat()), at(day(7), 9))
    assert sweep(at(day(7), 10)) == []
    assert sweep(at(day(12))) == []
    assert not review_alerts(patient, "liver_tests")


def test_a_blood_count_does_not_do_a_liver_point(plan, patient, nurse):
    record(nurse, patient, blood_count(day(0).isoformat()), at(day(0)))
    (alert,) = sweep(at(day(7)))
    assert alert.symptom == "liver_tests"


# --------------------------------------------------------------------------- once per point


def test_a_second_sweep_changes_nothing(plan, patient, nurse):
    (alert,) = sweep(at(day(7)))
    before = (OutboxMessage.objects.count(), OverdueReviewPoint.objects.count())
    assert sweep(at(day(7))) == []
    assert sweep(at(day(7), 13)) == []
    alert.refresh_from_db()
    assert alert.occurrences == 1
    assert (OutboxMessage.objects.count(), OverdueReviewPoint.objects.count()) == before
    assert review_alerts(patient) == [alert]


def test_a_point_never_alerts_again_after_its_alert_is_resolved(plan, patient, nurse):
    (alert,) = sweep(at(day(7)))
    resolve(alert, nurse)
    assert sweep(at(day(8))) == []
    assert sweep(at(day(13))) == []  # blood count of day 7 not yet overdue (day 14)
    assert review_alerts(patient) == [alert]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_a_later_point_of_the_kind_after_resolution_opens_a_new_alert(plan, patient, nurse):
    record(nurse, patient, liver_panel(day(0).isoformat()), at(day(0)))
    (first,) = sweep(at(day(14)))  # blood counts of day 7
    resolve(first, nurse)
    (second,) = sweep(at(day(21)))  # blood counts of day 14
    assert second.pk != first.pk
    assert [p["date"] for p in second.details["review_points"]] == ["2026-06-15"]
    assert second.summary == "Blood counts due on 15 Jun 2026 not done 7 days later."


# ------------------------------------------------------------------------------ merging


def test_a_second_overdue_point_of_the_kind_joins_the_open_alert(plan, patient, nurse):
    record(nurse, patient, liver_panel(day(0).isoformat()), at(day(0)))
    (alert,) = sweep(at(day(14)))
    assert alert.symptom == "blood_counts"
    (again,) = sweep(at(day(21)))
    assert again.pk == alert.pk
    alert.refresh_from_db()
    assert alert.occurrences == 2
    assert [p["date"] for p in alert.details["review_points"]] == ["2026-06-08", "2026-06-15"]
    assert alert.details["latest_point"] == "2026-06-15"
    assert alert.summary == (
        "Blood counts due on 15 Jun 2026 not done 7 days later. 2 blood counts review points "
        "overdue since 8 Jun 2026."
    )
    assert "Blood counts due on 15 Jun 2026" in alert.advice["text"]
    # One push when it opened; joining it does not push again.
    assert OutboxMessage.objects.filter(kind="alert_opened").count() == 1
    assert OverdueReviewPoint.objects.count() == 2


def test_points_overdue_together_make_one_alert_per_kind_with_an_occurrence_each(
    plan, patient, nurse
):
    # The sweep first runs on day 21: the baseline liver point and two blood counts.
    alerts = sweep(at(day(21)))
    liver, blood = sorted(alerts, key=lambda a: a.symptom != "liver_tests")
    assert (liver.symptom, blood.symptom) == ("liver_tests", "blood_counts")
    assert (liver.occurrences, blood.occurrences) == (1, 2)
    assert blood.summary.startswith("Blood counts due on 15 Jun 2026 not done 7 days later.")
    assert liver.summary == "Liver tests due on 1 Jun 2026 not done 21 days later."
    assert OutboxMessage.objects.filter(kind="alert_opened").count() == 2


def test_only_points_overdue_in_the_last_14_days_alert(plan, patient, nurse):
    # A first sweep on 10 Jul (a first deployment, or an outage): the points overdue since
    # 8, 15 and 22 Jun are older than the look-back; 22 and 29 Jun blood counts and the 1 Jul
    # liver tests (overdue since 29 Jun, 6 and 8 Jul) alert.
    alerts = sweep(at(day(39)))
    liver, blood = sorted(alerts, key=lambda a: a.symptom != "liver_tests")
    assert (liver.occurrences, blood.occurrences) == (1, 2)
    assert liver.summary.startswith("Liver tests due on 1 Jul 2026")
    assert not OverdueReviewPoint.objects.filter(date__lt=day(21)).exists()


# ------------------------------------------------------------------------- which plans


def test_only_active_plans_are_swept(plan, patient, nurse):
    TreatmentPlan.objects.filter(pk=plan.pk).update(status="stopped")
    assert sweep(at(day(30))) == []
    assert not Alert.objects.exists()


def test_settings_move_the_boundary_and_are_flagged(plan, patient, nurse, settings):
    settings.GUIDELINE_SETTINGS = {"review_overdue_after_days": 10}
    assert sweep(at(day(9))) == []
    (alert,) = sweep(at(day(10)))
    assert alert.summary == "Liver tests due on 1 Jun 2026 not done 10 days later."
    assert alert.details["review_overdue_after_days"] == 10
    assert "non_default_settings" in alert.advice["flags"]


def test_patients_in_later_batches_are_swept_too(care_team, nurse):
    patients = [PatientFactory(care_team=care_team) for _ in range(3)]
    for patient in patients:
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=START)
    alerts = review_points_alert_overdue(at(day(7)), batch_size=2)
    assert {a.patient_id for a in alerts} == {p.pk for p in patients}


def test_a_sweep_with_nothing_new_is_a_few_queries_whatever_the_patients(care_team, nurse):
    def queries(count: int) -> int:
        for _ in range(count):
            patient = PatientFactory(care_team=care_team)
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=START)
        sweep(at(day(7)))
        with CaptureQueriesContext(connection) as captured:
            assert sweep(at(day(7))) == []
        return len(captured)

    assert queries(1) == queries(4)


def test_a_concurrent_run_that_alerted_a_point_first_wins(plan, patient, nurse, monkeypatch):
    """Between this run's read of the known points and its write, another run alerts the same
    point: the unique key turns this run's write into a rolled-back savepoint."""
    real = overdue.zone_periods_of_patients
    when = at(day(7))

    def other_run_first(zones):
        monkeypatch.setattr(overdue, "zone_periods_of_patients", real)
        assert len(review_points_alert_overdue(when)) == 1
        return real(zones)

    monkeypatch.setattr(overdue, "zone_periods_of_patients", other_run_first)
    assert sweep(when) == []
    (alert,) = review_alerts(patient)
    assert alert.occurrences == 1
    assert len(alert.details["review_points"]) == 1
    assert OverdueReviewPoint.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="alert_opened").count() == 1


# ------------------------------------------------------------------------------ worker


def test_the_worker_task_sweeps_and_a_rerun_does_nothing(plan, patient, nurse):
    with time_machine.travel(at(day(6)), tick=False):
        assert alert_overdue_review_points.apply().get() == 0
    with time_machine.travel(at(day(7)), tick=False):
        assert alert_overdue_review_points.apply().get() == 1
        assert alert_overdue_review_points.apply().get() == 0
    assert len(review_alerts(patient)) == 1

"""`care_team_alerted` on a side-effect report: the patient app says "your care team has been
told" only when this report opened or added to an alert, and a resend says the same again."""

import uuid

import pytest

from backend.alerts.models import Alert
from backend.alerts.services import alert_resolve
from backend.sideeffects.models import SideEffectReport
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/me/side-effects/"


@pytest.fixture
def phone(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    return client_for(patient.user)


def body(symptom: str = "nausea", **answers: int) -> dict:
    return {"client_id": str(uuid.uuid4()), "symptom": symptom, "answers": answers}


def test_a_mild_report_alerts_nobody(phone):
    response = phone.post(REPORTS, body(frequency=1, severity=1), format="json")
    assert response.status_code == 201
    assert response.json()["care_team_alerted"] is False
    assert not Alert.objects.exists()


def test_a_severe_report_says_so_and_a_resend_says_the_same(phone):
    sent = body(frequency=3, severity=3)
    first = phone.post(REPORTS, sent, format="json")
    assert first.status_code == 201
    assert first.json()["care_team_alerted"] is True
    assert Alert.objects.filter(kind="severe_symptom").count() == 1

    # The phone lost the answer and sends again: 200, the same body, no second alert.
    again = phone.post(REPORTS, sent, format="json")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Alert.objects.get().occurrences == 1
    assert SideEffectReport.objects.get().care_team_alerted is True


def test_a_severe_report_added_to_an_open_alert_counts_as_alerted(phone):
    phone.post(REPORTS, body(frequency=3, severity=3), format="json")
    second = phone.post(REPORTS, body(frequency=3, severity=3), format="json")
    assert second.json()["care_team_alerted"] is True
    assert Alert.objects.get().occurrences == 2


def test_a_resend_of_an_older_report_keeps_its_answer_after_the_alert_moved_on(phone, nurse):
    """Later reports rewrite the alert's details; the stored flag does not depend on them."""
    older = body(frequency=3, severity=4)
    phone.post(REPORTS, older, format="json")
    phone.post(REPORTS, body(frequency=3, severity=3), format="json")
    alert_resolve(
        alert=Alert.objects.get(), user=nurse, outcome="contacted_patient", note="Phoned."
    )
    mild = body(frequency=1, severity=1)
    assert phone.post(REPORTS, mild, format="json").json()["care_team_alerted"] is False

    assert phone.post(REPORTS, older, format="json").json()["care_team_alerted"] is True
    assert phone.post(REPORTS, mild, format="json").json()["care_team_alerted"] is False


def test_a_worsening_report_below_the_severe_score_counts_as_alerted(phone):
    phone.post(REPORTS, body(frequency=0), format="json")
    worse = phone.post(REPORTS, body(frequency=2, severity=2), format="json")
    assert worse.status_code == 201
    assert worse.json()["care_team_alerted"] is True
    assert Alert.objects.get().kind == "worsening_symptom"


def test_the_staff_list_shows_the_flag_too(phone, nurse, patient):
    phone.post(REPORTS, body(frequency=3, severity=3), format="json")
    listed = client_for(nurse).get(f"/api/v1/patients/{patient.pk}/side-effects/").json()
    assert [r["care_team_alerted"] for r in listed] == [True]

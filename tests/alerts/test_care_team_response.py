"""Issue 21, the loop closed: the patient's app sees on each report how far the care team has
got (told, a nurse has seen it, resolved with the outcome), every report that fed an alert
keeps its link when alerts merge, and a nurse can ask the patient to phone (a push to the
patient, no clinical detail)."""

import uuid

import pytest

from backend.alerts.models import Alert
from backend.alerts.services import alert_resolve
from backend.audit.models import AuditEvent
from backend.notifications.models import OutboxMessage
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/me/side-effects/"


@pytest.fixture
def phone(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    return client_for(patient.user)


def report(phone, symptom="nausea", **answers):
    body = {"client_id": str(uuid.uuid4()), "symptom": symptom, "answers": answers}
    response = phone.post(REPORTS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def responses(phone) -> dict[str, object]:
    return {item["id"]: item["care_team_response"] for item in phone.get(REPORTS).json()}


def test_the_patient_sees_told_then_seen_then_the_outcome(phone, nurse):
    severe = report(phone, frequency=4, severity=3)
    assert severe["care_team_response"]["status"] == "told"
    mild = report(phone, symptom="fatigue", severity=1, interference=1)
    assert mild["care_team_response"] is None  # nothing for the care team

    alert = Alert.objects.get()
    nurse_api = client_for(nurse)
    assert nurse_api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    seen = responses(phone)[severe["id"]]
    assert seen["status"] == "seen" and seen["seen_at"] and seen["outcome"] is None

    resolved = nurse_api.post(
        f"/api/v1/alerts/{alert.pk}/resolve/",
        {"outcome": "contacted_patient", "note": "Phoned: loperamide, fluids."},
        format="json",
    )
    assert resolved.status_code == 200
    done = responses(phone)[severe["id"]]
    assert (done["status"], done["outcome"]) == ("resolved", "contacted_patient")
    assert done["resolved_at"]
    # The nurse's own note is for the team, not the patient's screen.
    assert "loperamide" not in str(phone.get(REPORTS).json())


def test_every_report_that_fed_a_merged_alert_keeps_its_link(phone, nurse):
    first = report(phone, frequency=4, severity=3)
    second = report(phone, frequency=4, severity=4)
    alert = Alert.objects.get(kind="severe_symptom")
    assert alert.occurrences == 2
    assert alert.details["reports"] == [first["id"], second["id"]]
    both = responses(phone)
    assert both[first["id"]]["status"] == both[second["id"]]["status"] == "told"


def test_a_report_is_resolved_for_the_patient_only_when_all_its_alerts_are(phone, nurse):
    first = report(phone, frequency=4, severity=3)
    severe = Alert.objects.get()
    # A second alert fed by the same report (as a red flag and a severe answer both would).
    other = Alert.objects.create(
        patient=severe.patient,
        kind="worsening_symptom",
        symptom="nausea",
        priority="normal",
        priority_rank=2,
        rule="alert.worsening",
        summary="worse",
        details={"reports": [first["id"]]},
        opened_at=severe.opened_at,
        last_seen_at=severe.opened_at,
    )
    alert_resolve(alert=severe, user=nurse, outcome="no_action_needed", note="Seen.")
    assert responses(phone)[first["id"]]["status"] == "told"  # the other is still open
    alert_resolve(alert=other, user=nurse, outcome="contacted_patient", note="Phoned.")
    done = responses(phone)[first["id"]]
    assert (done["status"], done["outcome"]) == ("resolved", "contacted_patient")  # the latest


def test_a_nurse_asks_the_patient_to_call(phone, nurse, patient):
    severe = report(phone, frequency=4, severity=3)
    alert = Alert.objects.get()
    response = client_for(nurse).post(f"/api/v1/alerts/{alert.pk}/ask-to-call/")
    assert response.status_code == 200, response.json()
    assert response.json()["call_requested_at"]
    assert response.json()["status"] == "acknowledged"  # asking is having seen it
    push = OutboxMessage.objects.get(kind="call_request")
    assert push.recipient == patient.user
    assert push.payload == {"alert": str(alert.pk)}  # no symptom, no drug
    assert AuditEvent.objects.filter(action="alert.ask_to_call", actor=nurse).count() == 1
    mine = responses(phone)[severe["id"]]
    assert mine["call_requested_at"] and mine["status"] == "seen"
    # A double click sends one push.
    assert client_for(nurse).post(f"/api/v1/alerts/{alert.pk}/ask-to-call/").status_code == 200
    assert OutboxMessage.objects.filter(kind="call_request").count() == 1


def test_asking_to_call_is_refused_when_it_cannot_reach_the_patient(
    phone, nurse, patient, coordinator, other_care_team
):
    report(phone, frequency=4, severity=3)
    alert = Alert.objects.get()
    url = f"/api/v1/alerts/{alert.pk}/ask-to-call/"
    assert client_for(patient.user).post(url).status_code == 403
    from tests.factories.accounts import StaffFactory

    stranger = StaffFactory(role="nurse", care_teams=[other_care_team])
    assert client_for(stranger).post(url).status_code == 404
    alert_resolve(alert=alert, user=nurse, outcome="contacted_patient", note="Done.")
    assert client_for(nurse).post(url).status_code == 409
    assert not OutboxMessage.objects.filter(kind="call_request").exists()


def test_the_dashboard_offers_ask_to_call(phone, nurse):
    from django.test import Client

    report(phone, frequency=4, severity=3)
    alert = Alert.objects.get()
    browser = Client()
    browser.force_login(nurse)
    assert "Ask to call" in browser.get("/dashboard/").content.decode()
    row = browser.post(f"/dashboard/alerts/{alert.pk}/ask-to-call/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert "Asked the patient to call" in row.content.decode()
    assert OutboxMessage.objects.filter(kind="call_request").count() == 1

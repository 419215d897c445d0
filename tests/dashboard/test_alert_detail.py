"""Issue 21, triage context: an alert's page shows every report that fed it (none overwritten
when alerts merge), the earlier reports of the symptom, the weight trend, the dose and plan
day, times in the viewer's zone with the patient's beside; the queue counts down to
escalation and puts escalated alerts first."""

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.alerts.models import Alert
from backend.alerts.selectors import alerts_filtered
from backend.audit.models import AuditEvent
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    return client_for(patient.user)


def report(phone, note: str, **answers):
    body = {"client_id": str(uuid.uuid4()), "symptom": "nausea", "answers": answers, "note": note}
    response = phone.post("/api/v1/me/side-effects/", body, format="json")
    assert response.status_code == 201, response.json()


def test_the_alert_page_shows_every_report_and_the_context(phone, nurse, patient):
    report(phone, "earlier, mild", frequency=1, severity=1)
    report(phone, "first bad day", frequency=4, severity=3)
    report(phone, "second bad day", frequency=4, severity=4)
    client_for(patient.user).post(
        "/api/v1/me/weights/",
        {"client_id": str(uuid.uuid4()), "weight_kg": "71.5"},
        format="json",
    )
    alert = Alert.objects.get(kind="severe_symptom")
    browser = Client()
    browser.force_login(nurse)
    page = browser.get(f"/dashboard/alerts/{alert.pk}/").content.decode()
    fed, earlier = page.split("Earlier reports of")
    assert "first bad day" in fed and "second bad day" in fed  # neither overwritten
    assert "earlier, mild" in earlier and "earlier, mild" not in fed
    assert "71.5" in page
    assert "400 mg/day" in page and "Day " in page
    assert f"for the patient, {patient.time_zone}" in page  # the patient's zone beside
    assert "data-local" in page and "local-times.js" in page  # the viewer's zone
    assert AuditEvent.objects.filter(action="dashboard.alert.view", patient=patient).exists()


def test_another_teams_alert_is_not_found(phone, nurse, other_care_team):
    from tests.factories.accounts import StaffFactory

    report(phone, "bad", frequency=4, severity=3)
    alert = Alert.objects.get()
    stranger = Client()
    stranger.force_login(StaffFactory(role="nurse", care_teams=[other_care_team]))
    assert stranger.get(f"/dashboard/alerts/{alert.pk}/").status_code == 404


def test_the_queue_counts_down_to_escalation_and_sorts_escalated_first(phone, nurse, settings):
    settings.ALERT_ESCALATE_HIGH_AFTER_MINUTES = 240
    report(phone, "bad", frequency=4, severity=4)
    alert = Alert.objects.get()
    assert alert.priority == "high"
    browser = Client()
    browser.force_login(nurse)
    queue = browser.get("/dashboard/").content.decode()
    assert re.search(r"Escalates in 2(39|40) min", queue)  # 4 hours for a high alert
    # An older normal alert, escalated (as the worker would), sorts above a fresh urgent one.
    normal = Alert.objects.create(
        patient=alert.patient,
        kind="missed_dose_streak",
        priority="normal",
        priority_rank=2,
        rule="alert.missed_streak",
        summary="missed 3 days in a row",
        opened_at=timezone.now() - timedelta(hours=5),
        last_seen_at=timezone.now(),
        escalated_at=timezone.now(),
    )
    assert alerts_filtered(nurse).first() == normal
    queue = browser.get("/dashboard/").content.decode()
    assert queue.index("missed 3 days in a row") < queue.index(alert.summary)
    alert.status = "acknowledged"
    alert.save()
    assert "Escalates in" not in browser.get("/dashboard/").content.decode()

"""From a cause to a phone: a dose reminder at local 08:00 and a severe-symptom alert reach
the fake FCM server through the outbox task and the real firebase-admin path."""

import uuid
from datetime import datetime

import pytest
import time_machine

from backend.adherence.services.reminders import dose_reminders_enqueue
from tests.factories.clients import client_for
from tests.factories.devices import DeviceFactory
from tests.factories.plans import TreatmentPlanFactory
from worker.tasks.notifications import deliver_outbox

pytestmark = pytest.mark.django_db


def test_reminder_and_alert_reach_the_phones(fcm_settings, fake_fcm, nurse, patient):
    DeviceFactory.create(user=patient.user, token="patient-phone-token")
    DeviceFactory.create(user=nurse, token="nurse-phone-token")
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-02")
    at = datetime.fromisoformat("2026-03-02T07:00:00+00:00")  # 08:00 in Madrid
    with time_machine.travel(at, tick=False):
        dose_reminders_enqueue(at)
        client_for(patient.user).post(
            "/api/v1/me/side-effects/",
            {
                "client_id": str(uuid.uuid4()),
                "symptom": "vomiting",
                "answers": {"frequency": 3, "severity": 3},
            },
            format="json",
        )
        assert deliver_outbox.apply().get() == 2
        assert deliver_outbox.apply().get() == 0  # nothing is sent twice
    by_token = {received.token: received.message for received in fake_fcm.delivered()}
    assert set(by_token) == {"patient-phone-token", "nurse-phone-token"}
    lock_screen = str(by_token["patient-phone-token"]).lower()
    assert "imatinib" not in lock_screen and "gist" not in lock_screen

"""With the broker down the API keeps accepting dose logs and side-effect reports: requests
never talk to the broker; what must happen later is an outbox row the worker sends later."""

import uuid
from datetime import timedelta

import pytest
from celery.app.task import Task
from django.utils import timezone
from kombu import Connection

from backend.notifications.models import OutboxMessage
from tests.factories.clients import client_for
from tests.factories.devices import DeviceFactory
from tests.factories.plans import HIGH_RISK_CASE

pytestmark = pytest.mark.django_db


def refuse(*args, **kwargs):
    raise ConnectionRefusedError("broker down")


@pytest.fixture
def broker_down(monkeypatch, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens there

    monkeypatch.setattr(Connection, "ensure_connection", refuse)
    monkeypatch.setattr(Connection, "connect", refuse)
    monkeypatch.setattr(Task, "apply_async", refuse)


def test_logs_and_reports_are_accepted_and_notifications_wait(broker_down, nurse, patient, client):
    response = client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plans/",
        {"case": {**HIGH_RISK_CASE, "start_date": "2026-01-05"}, "dose_times": ["08:00"]},
        format="json",
    )
    assert response.status_code == 201
    phone = client_for(patient.user)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    dose = phone.post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid.uuid4()),
            "date": yesterday,
            "slot": 1,
            "status": "skipped",
            "skip_reason": "side_effects",
        },
        format="json",
    )
    assert dose.status_code == 201, dose.json()
    report = phone.post(
        "/api/v1/me/side-effects/",
        {
            "client_id": str(uuid.uuid4()),
            "symptom": "vomiting",
            "answers": {"frequency": 4, "severity": 4},
        },
        format="json",
    )
    assert report.status_code == 201, report.json()
    # The care team's notifications wait in the outbox for the worker.
    assert OutboxMessage.objects.filter(recipient=nurse, status="pending").exists()
    assert client.get("/healthz").status_code == 503  # and the probe says so


def test_what_waited_is_delivered_when_the_worker_runs_again(nurse, patient, settings):
    from tests.notifications.fake_fcm import FakeFcmServer
    from worker.tasks.notifications import deliver_outbox

    DeviceFactory.create(user=nurse, token="nurse-token")
    with pytest.MonkeyPatch.context() as down:
        down.setattr(
            Task,
            "apply_async",
            lambda *a, **k: (_ for _ in ()).throw(ConnectionRefusedError("broker down")),
        )
        phone = client_for(patient.user)
        report = phone.post(
            "/api/v1/me/side-effects/",
            {
                "client_id": str(uuid.uuid4()),
                "symptom": "vomiting",
                "answers": {"frequency": 4, "severity": 4},
            },
            format="json",
        )
        assert report.status_code == 201
    fake = FakeFcmServer().start()
    try:
        settings.PUSH_SENDER = "fcm"
        settings.FCM_ENDPOINT = fake.url
        settings.FCM_PROJECT_ID = "gist-test"
        settings.FCM_CREDENTIALS_FILE = ""
        settings.FCM_STATIC_TOKEN = "static-test-token"
        settings.FCM_HTTP_RETRIES = 0
        from backend.notifications import fcm

        fcm.close_sender()
        assert deliver_outbox.apply().get() == 1  # the broker is back: the worker runs
        assert [received.token for received in fake.delivered()] == ["nurse-token"]
    finally:
        fcm.close_sender()
        fake.stop()

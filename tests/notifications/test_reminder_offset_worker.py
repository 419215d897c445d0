"""Issue 22: a reminder at the patient's chosen offset reaches the phone (the fake FCM server,
firebase-admin's real path) through a real Celery worker: the reminder task claims it on the
dose ledger at 15 minutes before the dose time (not a minute sooner), the outbox task pushes
it, with the buttons' titles and what the service worker needs to act on it."""

import time
from datetime import datetime, timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from backend.notifications.models import OutboxMessage
from tests.factories.clients import client_for
from tests.factories.devices import DeviceFactory
from tests.factories.plans import TreatmentPlanFactory
from worker.celery_app import app
from worker.tasks.adherence import queue_dose_reminders
from worker.tasks.notifications import deliver_outbox


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_reminder_is_pushed_at_the_chosen_offset_by_a_real_worker(
    fcm_settings, fake_fcm, nurse, patient
):
    DeviceFactory.create(user=patient.user, token="patient-phone-token", platform="web")
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        settings_saved = client_for(patient.user).patch(
            "/api/v1/me/notification-preferences/",
            {"reminder_offset_minutes": 15, "language": "es"},
            format="json",
        )
        assert settings_saved.status_code == 200
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-02")
    due = datetime.fromisoformat("2026-03-02T07:00:00+00:00")  # 08:00 in Madrid
    # Results are not stored (CELERY_TASK_IGNORE_RESULT): the worker's own signal tells what
    # each task returned.
    returned: list[tuple[str, object]] = []

    def record(sender=None, retval=None, **_kwargs) -> None:
        returned.append((sender.name, retval))

    def run(task) -> object:
        before = len(returned)
        task.delay()
        assert wait_for(lambda: len(returned) > before), f"{task.name} never ran"
        return returned[-1][1]

    task_postrun.connect(record, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # A minute before the chosen time: nothing (the worker thread's clock travels).
            with time_machine.travel(due - timedelta(minutes=16), tick=True):
                assert run(queue_dose_reminders) == 0
            with time_machine.travel(due - timedelta(minutes=15), tick=True):
                assert run(queue_dose_reminders) == 1
                assert run(queue_dose_reminders) == 0  # never twice
                assert run(deliver_outbox) == 1
    finally:
        task_postrun.disconnect(record)
    assert wait_for(lambda: len(fake_fcm.delivered()) == 1)
    (received,) = fake_fcm.delivered()
    message = received.message
    assert received.token == "patient-phone-token"
    assert message["notification"]["title"] == "Recordatorio"
    data = message["data"]
    assert (data["kind"], data["date"], data["slot"], data["attempt"]) == (
        "dose_reminder",
        "2026-03-02",
        "1",
        "0",
    )
    assert (data["action_taken"], data["action_snooze"], data["snooze_minutes"]) == (
        "Tomada",
        "Recordar en 30 min",
        "30",
    )
    row = OutboxMessage.objects.get()
    assert abs(row.created_at - (due - timedelta(minutes=15))) < timedelta(seconds=30)

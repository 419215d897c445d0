"""A caregiver's alert end to end (issue 22): a real Celery worker (celery.contrib.testing,
through the configured broker) runs the caregiver alert task and the outbox delivery, and the
push reaches the fake FCM server through firebase-admin's real code path, once: running both
tasks again sends nothing more. In the caregiver's language (Spanish here), with the name the
patient chose and never the drug's name."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker

from backend.notifications.models import OutboxMessage
from tests.browser.conftest import zone_near_midday
from tests.caregivers.helpers import caregiver_of
from tests.factories.devices import DeviceFactory
from tests.factories.plans import TreatmentPlanFactory
from worker.celery_app import app
from worker.tasks.caregivers import alert_doses_not_logged
from worker.tasks.notifications import deliver_outbox

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_dose_not_logged_reaches_the_caregivers_phone_once(
    fcm_settings, fake_fcm, nurse, patient
):
    zone = zone_near_midday()
    patient.time_zone = zone
    patient.save(update_fields=["time_zone"])
    now = datetime.now(ZoneInfo(zone))
    due = (now - timedelta(hours=3)).replace(second=0, microsecond=0)  # about 09:30 today
    with time_machine.travel(now - timedelta(hours=4), tick=False):
        TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            start_date=now.date(),
            dose_times=[due.strftime("%H:%M")],
        )
        caregiver = caregiver_of(patient, patient_name="Mamá")
    # caregiver_of accepted in English; the caregiver changed their pushes to Spanish.
    caregiver.notification_preference.language = "es"
    caregiver.notification_preference.save()
    DeviceFactory.create(user=caregiver, token="carer-phone-token")
    DeviceFactory.create(user=patient.user, token="patient-phone-token")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        alert_doses_not_logged.delay().get(timeout=30)
        deliver_outbox.delay().get(timeout=30)
        assert wait_for(lambda: len(fake_fcm.delivered()) >= 1), "nothing reached FCM"
        # Again, as beat does every few minutes: nothing more is sent.
        alert_doses_not_logged.delay().get(timeout=30)
        deliver_outbox.delay().get(timeout=30)

    delivered = [(r.token, r.message) for r in fake_fcm.delivered()]
    assert [token for token, _ in delivered] == ["carer-phone-token"]
    notification = delivered[0][1]["notification"]
    expected = f"La dosis de las {due:%H:%M} de Mamá aún no está registrada."
    assert notification["body"] == expected
    assert "imatinib" not in str(delivered[0][1]).lower()
    rows = OutboxMessage.objects.filter(kind="caregiver_dose_not_logged")
    assert rows.count() == 1 and rows.get().recipient_id == caregiver.pk

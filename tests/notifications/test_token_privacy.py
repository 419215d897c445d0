"""A push token is never logged (issue 18): every log record, at DEBUG and from every logger
(ours, Django's request log, firebase-admin, urllib3), is collected through register, a move
to another user, deliveries that FCM refuses with an error quoting the token, a sender that
crashes with the token in its exception, and unregister; the token is in none of them, nor in
the outbox's errors or the audit log."""

import logging
from datetime import UTC, datetime

import pytest
import time_machine

from backend.audit.models import AuditEvent
from backend.notifications import fcm
from backend.notifications.models import Device, OutboxMessage
from backend.notifications.services import outbox_deliver_batch, outbox_enqueue
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/me/devices/"
UNREGISTER = "/api/v1/me/devices/unregister/"
TOKEN = "cPrivTok3n:APA91bHsecret-push-address_0123456789abcdefXYZ"
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


class Everything(logging.Handler):
    """Every record, formatted as a log file would have it (message, exception, stack)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{self.format(record)} args={record.args!r}")


@pytest.fixture
def all_logs():
    """The suite runs with -p no:logging (no caplog): the root logger at DEBUG, collected."""
    handler = Everything()
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def enqueue(user, key: str) -> OutboxMessage:
    return outbox_enqueue(
        recipient=user,
        kind="dose_reminder",
        payload={"local_time": "08:00", "attempt": 0},
        dedupe_key=key,
    )


class CrashingSender:
    name = "crashing"

    def send_batch(self, messages):
        raise RuntimeError(f"could not send to {messages[0].token}")

    def close(self) -> None:
        pass


def test_no_log_record_holds_the_token(
    all_logs, fcm_settings, fake_fcm, patient, foreign_patient, nurse, monkeypatch
):
    first, second = client_for(patient.user), client_for(foreign_patient.user)
    fake_fcm.quote_tokens = True

    # Register, register again, and the phone changes hands (a move).
    assert (
        first.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json").status_code
        == 201
    )
    assert (
        first.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json").status_code
        == 200
    )
    assert (
        second.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json").status_code
        == 200
    )
    assert AuditEvent.objects.filter(action="device.moved").count() == 1
    # Someone else's attempt to unregister it: a 404, logged by Django's request log.
    response = client_for(nurse).post(UNREGISTER, {"token": TOKEN}, format="json")
    assert response.status_code == 404

    # FCM refuses it for a while (its error quoting the token), then the sender crashes.
    with time_machine.travel(NOW, tick=False):
        fake_fcm.answer_next("UNAVAILABLE")
        transient = enqueue(foreign_patient.user, "transient")
        assert outbox_deliver_batch(NOW).retried == 1
        monkeypatch.setattr(fcm, "get_sender", lambda: CrashingSender())
        crashed = enqueue(foreign_patient.user, "crashed")
        assert outbox_deliver_batch(NOW).retried == 1
        monkeypatch.undo()
    # Then FCM calls the token dead (the error quoting it): the device is deactivated.
    fake_fcm.answer_token(TOKEN, "UNREGISTERED")
    with time_machine.travel(NOW, tick=False):
        dead = enqueue(foreign_patient.user, "dead")
        OutboxMessage.objects.exclude(pk=dead.pk).update(status="sent")
        assert outbox_deliver_batch(NOW).devices_deactivated == 1
    quoted = [r for r in fake_fcm.requests() if r.answered != "OK"]
    assert quoted and all(r.token == TOKEN for r in quoted)

    # The phone registers again and then unregisters itself, by its token in the body.
    assert (
        second.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json").status_code
        == 200
    )
    assert second.post(UNREGISTER, {"token": TOKEN}, format="json").status_code == 204
    assert not Device.objects.get(token=TOKEN).active

    text = "\n".join(all_logs.records)
    assert "moves from user" in text  # the move was logged, by ids
    assert "push sender crashing failed with RuntimeError" in text
    assert "Not Found: /api/v1/me/devices/unregister/" in text
    assert TOKEN not in text
    # Nor kept where an admin reads errors, nor in the audit log.
    for row in (transient, crashed, dead):
        row.refresh_from_db()
        assert TOKEN not in row.last_error
    assert not any(TOKEN in str(event.detail) for event in AuditEvent.objects.all())


def test_an_fcm_error_quoting_the_token_is_kept_without_it(fcm_settings, fake_fcm):
    fake_fcm.quote_tokens = True
    fake_fcm.answer_token(TOKEN, "INVALID_ARGUMENT")
    (outcome,) = fcm.get_sender().send_batch(
        [fcm.PushMessage(token=TOKEN, platform="android", title="a", body="b", device_id=7)]
    )
    assert outcome.error_code == "INVALID_ARGUMENT"
    assert "[token]" in outcome.detail
    assert TOKEN not in outcome.detail
    assert TOKEN not in repr(outcome)


def test_a_push_message_does_not_show_its_token() -> None:
    message = fcm.PushMessage(token=TOKEN, platform="web", title="a", body="b", device_id=3)
    assert TOKEN not in repr(message)
    assert "device_id=3" in repr(message)

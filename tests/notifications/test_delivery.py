"""Outbox delivery through firebase-admin's real code path to a fake FCM server on 127.0.0.1:
what arrives there, dead tokens, retries with backoff, quota, giving up, no device."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from backend.notifications.models import Device, OutboxMessage
from backend.notifications.services import outbox_deliver_batch, outbox_enqueue
from tests.factories.devices import DeviceFactory
from tests.notifications.conftest import PROJECT, STATIC_TOKEN

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def reminder(user, key: str = "r1", attempt: int = 0) -> OutboxMessage:
    return outbox_enqueue(
        recipient=user,
        kind="dose_reminder",
        payload={"date": "2026-06-01", "slot": 1, "local_time": "08:00", "attempt": attempt},
        dedupe_key=f"reminder:{key}",
    )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_delivers_through_firebase_admin_to_the_fake_server(
    fcm_settings, fake_fcm, patient, frozen
):
    DeviceFactory.create(user=patient.user, token="token-android-1", platform="android")
    DeviceFactory.create(user=patient.user, token="token-ios-1", platform="ios")
    row = reminder(patient.user)

    report = outbox_deliver_batch(NOW)

    assert (report.picked, report.sent, report.pushes_sent) == (1, 1, 2)
    received = fake_fcm.delivered()
    assert len(received) == 2
    assert {r.token for r in received} == {"token-android-1", "token-ios-1"}
    for request in received:
        assert request.path == f"/v1/projects/{PROJECT}/messages:send"
        assert request.headers["authorization"] == f"Bearer {STATIC_TOKEN}"
        message = request.message
        assert message["notification"] == {
            "title": "Reminder",
            "body": "It's time for your 08:00 dose. Tap to log it.",
        }
        assert message["data"]["kind"] == "dose_reminder"
        assert message["data"]["outbox_id"] == str(row.pk)
        assert message["data"]["local_time"] == "08:00"
        assert message["data"]["slot"] == "1"
    by_token = {r.token: r.message for r in received}
    assert by_token["token-android-1"]["android"]["priority"] == "high"
    assert by_token["token-ios-1"]["apns"]["headers"]["apns-priority"] == "10"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, NOW, "")

    # Delivered rows are never picked again.
    assert outbox_deliver_batch(NOW + timedelta(hours=1)).picked == 0
    assert len(fake_fcm.requests()) == 2


def test_a_recipient_without_an_active_device_is_closed_not_looped(
    fcm_settings, fake_fcm, patient, frozen
):
    row = reminder(patient.user)
    report = outbox_deliver_batch(NOW)
    assert (report.picked, report.no_device) == (1, 1)
    row.refresh_from_db()
    assert (row.status, row.last_error, row.sent_at) == ("sent", "no device", None)
    assert fake_fcm.requests() == []
    assert outbox_deliver_batch(NOW + timedelta(days=1)).picked == 0


def test_a_disabled_account_gets_nothing(fcm_settings, fake_fcm, nurse, frozen):
    DeviceFactory.create(user=nurse, token="token-n")
    nurse.is_active = False
    nurse.save()
    row = reminder(nurse)
    assert outbox_deliver_batch(NOW).no_device == 1
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("sent", "no device")
    assert fake_fcm.requests() == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("UNREGISTERED", "unregistered"),
        ("SENDER_ID_MISMATCH", "sender_id_mismatch"),
        ("INVALID_ARGUMENT", "invalid_argument"),
    ],
)
def test_dead_tokens_are_deactivated_and_never_retried(
    fcm_settings, fake_fcm, patient, frozen, code, reason
):
    dead = DeviceFactory.create(user=patient.user, token="token-dead", platform="android")
    alive = DeviceFactory.create(user=patient.user, token="token-alive", platform="web")
    fake_fcm.answer_token("token-dead", code)
    first = reminder(patient.user, "one")

    report = outbox_deliver_batch(NOW)

    assert (report.sent, report.devices_deactivated) == (1, 1)
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.active, dead.deactivation_reason, dead.deactivated_at) == (False, reason, NOW)
    assert alive.active
    first.refresh_from_db()
    assert first.status == "sent"
    assert code in first.last_error  # the partial failure is recorded

    # The next notification goes only to the live device: the dead token is never tried again.
    reminder(patient.user, "two")
    outbox_deliver_batch(NOW)
    tokens = [r.token for r in fake_fcm.requests()]
    assert tokens.count("token-dead") == 1
    assert tokens.count("token-alive") == 2


def test_every_device_dead_closes_the_row_as_no_device(fcm_settings, fake_fcm, patient, frozen):
    DeviceFactory.create(user=patient.user, token="token-gone")
    fake_fcm.answer_token("token-gone", "UNREGISTERED")
    row = reminder(patient.user)

    report = outbox_deliver_batch(NOW)

    assert (report.no_device, report.retried, report.devices_deactivated) == (1, 0, 1)
    row.refresh_from_db()
    assert row.status == "sent"
    assert row.last_error.startswith("no device")
    assert "UNREGISTERED" in row.last_error
    assert not Device.objects.get(token="token-gone").active
    assert outbox_deliver_batch(NOW + timedelta(hours=2)).picked == 0
    assert len(fake_fcm.requests()) == 1


@pytest.mark.parametrize("code", ["UNAVAILABLE", "INTERNAL"])
def test_transient_error_is_retried_with_backoff_then_succeeds(
    fcm_settings, fake_fcm, patient, frozen, code
):
    device = DeviceFactory.create(user=patient.user, token="token-1")
    fake_fcm.answer_next(code)
    row = reminder(patient.user)

    report = outbox_deliver_batch(NOW)

    assert (report.retried, report.sent) == (1, 0)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert code in row.last_error
    # First retry: OUTBOX_RETRY_BASE_SECONDS (30 s) with jitter in its upper half.
    assert NOW + timedelta(seconds=15) <= row.next_attempt_at <= NOW + timedelta(seconds=30)
    device.refresh_from_db()
    assert device.active  # a transient error says nothing about the token

    # Not before its time...
    assert outbox_deliver_batch(NOW + timedelta(seconds=14)).picked == 0
    # ...then sent.
    later = row.next_attempt_at
    frozen.move_to(later)
    report = outbox_deliver_batch(later)
    assert (report.sent, report.retried) == (1, 0)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, later)
    assert [r.answered for r in fake_fcm.requests()] == [code, "OK"]


def test_quota_exceeded_backs_off_at_least_a_minute(fcm_settings, fake_fcm, patient, nurse, frozen):
    DeviceFactory.create(user=patient.user, token="token-p")
    DeviceFactory.create(user=nurse, token="token-n")
    fake_fcm.answer_token("token-p", "QUOTA_EXCEEDED")
    fake_fcm.answer_token("token-n", "QUOTA_EXCEEDED")
    rows = [reminder(patient.user), reminder(nurse, "nurse")]

    report = outbox_deliver_batch(NOW)

    assert report.retried == 2
    for row in rows:
        row.refresh_from_db()
        assert row.status == "pending"
        assert "QUOTA_EXCEEDED" in row.last_error
        assert row.next_attempt_at >= NOW + timedelta(seconds=60)
        assert row.next_attempt_at <= NOW + timedelta(seconds=75)  # jitter up to 25 %
    # Nothing is sent again within the minute.
    assert outbox_deliver_batch(NOW + timedelta(seconds=59)).picked == 0


def test_quota_exceeded_honours_a_longer_retry_after(fcm_settings, fake_fcm, patient, frozen):
    DeviceFactory.create(user=patient.user, token="token-p")
    fake_fcm.answer_next("QUOTA_EXCEEDED")
    fake_fcm.retry_after("QUOTA_EXCEEDED", 300)
    row = reminder(patient.user)
    outbox_deliver_batch(NOW)
    row.refresh_from_db()
    assert row.next_attempt_at >= NOW + timedelta(seconds=300)


def test_failed_after_the_maximum_attempts(fcm_settings, fake_fcm, patient, frozen):
    fcm_settings.OUTBOX_MAX_ATTEMPTS = 3
    DeviceFactory.create(user=patient.user, token="token-1")
    fake_fcm.answer_token("token-1", "UNAVAILABLE")
    row = reminder(patient.user)

    now = NOW
    delays = []
    for attempt in (1, 2):
        report = outbox_deliver_batch(now)
        assert report.retried == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("pending", attempt)
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        frozen.move_to(now)
    report = outbox_deliver_batch(now)
    assert report.failed == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert row.last_error.startswith("failed after 3 attempts")
    # Exponential: the second wait's range (30-60 s) starts where the first's (15-30 s) ends.
    assert delays[0] <= timedelta(seconds=30) <= delays[1] <= timedelta(seconds=60)
    # A failed row is never sent again by the worker.
    assert outbox_deliver_batch(now + timedelta(days=1)).picked == 0
    assert len(fake_fcm.requests()) == 3


def test_firebase_admin_retries_503_itself_when_allowed(fcm_settings, fake_fcm, patient, frozen):
    """With the SDK's own retries on (production's default), one UNAVAILABLE is absorbed inside
    send_each: its first retry has no backoff, so this stays fast."""
    fcm_settings.FCM_HTTP_RETRIES = 4
    DeviceFactory.create(user=patient.user, token="token-1")
    fake_fcm.answer_next("UNAVAILABLE")
    row = reminder(patient.user)
    report = outbox_deliver_batch(NOW)
    assert report.sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert [r.answered for r in fake_fcm.requests()] == ["UNAVAILABLE", "OK"]


def test_batch_size_and_order(fcm_settings, fake_fcm, patient, frozen):
    DeviceFactory.create(user=patient.user, token="token-1")
    rows = [reminder(patient.user, f"k{n}") for n in range(5)]
    OutboxMessage.objects.filter(pk=rows[4].pk).update(next_attempt_at=NOW - timedelta(hours=1))
    OutboxMessage.objects.filter(pk=rows[3].pk).update(next_attempt_at=NOW + timedelta(hours=1))

    report = outbox_deliver_batch(NOW, batch_size=2)

    assert (report.picked, report.sent) == (2, 2)
    sent = set(OutboxMessage.objects.filter(status="sent").values_list("pk", flat=True))
    assert sent == {rows[4].pk, rows[0].pk}  # the longest waiting first
    assert outbox_deliver_batch(NOW, batch_size=10).picked == 2  # not the future one
    assert OutboxMessage.objects.get(pk=rows[3].pk).status == "pending"


def test_send_each_sends_more_than_500_messages_in_calls_of_at_most_500(
    send_each_settings, fake_fcm, patient, monkeypatch, frozen
):
    from backend.notifications import fcm

    calls = []
    real_send_each = fcm.messaging.send_each

    def spy(messages, *args, **kwargs):
        calls.append(len(messages))
        return real_send_each(messages, *args, **kwargs)

    monkeypatch.setattr(fcm.messaging, "send_each", spy)
    send_each_settings.PUSH_DEVICES_PER_USER = 3
    for n in range(3):
        DeviceFactory.create(user=patient.user, token=f"token-{n}")
    for n in range(170):
        reminder(patient.user, f"k{n}")

    report = outbox_deliver_batch(NOW)

    assert (report.picked, report.sent, report.pushes_sent) == (170, 170, 510)
    assert calls == [500, 10]
    assert len(fake_fcm.delivered()) == 510


def test_a_batch_of_more_than_500_messages_is_sent_and_settled(
    fcm_settings, fake_fcm, patient, frozen
):
    """PUSH_SENDER=fcm has no per-call limit: 510 pushes in one send_batch, each mapped back to
    its row and device (one device dead)."""
    fcm_settings.PUSH_DEVICES_PER_USER = 3
    for n in range(3):
        DeviceFactory.create(user=patient.user, token=f"token-{n}")
    fake_fcm.answer_token("token-1", "UNREGISTERED")
    for n in range(170):
        reminder(patient.user, f"k{n}")

    report = outbox_deliver_batch(NOW)

    assert (report.picked, report.sent, report.pushes_sent) == (170, 170, 340)
    assert report.devices_deactivated == 1
    assert len(fake_fcm.requests()) == 510
    assert not Device.objects.get(token="token-1").active


def test_an_oversized_payload_is_cut_to_kind_and_id(fcm_settings, fake_fcm, patient, frozen):
    """So the payload is always valid, and an INVALID_ARGUMENT can only be about the token."""
    DeviceFactory.create(user=patient.user, token="token-1")
    row = outbox_enqueue(
        recipient=patient.user,
        kind="dose_reminder",
        payload={"local_time": "08:00", "note": "x" * 5000},
        dedupe_key="big",
    )
    outbox_deliver_batch(NOW)
    (received,) = fake_fcm.delivered()
    assert received.message["data"] == {"kind": "dose_reminder", "outbox_id": str(row.pk)}
    assert received.message["notification"]["body"].startswith("It's time for your 08:00 dose")


def test_an_admin_sees_failed_messages_and_can_queue_them_again(
    fcm_settings, fake_fcm, patient, admin_user, client, frozen
):
    fcm_settings.OUTBOX_MAX_ATTEMPTS = 1
    DeviceFactory.create(user=patient.user, token="token-1")
    fake_fcm.answer_next("UNAVAILABLE")
    row = reminder(patient.user)
    assert outbox_deliver_batch(NOW).failed == 1

    client.force_login(admin_user)
    listing = client.get("/admin/notifications/outboxmessage/?status__exact=failed")
    assert listing.status_code == 200
    assert "failed after 1 attempts" in listing.content.decode()
    response = client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "retry_failed", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert outbox_deliver_batch(NOW).sent == 1
    assert client.get("/admin/notifications/device/").status_code == 200

"""Two workers draining the outbox at once on PostgreSQL never send one row twice: rows are
locked with FOR UPDATE SKIP LOCKED, so the second worker takes other rows instead of waiting."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from backend.notifications import fcm
from backend.notifications.models import OutboxMessage
from backend.notifications.services import DeliveryReport, outbox_deliver_batch, outbox_enqueue
from tests.factories.devices import DeviceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def enqueue_many(user, count: int) -> None:
    for n in range(count):
        outbox_enqueue(
            recipient=user,
            kind="dose_reminder",
            payload={"local_time": "08:00", "attempt": 0},
            dedupe_key=f"reminder:{n}",
        )


def deliver_in_thread(batch_size: int) -> DeliveryReport:
    try:
        return outbox_deliver_batch(NOW, batch_size=batch_size)
    finally:
        connection.close()


def test_a_second_worker_skips_the_rows_the_first_is_sending(pinned, patient, monkeypatch):
    """Both workers must be inside send_batch at the same moment (the barrier), which is only
    possible if the second did not wait for the first's locks; and they sent different rows."""
    DeviceFactory.create(user=patient.user, token="token-1")
    enqueue_many(patient.user, 10)
    barrier = threading.Barrier(2, timeout=20)
    sent: list[str] = []
    lock = threading.Lock()

    class MeetingSender:
        name = "meeting"

        def send_batch(self, messages):
            barrier.wait()  # holds this worker's row locks until the other arrives
            with lock:
                sent.extend(m.data["outbox_id"] for m in messages)
            return [fcm.SendOutcome(fcm.Outcome.SENT, message_id="m") for _ in messages]

        def close(self) -> None:
            pass

    sender = MeetingSender()
    monkeypatch.setattr(fcm, "get_sender", lambda: sender)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(deliver_in_thread, [5, 5]))

    assert [r.picked for r in reports] == [5, 5]
    assert len(sent) == 10 and len(set(sent)) == 10
    assert OutboxMessage.objects.filter(status="sent").count() == 10


def test_workers_racing_send_each_row_once_at_the_fake_server(
    pinned, fcm_settings, fake_fcm, patient
):
    DeviceFactory.create(user=patient.user, token="token-1")
    enqueue_many(patient.user, 60)
    start = threading.Barrier(6, timeout=20)

    def worker(_: int) -> int:
        start.wait()
        total = 0
        while True:
            report = deliver_in_thread(7)
            total += report.picked
            if report.picked == 0:
                return total

    with ThreadPoolExecutor(max_workers=6) as pool:
        picked = sum(pool.map(worker, range(6)))

    counts = Counter(r.message["data"]["outbox_id"] for r in fake_fcm.delivered())
    assert picked == 60
    assert len(counts) == 60
    assert set(counts.values()) == {1}
    assert OutboxMessage.objects.filter(status="sent").count() == 60

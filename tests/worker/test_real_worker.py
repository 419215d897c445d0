"""A real Celery worker consumes a real task from the configured broker (Redis in CI)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from backend.common.models import WorkerHeartbeat
from worker.celery_app import app
from worker.tasks.health import ping


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_worker_runs_the_health_ping_through_the_broker() -> None:
    assert not WorkerHeartbeat.objects.exists()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        ping.delay()
        assert wait_for(WorkerHeartbeat.objects.exists), "the worker never ran the task"
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
@pytest.mark.slow
def test_redis_broker_is_really_used() -> None:
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    with app.connection_for_write() as connection:
        assert connection.transport_cls == "redis"
        connection.ensure_connection(max_retries=1)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for _ in range(3):
            ping.delay()
        assert wait_for(WorkerHeartbeat.objects.exists)
    assert WorkerHeartbeat.objects.count() == 1  # three pings, one row: idempotent

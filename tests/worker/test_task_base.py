"""The task decorator's promises: names, queues, acks_late, reject on worker lost, retries only
on the transient errors a task names."""

import pytest
from django.db import OperationalError

from worker.base import task
from worker.celery_app import app
from worker.tasks import health


def test_registered_tasks_have_dotted_names_and_safe_options() -> None:
    app.loader.import_default_modules()
    ours = {name: t for name, t in app.tasks.items() if name.startswith("worker.")}
    assert "worker.health.ping" in ours
    for name, registered in ours.items():
        assert registered.acks_late is True, name
        assert registered.reject_on_worker_lost is True, name
        assert registered.time_limit and registered.soft_time_limit, name
        assert registered.soft_time_limit < registered.time_limit, name
        route = app.amqp.router.route({}, name, args=(), kwargs={})
        assert route["queue"].name in {"default", "reminders", "push", "reports"}, name


def test_name_must_be_dotted_under_worker() -> None:
    with pytest.raises(ValueError, match="dotted name"):
        task(name="ping", queue="default")


def test_queue_must_be_declared() -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        task(name="worker.x.y", queue="nowhere")


@pytest.mark.django_db
def test_transient_error_is_retried_then_gives_up(monkeypatch) -> None:
    calls = []

    def fail(**kwargs):
        calls.append(1)
        raise OperationalError("database restarting")

    monkeypatch.setattr(health, "worker_heartbeat_record", fail)
    result = health.ping.apply()
    assert result.failed()
    assert len(calls) == 1 + health.ping.max_retries


@pytest.mark.django_db
def test_other_errors_are_not_retried(monkeypatch) -> None:
    calls = []

    def fail(**kwargs):
        calls.append(1)
        raise ValueError("a bug, not a blip")

    monkeypatch.setattr(health, "worker_heartbeat_record", fail)
    result = health.ping.apply()
    assert result.failed()
    assert len(calls) == 1


def test_beat_schedule_entries_name_registered_tasks() -> None:
    app.loader.import_default_modules()
    for entry_name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, entry_name

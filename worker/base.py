"""The one task decorator. Every task: an explicit dotted name, a queue, acks_late with reject on
worker lost (a crash re-runs the task, so tasks must be idempotent), hard and soft time limits,
and automatic retry ONLY on the transient errors it names, with backoff and jitter."""

from collections.abc import Callable
from typing import Any, TypeVar

from worker.celery_app import app
from worker.queues import QUEUE_OF_TASK, QUEUES

F = TypeVar("F", bound=Callable[..., Any])

_QUEUE_NAMES = {queue.name for queue in QUEUES}


def task(
    *,
    name: str,
    queue: str,
    transient_errors: tuple[type[BaseException], ...] = (),
    max_retries: int = 5,
    time_limit: int = 300,
    soft_time_limit: int | None = None,
    retry_backoff_max: int = 600,
    **options: Any,
) -> Callable[[F], Any]:
    if not name.startswith("worker."):
        raise ValueError(f"task name {name!r} must be a dotted name under 'worker.'")
    if queue not in _QUEUE_NAMES:
        raise ValueError(f"unknown queue {queue!r}; declare it in worker/queues.py")

    def decorate(function: F) -> Any:
        QUEUE_OF_TASK[name] = queue
        return app.task(
            name=name,
            acks_late=True,
            reject_on_worker_lost=True,
            time_limit=time_limit,
            # The soft limit raises inside the task first, so it can stop cleanly.
            soft_time_limit=(
                soft_time_limit if soft_time_limit is not None else max(1, int(time_limit * 0.9))
            ),
            autoretry_for=transient_errors,
            retry_backoff=True,
            retry_backoff_max=retry_backoff_max,
            retry_jitter=True,
            max_retries=max_retries,
            **options,
        )(function)

    return decorate

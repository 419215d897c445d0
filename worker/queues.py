"""Queue names and which task goes to which. Separate queues keep a burst of one kind of work
(a reminder minute, a large export) from delaying another."""

from kombu import Queue

DEFAULT = "default"
REMINDERS = "reminders"
PUSH = "push"
REPORTS = "reports"

QUEUES = [Queue(name) for name in (DEFAULT, REMINDERS, PUSH, REPORTS)]
QUEUE_NAMES = ",".join(queue.name for queue in QUEUES)

# Filled by worker.base.task: each task's name -> the queue it declared.
QUEUE_OF_TASK: dict[str, str] = {}


def route_task(
    name: str, args: object, kwargs: object, options: object, task: object = None, **kw: object
) -> dict[str, str] | None:
    """Celery router: send each task to the queue it declared (read at send time)."""
    queue = QUEUE_OF_TASK.get(name)
    return {"queue": queue} if queue else None


TASK_ROUTES = (route_task,)

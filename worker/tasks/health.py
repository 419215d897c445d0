from django.db import InterfaceError, OperationalError

from backend.common.health import worker_heartbeat_record
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.health.ping",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    max_retries=3,
    time_limit=30,
)
def ping() -> str:
    """Record that a worker ran. Idempotent: it only moves one timestamp forward."""
    heartbeat = worker_heartbeat_record()
    return heartbeat.last_seen_at.isoformat()

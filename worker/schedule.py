"""The whole beat schedule in one place. Run exactly one beat process (it has no lock)."""

from celery.schedules import schedule
from django.conf import settings

BEAT_SCHEDULE = {
    # Proves beat -> broker -> worker -> database end to end; /healthz shows the last one.
    "health-ping": {
        "task": "worker.health.ping",
        "schedule": schedule(run_every=settings.WORKER_HEARTBEAT_INTERVAL_SECONDS),
        "options": {"expires": settings.WORKER_HEARTBEAT_INTERVAL_SECONDS},
    },
}

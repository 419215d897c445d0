from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.caregivers.services import caregiver_alerts_enqueue
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.caregivers.alert_doses_not_logged",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=240,
)
def alert_doses_not_logged() -> int:
    """Idempotent: each push is an outbox row with a (caregiver link, date, slot) key, so a
    rerun, or a run after a crash half-way, sends nothing twice."""
    return caregiver_alerts_enqueue(timezone.now())

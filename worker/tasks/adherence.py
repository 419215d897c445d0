from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.adherence.services.missed_doses import doses_mark_missed
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.adherence.mark_missed_doses",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def mark_missed_doses() -> int:
    """Idempotent: the unique (patient, date, slot) key and each plan's cursor mean a rerun,
    or a run after a crash half-way, writes nothing twice."""
    return doses_mark_missed(timezone.now())

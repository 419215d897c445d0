from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.refills.services import refill_reminders_enqueue
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.refills.queue_refill_reminders",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def queue_refill_reminders() -> int:
    """Idempotent: a count is marked (reminder_queued_at) in the transaction that queues its
    one reminder (dedupe key refill:<count>); a rerun finds no unmarked count running low."""
    return refill_reminders_enqueue(timezone.now())

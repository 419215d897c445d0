from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.notifications.services import outbox_deliver_due
from worker.base import task
from worker.queues import PUSH


@task(
    name="worker.notifications.deliver_outbox",
    queue=PUSH,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=120,
)
def deliver_outbox() -> int:
    """Send what is due in the outbox. Rows are locked with SKIP LOCKED (PostgreSQL), so two
    runs never send one row; a crash mid-send resends at most that batch (at-least-once, and
    each push carries a tag from its dedupe key so the phone replaces a repeat)."""
    return outbox_deliver_due(timezone.now()).picked

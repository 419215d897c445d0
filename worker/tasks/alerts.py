from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.alerts.services import alerts_escalate
from backend.alerts.streaks import alerts_open_for_missed_streaks
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.alerts.open_missed_streak_alerts",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def open_missed_streak_alerts() -> int:
    """Idempotent: an unchanged streak is skipped and an open alert is updated, never doubled."""
    return len(alerts_open_for_missed_streaks(timezone.now()))


@task(
    name="worker.alerts.escalate_unacknowledged",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=120,
)
def escalate_unacknowledged() -> int:
    """Idempotent: an alert is escalated once (escalated_at), its outbox rows by dedupe key."""
    return alerts_escalate(timezone.now())

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.labs.overdue import review_points_alert_overdue
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.labs.alert_overdue_review_points",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def alert_overdue_review_points() -> int:
    """Idempotent: each overdue point alerts once (an OverdueReviewPoint row unique on plan,
    date and kind, written with the alert); an open alert is updated, never doubled."""
    return len(review_points_alert_overdue(timezone.now()))

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.accounts.services import auth_tokens_delete_expired
from worker.base import task
from worker.queues import DEFAULT


@task(
    name="worker.accounts.delete_expired_tokens",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=300,
)
def delete_expired_tokens() -> int:
    """Idempotent: only tokens already expired are deleted; a rerun finds fewer or none."""
    return auth_tokens_delete_expired(timezone.now())

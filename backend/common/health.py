"""What /healthz reports: can we reach the database and the broker, and when did a worker last
run."""

import logging
import socket
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu import Connection

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("health check: database unreachable", exc_info=True)
        return False


def broker_is_up(timeout_seconds: float = 2.0) -> bool:
    """A fresh connection to the broker the settings name (the Celery app reads the same)."""
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=timeout_seconds,
        ) as broker_connection:
            broker_connection.ensure_connection(max_retries=1, timeout=timeout_seconds)
        return True
    except Exception:
        logger.warning("health check: broker unreachable", exc_info=True)
        return False


def last_worker_heartbeat() -> datetime | None:
    try:
        row = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    except DatabaseError:
        return None
    return row.last_seen_at if row else None


def worker_heartbeat_record(*, worker_name: str | None = None) -> WorkerHeartbeat:
    """Called by the periodic health ping: proves beat -> broker -> worker -> database works."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_name=(worker_name or socket.gethostname())[:200],
        defaults={"last_seen_at": timezone.now()},
    )
    return heartbeat


def health_report() -> tuple[bool, dict[str, object]]:
    database_ok = database_is_up()
    broker_ok = broker_is_up()
    heartbeat = last_worker_heartbeat() if database_ok else None
    report: dict[str, object] = {
        "status": "ok" if database_ok and broker_ok else "unavailable",
        "database": "ok" if database_ok else "unavailable",
        "broker": "ok" if broker_ok else "unavailable",
        "worker_last_seen": heartbeat.isoformat() if heartbeat else None,
        "broker_kind": "redis" if settings.REDIS_URL else "filesystem",
    }
    return database_ok and broker_ok, report

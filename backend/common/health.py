"""What /healthz reports: can we reach the database and the broker, and when did a worker last
run, answered within ~100 ms whatever is down.

Each dependency is checked in a background thread of this process (`DependencyProbe`). A
request waits at most HEALTH_WAIT_MS for a fresh check; if the check is slower, it answers
from the last completed one, and once a check has run longer than
HEALTH_CHECK_TIMEOUT_SECONDS that dependency counts as down (it is hanging). Only one check of
each dependency runs at a time, so a load balancer probing while Redis hangs does not pile up
requests or threads (issue 19: it took 2 s a call before).
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu import Connection

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"
FIRST_READING_WAIT_SECONDS = 0.08


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("health check: database unreachable", exc_info=True)
        return False


def broker_is_up(timeout_seconds: float = 1.0) -> bool:
    """A fresh connection to the broker the settings name (the Celery app reads the same), one
    attempt, no retries."""
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            # A broker that accepts the connection and never answers must not hold the check.
            transport_options={
                **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                "socket_timeout": timeout_seconds,
                "socket_connect_timeout": timeout_seconds,
            },
            connect_timeout=timeout_seconds,
        ) as broker_connection:
            broker_connection.ensure_connection(
                max_retries=0, interval_start=0, timeout=timeout_seconds
            )
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


def _database_check() -> tuple[bool, datetime | None]:
    """In the database probe's own thread, on that thread's own connection, kept open between
    checks (a check is then one round trip, even on a loaded machine). A failure closes it and
    tries once more on a fresh connection: the kept one may have been cut (a server restart,
    pg_terminate_backend) while the database is fine, which the fault run showed as 503s."""
    for attempt in (1, 2):
        try:
            up = database_is_up()
            heartbeat = last_worker_heartbeat() if up else None
        except Exception:
            connection.close()
            if attempt == 2:
                raise
            continue
        if up:
            return up, heartbeat
        connection.close()
    return False, None


def _close_this_threads_connection() -> None:
    connection.close()


@dataclass(frozen=True)
class Reading:
    state: str  # ok, unavailable
    value: Any
    checked_at: datetime | None


class DependencyProbe:
    """One dependency's check, run in a thread, never more than one at a time."""

    def __init__(self, name: str, check: Callable[[], tuple[bool, Any]]) -> None:
        self.name = name
        self.check = check
        self._lock = threading.Lock()
        self._future: Future[tuple[bool, Any]] | None = None
        self._started = 0.0
        self._last: Reading | None = None

    def forget(self) -> None:
        with self._lock:
            self._future, self._last = None, None

    def read(self, executor: ThreadPoolExecutor, wait_seconds: float) -> Reading:
        with self._lock:
            if self._future is None:
                self._started = time.monotonic()
                self._future = executor.submit(self.check)
            future, started = self._future, self._started
        if self._last is None:
            # The process's first reading has nothing to fall back on: give it most of the
            # 100 ms rather than report a dependency down that was never checked.
            wait_seconds = max(wait_seconds, FIRST_READING_WAIT_SECONDS)
        try:
            up, value = future.result(timeout=wait_seconds)
        except TimeoutError:
            return self._while_running(started)
        except Exception:
            logger.warning("health check of %s failed", self.name, exc_info=True)
            up, value = False, None
        reading = Reading(OK if up else UNAVAILABLE, value, timezone.now())
        with self._lock:
            if self._future is future:
                self._future = None
                self._last = reading
        return reading

    def _while_running(self, started: float) -> Reading:
        running_for = time.monotonic() - started
        if self._last is None or running_for >= settings.HEALTH_CHECK_TIMEOUT_SECONDS:
            return Reading(UNAVAILABLE, None, self._last.checked_at if self._last else None)
        return self._last


class _Probes:
    """The process's probes and their threads, made again after a fork (gunicorn's workers)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        # One thread each: the database thread keeps its connection, and a hanging broker
        # never delays the database's check.
        self.database_thread = ThreadPoolExecutor(1, thread_name_prefix="healthz-database")
        self.broker_thread = ThreadPoolExecutor(1, thread_name_prefix="healthz-broker")
        self.database = DependencyProbe("database", _database_check)
        self.broker = DependencyProbe("broker", lambda: (broker_is_up(), None))

    def shutdown(self, timeout_seconds: float) -> None:
        """Close the database thread's connection (a test database can then be dropped)."""
        # A function, so `connection` is looked up in that thread (it is per thread).
        closing = self.database_thread.submit(_close_this_threads_connection)
        try:
            closing.result(timeout=timeout_seconds)
        except TimeoutError:
            logger.warning("health check: the database thread did not close its connection")
        self.database_thread.shutdown(wait=False)
        self.broker_thread.shutdown(wait=False)


_probes: _Probes | None = None
_probes_lock = threading.Lock()


def _current_probes() -> _Probes:
    global _probes
    with _probes_lock:
        if _probes is None or _probes.pid != os.getpid():
            _probes = _Probes()
        return _probes


def probes_reset() -> None:
    """Forget every reading (tests that change what is down between requests); the threads and
    the database thread's connection stay."""
    with _probes_lock:
        probes = _probes
    if probes is not None:
        probes.database.forget()
        probes.broker.forget()


def probes_shutdown(timeout_seconds: float = 5.0) -> None:
    """Stop the probe threads, their connection closed (the end of a test session)."""
    global _probes
    with _probes_lock:
        probes, _probes = _probes, None
    if probes is not None and probes.pid == os.getpid():
        probes.shutdown(timeout_seconds)


def health_report() -> tuple[bool, dict[str, object]]:
    probes = _current_probes()
    wait = settings.HEALTH_WAIT_MS / 1000
    database = probes.database.read(probes.database_thread, wait)
    broker = probes.broker.read(probes.broker_thread, wait)
    database_ok, broker_ok = database.state == OK, broker.state == OK
    heartbeat = database.value if database_ok else None
    report: dict[str, object] = {
        "status": "ok" if database_ok and broker_ok else "unavailable",
        "database": database.state,
        "broker": broker.state,
        "worker_last_seen": heartbeat.isoformat() if heartbeat else None,
        "broker_kind": "redis" if settings.REDIS_URL else "filesystem",
        "checked_at": {
            "database": database.checked_at.isoformat() if database.checked_at else None,
            "broker": broker.checked_at.isoformat() if broker.checked_at else None,
        },
    }
    return database_ok and broker_ok, report

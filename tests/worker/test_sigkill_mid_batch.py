"""SIGKILL a worker's child process in the middle of a reminder batch: the task comes back
(acks_late + reject_on_worker_lost), the killed batch's transaction is gone, and every due
reminder reaches the fake FCM server exactly once."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.notifications.fake_fcm import FakeFcmServer

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 4000  # four batches of 1000 plans: the kill lands inside one of them


def _count(database: Path, sql: str) -> int:
    try:
        with sqlite3.connect(database, timeout=10) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return -1


def _children(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _own_redis_database() -> str | None:
    """With REDIS_URL set (CI), the same server's database 13, emptied; else None (the
    embedded filesystem broker)."""
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis"):
        return None
    import redis

    parts = urlsplit(url)
    own = urlunsplit((parts.scheme, parts.netloc, "/13", "", ""))
    redis.Redis.from_url(own).flushdb()
    return own


@pytest.mark.slow
def test_every_reminder_is_sent_exactly_once_after_a_sigkill(tmp_path: Path) -> None:
    fake = FakeFcmServer().start()
    database = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    broker = _own_redis_database()
    if broker:
        env["REDIS_URL"] = broker  # CI: a real Redis broker (a database of its own)
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        PUSH_SENDER="fcm",
        FCM_ENDPOINT=fake.url,
        FCM_PROJECT_ID="gist-test",
        FCM_STATIC_TOKEN="static-test-token",
        FCM_HTTP_RETRIES="0",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    run: dict[str, Any] = {
        "cwd": ROOT,
        "env": env,
        "check": True,
        "capture_output": True,
        "timeout": 180,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
    due = datetime.now(UTC).replace(second=0, microsecond=0)
    subprocess.run(
        [sys.executable, str(ROOT / "tests/worker/crash_seed.py"), str(PATIENTS), due.isoformat()],
        **run,
    )
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.celery_app",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=info",
            "--queues=reminders,push,default",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    send = "from worker.tasks.{} import {} as t; t.delay()"
    try:
        assert _wait(lambda: bool(_children(worker.pid)), 60), "worker did not start"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); "
                + send.format("adherence", "queue_dose_reminders"),
            ],
            **run,
        )
        rows = "SELECT COUNT(*) FROM notifications_outboxmessage"
        # The first batch has committed: the second is being built. Kill the child now.
        assert _wait(lambda: _count(database, rows) >= 1000, 120), "no batch committed"
        killed_at = _count(database, rows)
        for child in _children(worker.pid):
            os.kill(child, signal.SIGKILL)
        assert killed_at < PATIENTS, "the run ended before the kill: nothing was interrupted"
        # A new child takes the requeued task and finishes the reminders.
        assert _wait(lambda: _count(database, rows) == PATIENTS, 180), _count(database, rows)
        for _ in range(30):
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import django; django.setup(); "
                    + send.format("notifications", "deliver_outbox"),
                ],
                **run,
            )
            if _wait(lambda: len(fake.delivered()) >= PATIENTS, 10):
                break
        time.sleep(1)  # anything sent twice would arrive now
        tokens = Counter(received.token for received in fake.delivered())
        assert len(tokens) == PATIENTS
        assert set(tokens.values()) == {1}
        assert _count(database, rows) == PATIENTS
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        fake.stop()
    # The worker saw its child die and handed the task back rather than acking it.
    assert "WorkerLostError" in (tmp_path / "worker.log").read_text()

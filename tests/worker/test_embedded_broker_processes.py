"""The embedded broker (kombu's filesystem transport) works with beat and a worker in separate
processes, as `make run` starts them: beat schedules the health ping, the worker runs it, and the
heartbeat lands in the database."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat-schedule"),
        WORKER_HEARTBEAT_INTERVAL_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _heartbeats(database: Path) -> int:
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT COUNT(*) FROM common_workerheartbeat").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_beat_and_worker_in_separate_processes(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    celery = [sys.executable, "-m", "celery", "-A", "worker.celery_app"]
    logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("worker", "beat")}  # noqa: SIM115
    processes = {
        "worker": subprocess.Popen(
            [*celery, "worker", "--pool=solo", "--loglevel=info", "--queues=default"],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
        "beat": subprocess.Popen(
            [*celery, "beat", "--loglevel=info"],
            cwd=ROOT,
            env=env,
            stdout=logs["beat"],
            stderr=subprocess.STDOUT,
        ),
    }
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _heartbeats(tmp_path / "db.sqlite3") == 0:
            for name, process in processes.items():
                assert process.poll() is None, f"{name} exited early"
            time.sleep(0.5)
        assert _heartbeats(tmp_path / "db.sqlite3") == 1, "no heartbeat within 60 s"
        # The message travelled through the folder, not through memory.
        assert (tmp_path / "broker" / "queue").is_dir()
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
    beat_log = (tmp_path / "beat.log").read_text()
    worker_log = (tmp_path / "worker.log").read_text()
    assert "Sending due task health-ping (worker.health.ping)" in beat_log
    assert "Task worker.health.ping" in worker_log and "succeeded" in worker_log

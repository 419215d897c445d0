"""The pieces the run starts, each a subprocess with the same environment (production
settings), and a supervisor that restarts what dies, as a container restart policy would.

- a private redis-server on a free port (no persistence): the machine's Redis may be shared,
  so the run never stops or flushes it; this one it may stop and restart empty;
- gunicorn (the project's command, N workers) on bench.chaos.wsgi:application;
- a Celery worker (prefork) on every queue, and exactly one beat.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def kill(pid: int, sig: int = signal.SIGKILL) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def pid_of_client_port(port: int, candidates: list[int]) -> int | None:
    """The process among `candidates` holding the TCP socket whose local port is `port`
    (the client side of a connection to the fake FCM): /proc/net/tcp gives the inode, the
    candidates' /proc/<pid>/fd the owner."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local = parts[1]
            if int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    for pid in candidates:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        except OSError:
            continue
    return None


@dataclass
class Piece:
    """One supervised process: its command, its log, and whether it should be running."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    restart_delay: float = 1.0
    wanted: bool = True
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)
    deaths: list[float] = field(default_factory=list)
    _down_since: float | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own process group: stopped by group at the end
        )
        handle.close()
        self.starts.append(time.time())
        self._down_since = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        self.wanted = False
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Orphans of a killed main process (prefork children) are in the same group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Supervisor:
    """Restarts a wanted piece that died, after its restart delay; records the deaths."""

    def __init__(self, pieces: list[Piece]) -> None:
        self.pieces = pieces
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)
        self.events: list[tuple[float, str]] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            now = time.time()
            for piece in self.pieces:
                if not piece.wanted or piece.process is None or piece.running():
                    continue
                if piece._down_since is None:
                    piece._down_since = now
                    piece.deaths.append(now)
                    self.events.append((now, f"{piece.name} died (rc {piece.process.returncode})"))
                    # Orphaned children of a killed main process: gone with it, as when a
                    # container stops (its process group).
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(piece.process.pid, signal.SIGKILL)
                elif now - piece._down_since >= piece.restart_delay:
                    piece.start()
                    self.events.append((time.time(), f"{piece.name} restarted"))


class Redis:
    """A private redis-server: no snapshot, no append-only file, so a restart is empty."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    SENTINEL = "chaos:sentinel"

    def plant_sentinel(self) -> None:
        """A key of the run's own: gone after a restart means the restart was empty (the
        worker and beat write their own keys again within milliseconds)."""
        import redis

        redis.Redis(port=self.port, socket_timeout=1).set(self.SENTINEL, "1")

    def sentinel_survived(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.port, socket_timeout=1).exists(self.SENTINEL))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def web_command(port: int, workers: int) -> list[str]:
    # Makefile WEB_CMD, on the chaos entry point (bench/chaos/wsgi.py) and a free port.
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.chaos.wsgi:application",
        "--workers",
        str(workers),
        "--timeout",
        "120",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]


def worker_command(concurrency: int) -> list[str]:
    # Makefile WORKER_CMD, prefork.
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.celery_app",
        "worker",
        "--loglevel=warning",
        "--queues=default,reminders,push,reports",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-mingle",
        "--without-gossip",
    ]


def beat_command(schedule_file: Path) -> list[str]:
    # Makefile BEAT_CMD.
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.celery_app",
        "beat",
        "--loglevel=warning",
        f"--schedule={schedule_file}",
    ]

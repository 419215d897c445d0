"""A gunicorn server for the HTTP benchmarks: the project's own command (Makefile WEB_CMD),
2 workers, on a free port, against the benchmark database."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(workers: int = 2, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.local",
        "DJANGO_DEBUG": "false",
        "BENCH_ENDPOINTS": "true",
        "LOG_LEVEL": "WARNING",
        # Persistent connections, as a production deployment would configure.
        "DATABASE_CONN_MAX_AGE": "600",
        **env,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "backend.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            # A year of doses for 10,000 patients streams for longer than the 30 s default.
            "--timeout",
            "600",
        ],
        cwd=ROOT,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/api/v1/bench/constant/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield url, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def worker_pids(master: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process has had since it started."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else 0.0

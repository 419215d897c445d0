"""/healthz: 200 when database and broker answer, 503 when either is down, saying which; and
within 100 ms whatever is down (issue 19: it took 2 s a call while Redis was down)."""

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from backend.common import health

pytestmark = pytest.mark.django_db

FAST = 0.1  # seconds: what a load balancer's probe must be answered within


@pytest.fixture(autouse=True)
def _fresh_probes(client) -> Iterator[None]:
    # One request first, so a timing below is the probe's and not the test process's first
    # request (URL and template loading); then no reading is left over.
    client.get("/healthz")
    health.probes_reset()
    yield
    health.probes_reset()


def timed_get(client):
    started = time.perf_counter()
    response = client.get("/healthz")
    return response, time.perf_counter() - started


def assert_fast(timings: list[float]) -> None:
    """On a loaded 2-core CI machine the scheduler alone can delay a call: what is checked is
    the design's bound (nine calls in ten, all but one of a handful, under 100 ms: the wait
    itself is at most 80 ms by construction), with no call near the old 2 s."""
    ordered = sorted(timings)
    outliers = max(1, len(ordered) // 10)
    assert ordered[len(ordered) - 1 - outliers] < FAST, ordered[-5:]
    assert ordered[-1] < 3 * FAST, ordered[-5:]


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A 'Redis' that accepts connections and never answers (a hung server, a dropped
    network): the worst case, since a refused port fails at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["checked_at"]["database"] and body["checked_at"]["broker"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_broker_down_is_503_and_fast(client, settings):
    # Port 9 (discard) has nothing listening on this machine: the connection is refused.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    responses = [timed_get(client) for _ in range(5)]
    assert_fast([took for _, took in responses])
    for response, _ in responses:
        assert response.status_code == 503
        assert response.json()["broker"] == "unavailable"
        assert response.json()["database"] == "ok"


def test_a_hanging_broker_is_answered_fast_and_reported_down(client, settings, silent_broker):
    settings.CELERY_BROKER_URL = silent_broker
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.3
    timings, bodies = [], []
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        response, took = timed_get(client)
        timings.append(took)
        bodies.append((response.status_code, response.json()))
    assert_fast(timings)
    # Never "ok" for a broker that never answered; down from the start, saying which.
    assert all(status == 503 for status, _ in bodies)
    assert all(body["broker"] == "unavailable" for _, body in bodies)
    assert all(body["database"] == "ok" for _, body in bodies)


def test_one_check_at_a_time_while_a_dependency_hangs(client, settings, monkeypatch):
    calls = []
    release = threading.Event()

    def hanging_broker(timeout_seconds: float = 1.0) -> bool:
        calls.append(1)
        release.wait(5)
        return True

    monkeypatch.setattr(health, "broker_is_up", hanging_broker)
    try:
        assert_fast([timed_get(client)[1] for _ in range(20)])
        assert len(calls) == 1  # twenty probes, one check: nothing piles up
    finally:
        release.set()


def test_a_recovered_dependency_is_reported_up_again(client, settings, monkeypatch):
    state = {"up": False}
    monkeypatch.setattr(health, "broker_is_up", lambda timeout_seconds=1.0: state["up"])
    assert client.get("/healthz").json()["broker"] == "unavailable"
    state["up"] = True
    assert client.get("/healthz").json()["broker"] == "ok"


def test_a_hanging_database_is_answered_fast_and_reported_down(client, settings, monkeypatch):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.2
    release = threading.Event()

    def hanging_database() -> bool:
        release.wait(5)
        return False

    monkeypatch.setattr(health, "database_is_up", hanging_database)
    try:
        responses = [timed_get(client) for _ in range(5)]
        assert_fast([took for _, took in responses])
        response = responses[-1][0]
        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"
        assert response.json()["broker"] == "ok"
        assert response.json()["worker_last_seen"] is None
    finally:
        release.set()


def test_database_down_is_503(client, monkeypatch):
    monkeypatch.setattr(health, "database_is_up", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_reports_the_last_worker_heartbeat(client):
    """Committed rows: the check reads them on its own thread's connection."""
    assert client.get("/healthz").json()["worker_last_seen"] is None
    beat = health.worker_heartbeat_record(worker_name="w1")
    assert client.get("/healthz").json()["worker_last_seen"] == beat.last_seen_at.isoformat()


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_cut_connection_is_not_reported_as_the_database_down(client):
    """The probe keeps its connection; when the server cuts it (pg_terminate_backend, as the
    fault run does) while the database is fine, the check reconnects instead of saying 503.

    No reading is forgotten here: in a running process a cut always follows a good reading.
    Every answer must say "ok" (the last reading while the reconnect runs), and the first
    reading checked after the cut must be "ok" too, which only a reconnect can give."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    assert client.get("/healthz").json()["database"] == "ok"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        cursor.execute("SELECT clock_timestamp()")
        cut_at = cursor.fetchone()[0]
    checked_after_cut = None
    deadline = time.monotonic() + 10
    while checked_after_cut is None and time.monotonic() < deadline:
        body = client.get("/healthz").json()
        assert body["database"] == "ok", body
        if datetime.fromisoformat(body["checked_at"]["database"]) > cut_at:
            checked_after_cut = body
        else:
            time.sleep(0.02)
    assert checked_after_cut is not None, "no database reading checked after the cut in 10 s"

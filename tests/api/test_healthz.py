"""/healthz: 200 when database and broker answer, 503 when either is down."""

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_up(client):  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_broker_down_is_503(client, settings):  # type: ignore[no-untyped-def]
    # Port 9 (discard) has nothing listening on this machine: the connection is refused.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_database_down_is_503(client, monkeypatch):  # type: ignore[no-untyped-def]
    from django.db import connection

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["status"] == "unavailable"


def test_reports_the_last_worker_heartbeat(client):  # type: ignore[no-untyped-def]
    from backend.common.health import worker_heartbeat_record

    assert client.get("/healthz").json()["worker_last_seen"] is None
    beat = worker_heartbeat_record(worker_name="w1")
    assert client.get("/healthz").json()["worker_last_seen"] == beat.last_seen_at.isoformat()


def test_only_get(client):  # type: ignore[no-untyped-def]
    assert client.post("/healthz").status_code == 405

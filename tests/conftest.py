"""Suite-wide fixtures: network blocked beyond loopback, API clients, role fixtures."""

import ipaddress
import os
import socket
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories.accounts import (
    CareTeamFactory,
    PatientFactory,
    StaffFactory,
    activated_patient,
)


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name that would need DNS: refused


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests reach only this machine (PostgreSQL, Redis, servers they start themselves)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(sock: socket.socket, address: Any):
        if not _is_local(address):
            raise ConnectionRefusedError(f"network blocked in tests: {address!r}")
        return real_connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any):
        if not _is_local(address):
            raise ConnectionRefusedError(f"network blocked in tests: {address!r}")
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture(scope="session", autouse=True)
def _health_probe_threads_stopped(django_db_setup):
    """/healthz's database thread keeps a connection to the test database: closed before
    pytest-django drops that database (this fixture's teardown runs first)."""
    yield
    from backend.common import health

    health.probes_shutdown()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs = {
        "postgres": ("DATABASE_URL", "postgres", "set DATABASE_URL=postgres://... to run it"),
        "redis": ("REDIS_URL", "redis", "set REDIS_URL=redis://... to run it"),
    }
    for marker, (variable, scheme, how) in needs.items():
        if os.environ.get(variable, "").startswith(scheme):
            continue
        skip = pytest.mark.skip(reason=f"needs {marker.capitalize()}: {how}")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def care_team():
    return CareTeamFactory(name="North Sarcoma Unit")


@pytest.fixture
def other_care_team():
    return CareTeamFactory(name="South Sarcoma Unit")


@pytest.fixture
def nurse(care_team):
    return StaffFactory(role="nurse", care_teams=[care_team])


@pytest.fixture
def coordinator(care_team):
    return StaffFactory(role="coordinator", care_teams=[care_team])


@pytest.fixture
def admin_user():
    return StaffFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def patient(care_team):
    return activated_patient(care_team=care_team)


@pytest.fixture
def foreign_patient(other_care_team):
    return activated_patient(care_team=other_care_team)


@pytest.fixture
def unactivated_patient(care_team):
    return PatientFactory(care_team=care_team)

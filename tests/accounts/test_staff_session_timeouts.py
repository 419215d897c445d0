"""Issue 18: staff sessions and staff bearer tokens end after STAFF_SESSION_IDLE_MINUTES (30)
without a request the person made, and STAFF_SESSION_MAX_HOURS (12) after sign-in whatever
happens. The alert queue's background poll does not keep a session alive. Patients keep their
own, longer lifetimes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from backend.accounts.services import auth_token_issue
from backend.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLL = {"HTTP_X_BACKGROUND_REFRESH": "1"}


def at(minutes: float):
    return time_machine.travel(START + timedelta(minutes=minutes), tick=False)


def session_alive(client: Client, **headers: Any) -> bool:
    status = client.get("/api/v1/patients/", **headers).status_code
    assert status in (200, 401, 403), status
    return status == 200


def used_every_20_minutes_for_almost_12_hours(client: Client) -> None:
    for minute in range(20, 12 * 60, 20):
        with at(minute):
            assert session_alive(client), minute


def signed_in(user) -> Client:
    client = Client()
    with at(0):
        client.force_login(user)
    return client


def test_a_staff_session_survives_29_idle_minutes(nurse):
    client = signed_in(nurse)
    with at(29):
        assert session_alive(client)
    with at(29 + 29):  # each request the nurse makes starts the idle clock again
        assert session_alive(client)


def test_a_staff_session_ends_after_30_idle_minutes(nurse):
    client = signed_in(nurse)
    with at(5):
        assert session_alive(client)
    with at(5 + 30):
        assert not session_alive(client)
    with at(36):  # ended, not just refused once
        assert not session_alive(client)
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.actor == nurse
    assert event.detail == {"reason": "idle"}


def test_the_alert_queues_poll_does_not_keep_a_session_alive(nurse):
    client = signed_in(nurse)
    for minute in range(1, 30):
        with at(minute):
            assert session_alive(client, **POLL)
    with at(30):
        assert not session_alive(client, **POLL)


def test_the_dashboard_marks_its_polls_as_background(nurse):
    client = signed_in(nurse)
    with at(1):
        page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "X-Background-Refresh" in page.content.decode()


def test_a_staff_session_ends_12_hours_after_sign_in_however_busy(coordinator):
    client = signed_in(coordinator)
    used_every_20_minutes_for_almost_12_hours(client)
    with at(12 * 60):
        assert not session_alive(client)
    assert AuditEvent.objects.get(action="auth.session_expired").detail == {"reason": "absolute"}


def test_the_limits_are_settings(nurse, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    client = signed_in(nurse)
    with at(4):
        assert session_alive(client)
    with at(9.5):
        assert not session_alive(client)


def test_a_staff_token_follows_the_idle_limit(nurse):
    with at(0):
        _, token = auth_token_issue(user=nurse)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with at(25):
        assert session_alive(client)
    with at(25 + 25):
        assert session_alive(client)
    with at(50 + 31):
        assert not session_alive(client)


def test_a_staff_token_ends_12_hours_after_it_was_issued(nurse):
    with at(0):
        _, token = auth_token_issue(user=nurse)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    used_every_20_minutes_for_almost_12_hours(client)
    with at(12 * 60):
        assert not session_alive(client)


def test_patients_keep_their_longer_lifetimes(patient):
    with at(0):
        _, token = auth_token_issue(user=patient.user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with at(3 * 24 * 60):
        assert client.get("/api/v1/me/today/").status_code == 200
    browser = Client()
    with at(0):
        browser.force_login(patient.user)
    with at(5 * 60):
        assert browser.get("/api/v1/me/today/").status_code == 200

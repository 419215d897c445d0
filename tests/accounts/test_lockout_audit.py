"""Issue 18: every part of the sign-in limits is audited: throttled sign-ins (auth.throttled,
one row per address a minute, written outside the request's rolled-back transaction), and an
administrator's unlock, by command (auth.unlocked) or in /admin/ (admin.delete)."""

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from backend.accounts.api import AuthThrottle
from backend.audit.models import AuditEvent
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def api_sign_in(client, username, password="wrong-guess", address="203.0.113.5"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_throttled_api_sign_in_is_audited_once_a_minute_per_address(
    api_client, nurse, monkeypatch
):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "2/min"})
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [api_sign_in(api_client, f"user-{n}").status_code for n in range(6)]
        assert statuses[:2] == [400, 400] and statuses[2:] == [429] * 4
        other = api_sign_in(api_client, "someone", address="203.0.113.77")
        assert other.status_code == 400
    rows = list(AuditEvent.objects.filter(action="auth.throttled"))
    assert len(rows) == 1  # four refusals from one address in a minute: one row
    assert rows[0].ip_address == "203.0.113.5"
    assert rows[0].detail == {"path": LOGIN}


def test_a_throttled_dashboard_sign_in_is_audited(nurse, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "1/min"})
    browser = Client(REMOTE_ADDR="203.0.113.9")
    form = {"username": nurse.username, "password": "wrong-guess"}
    browser.post("/dashboard/sign-in/", form)
    refused = browser.post("/dashboard/sign-in/", form)
    assert refused.status_code == 429
    row = AuditEvent.objects.get(action="auth.throttled")
    assert row.ip_address == "203.0.113.9"
    assert row.detail == {"path": "/dashboard/sign-in/"}


def lock(client, username: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_sign_in(client, username)
    assert api_sign_in(client, username, TEST_PASSWORD).status_code == 429


def test_signin_unlock_clears_an_account_and_is_audited(api_client, nurse):
    lock(api_client, nurse.username)
    call_command("signin_unlock", "--username", nurse.username)
    assert api_sign_in(api_client, nurse.username, TEST_PASSWORD).status_code == 200
    row = AuditEvent.objects.get(action="auth.unlocked")
    assert row.detail["username"] == nurse.username
    assert row.detail["cleared"] >= 1


def test_signin_unlock_clears_an_address(api_client, nurse, patient):
    for number in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        api_sign_in(api_client, f"nobody-{number}", address="198.51.100.50")
    locked = api_sign_in(api_client, patient.user.username, TEST_PASSWORD, "198.51.100.50")
    assert locked.status_code == 429
    call_command("signin_unlock", "--address", "198.51.100.50")
    allowed = api_sign_in(api_client, patient.user.username, TEST_PASSWORD, "198.51.100.50")
    assert allowed.status_code == 200
    assert AuditEvent.objects.get(action="auth.unlocked").detail["address"] == "198.51.100.50"


def test_signin_unlock_needs_something_to_unlock() -> None:
    with pytest.raises(CommandError):
        call_command("signin_unlock")


def test_an_unlock_in_the_admin_is_audited(api_client, nurse, admin_user):
    lock(api_client, nurse.username)
    attempt = AccessAttempt.objects.get(username=nurse.username)
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    row = AuditEvent.objects.get(action="admin.delete")
    assert row.actor == admin_user
    assert api_sign_in(api_client, nurse.username, TEST_PASSWORD).status_code == 200

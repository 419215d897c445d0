"""Issue 18 on the dashboard's sign-in (where /admin/login/ sends staff): the per-account
lockout across addresses, the per-address lockout across usernames, and the API's per-address
rate limit on every sign-in POST."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from backend.accounts.api import AuthThrottle
from backend.audit.models import AuditEvent
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/dashboard/sign-in/"
API_LOGIN = "/api/v1/auth/login/"
ADDRESSES = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]


def sign_in(username, password=TEST_PASSWORD, address="192.0.2.1"):
    return Client(REMOTE_ADDR=address).post(SIGN_IN, {"username": username, "password": password})


def without_tokens(response):
    """The page without its per-response CSP nonce and CSRF token."""
    body = re.sub(r'(nonce|value|content)="[^"]*"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", body)


def test_admin_login_form_is_rate_limited_too(nurse, monkeypatch):
    """With the second factor off (the suite), /admin/login/ shows Django's own form."""
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "2/min"})
    admin = Client(REMOTE_ADDR=ADDRESSES[0])
    for n in range(2):
        admin.post("/admin/login/", {"username": f"guess-{n}", "password": "x"})
    response = admin.post("/admin/login/", {"username": nurse.username, "password": "x"})
    assert response.status_code == 429
    assert "Too many sign-in attempts from this address" in response.content.decode()


def test_admin_login_leads_to_the_dashboard_sign_in(client, settings):
    settings.STAFF_MFA_REQUIRED = True
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_failures_from_many_addresses_lock_the_account_everywhere(nurse):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [
        sign_in(nurse.username, "wrong-guess", ADDRESSES[n % 3]).status_code for n in range(limit)
    ]
    assert statuses == [400] * (limit - 1) + [429]
    response = sign_in(nurse.username, address=ADDRESSES[3])
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="auth.locked_out", detail__username=nurse.username
    ).exists()
    # The API refuses the same account too: one lockout for every sign-in surface.
    api = Client(REMOTE_ADDR=ADDRESSES[3]).post(
        API_LOGIN,
        {"username": nurse.username, "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 429 and api.json()["code"] == "locked_out"
    # Unlocked after the cool-off, from any address.
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    with time_machine.travel(later):
        assert sign_in(nurse.username, address=ADDRESSES[0]).status_code == 302


def test_the_locked_page_is_the_same_for_an_unknown_username(nurse):
    for username in (nurse.username, "ghost-user"):
        for n in range(settings.AXES_FAILURE_LIMIT):
            sign_in(username, "wrong-guess", ADDRESSES[n % 3])
    real = sign_in(nurse.username, "wrong-guess", ADDRESSES[3])
    ghost = sign_in("ghost-user", "wrong-guess", ADDRESSES[3])
    assert real.status_code == ghost.status_code == 429
    assert without_tokens(real) == without_tokens(ghost)


def test_an_administrator_unlocks_the_account(nurse):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(nurse.username, "wrong-guess", ADDRESSES[n % 3])
    assert sign_in(nurse.username, address=ADDRESSES[3]).status_code == 429
    call_command("axes_reset")
    assert sign_in(nurse.username, address=ADDRESSES[3]).status_code == 302


def test_spray_across_usernames_locks_the_address(nurse):
    spray = ADDRESSES[0]
    limit = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    statuses = [sign_in(f"guess-{n}", "Winter2026!", spray).status_code for n in range(limit)]
    assert statuses == [400] * (limit - 1) + [429]
    assert sign_in(nurse.username, address=spray).status_code == 429
    assert sign_in(nurse.username, address=ADDRESSES[1]).status_code == 302


def test_sign_in_posts_are_rate_limited_per_address(nurse, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "3/min"})
    spray = ADDRESSES[0]
    statuses = [sign_in(f"guess-{n}", "x", spray).status_code for n in range(3)]
    assert statuses == [400, 400, 400]
    throttled = sign_in(nurse.username, address=spray)
    assert throttled.status_code == 429
    assert throttled["Content-Type"].startswith("text/plain")
    assert "Too many sign-in attempts from this address" in throttled.content.decode()
    assert int(throttled["Retry-After"]) >= 1
    # The API's counter is the same one: that address is throttled there as well.
    api = Client(REMOTE_ADDR=spray).post(
        API_LOGIN, {"username": "a", "password": "b"}, content_type="application/json"
    )
    assert api.status_code == 429 and api.json()["code"] == "throttled"
    # Another address is not.
    assert sign_in(nurse.username, address=ADDRESSES[1]).status_code == 302
    # And the limit lifts after a minute.
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sign_in(nurse.username, address=spray).status_code == 302


def test_the_rate_limit_counts_api_posts_too(nurse, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "2/min"})
    api = Client(REMOTE_ADDR=ADDRESSES[0])
    for _ in range(2):
        api.post(API_LOGIN, {"username": "a", "password": "b"}, content_type="application/json")
    assert sign_in(nurse.username, address=ADDRESSES[0]).status_code == 429

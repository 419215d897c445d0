"""Issue 18: the sign-in lockout counts an account's failures from every address and an
address's failures across every username; unlock by time and by an administrator; audited."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from backend.audit.models import AuditEvent
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ADDRESSES = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]


def login(client, username, password=TEST_PASSWORD, address="192.0.2.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def distributed_guesses(client, username):
    """The account's failure limit, spread over three addresses."""
    return [
        login(client, username, "wrong-guess", ADDRESSES[n % 3]).status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]


def test_limits_are_separate_settings():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS == 20
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_failures_from_many_addresses_lock_the_account_everywhere(api_client, nurse):
    statuses = distributed_guesses(api_client, nurse.username)
    assert statuses == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    # Locked from every address, including a fresh one, even with the right password.
    for address in ADDRESSES:
        locked = login(api_client, nurse.username, address=address)
        assert locked.status_code == 429
        assert locked.json()["code"] == "locked_out"
        assert "token" not in locked.json()
    assert AuditEvent.objects.filter(
        action="auth.locked_out", detail__username=nurse.username
    ).exists()


def test_a_locked_account_does_not_lock_others_on_the_same_address(api_client, nurse, patient):
    distributed_guesses(api_client, nurse.username)
    assert login(api_client, patient.user.username, address=ADDRESSES[0]).status_code == 200


def test_distributed_lockout_does_not_reveal_whether_the_username_exists(api_client, nurse):
    distributed_guesses(api_client, nurse.username)
    distributed_guesses(api_client, "ghost-user")
    real = login(api_client, nurse.username, "wrong-guess", ADDRESSES[3])
    ghost = login(api_client, "ghost-user", "wrong-guess", ADDRESSES[3])
    assert real.status_code == ghost.status_code == 429
    assert real.json() == ghost.json()


def test_spray_across_usernames_locks_the_address(api_client, nurse):
    spray = ADDRESSES[0]
    limit = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    statuses = [
        login(api_client, f"guess-{n}", "Winter2026!", spray).status_code for n in range(limit)
    ]
    assert statuses == [400] * (limit - 1) + [429]
    # Every further attempt from that address is refused, a real account's right password too.
    refused = login(api_client, nurse.username, address=spray)
    assert refused.status_code == 429 and refused.json()["code"] == "locked_out"
    # The account itself is not locked: it still signs in from elsewhere.
    assert login(api_client, nurse.username, address=ADDRESSES[1]).status_code == 200


def test_a_valid_sign_in_does_not_clear_the_address_count(api_client, nurse):
    spray = ADDRESSES[0]
    limit = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    for n in range(limit - 1):
        assert login(api_client, f"guess-{n}", "x", spray).status_code == 400
    assert login(api_client, nurse.username, address=spray).status_code == 200
    assert login(api_client, "guess-last", "x", spray).status_code == 429


def test_lockout_ends_after_the_cool_off_for_every_address(api_client, nurse):
    distributed_guesses(api_client, nurse.username)
    assert login(api_client, nurse.username, address=ADDRESSES[3]).status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert login(api_client, nurse.username, address=ADDRESSES[3]).status_code == 200


def test_an_administrator_unlocks_an_account(api_client, nurse):
    distributed_guesses(api_client, nurse.username)
    assert login(api_client, nurse.username, address=ADDRESSES[3]).status_code == 429
    call_command("axes_reset_username", nurse.username)
    assert login(api_client, nurse.username, address=ADDRESSES[3]).status_code == 200


def test_an_administrator_unlocks_an_address(api_client, nurse):
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        login(api_client, f"guess-{n}", "x", ADDRESSES[0])
    assert login(api_client, nurse.username, address=ADDRESSES[0]).status_code == 429
    call_command("axes_reset_ip", ADDRESSES[0])
    assert login(api_client, nurse.username, address=ADDRESSES[0]).status_code == 200

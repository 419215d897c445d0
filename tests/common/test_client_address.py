"""One rule for the client's address: the lockout, the throttle and the audit log agree."""

import pytest
from django.test import RequestFactory

from backend.common.client_address import client_address
from tests.factories.accounts import TEST_PASSWORD


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.1"),  # no trusted proxy: the header is ignored
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged first hop is ignored
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.1"),  # fewer hops than proxies: the connection
        (1, "", "10.0.0.1"),
    ],
)
def test_client_address(settings, proxies, forwarded, expected) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.django_db
def test_behind_a_proxy_one_client_locking_out_does_not_lock_others(settings, api_client, patient):  # type: ignore[no-untyped-def]
    """The per-address lockout counts the client's address, not the proxy's: a client that
    sprays usernames is locked out, another client behind the same proxy is not. (The
    per-account count is across every address by design: issue 18.)"""
    settings.TRUSTED_PROXY_COUNT = 1
    url = "/api/v1/auth/login/"
    attacker = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    patient_phone = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for number in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        api_client.post(url, {"username": f"nobody-{number}", "password": "guess"}, **attacker)
    locked = api_client.post(
        url, {"username": patient.user.username, "password": TEST_PASSWORD}, **attacker
    )
    assert locked.status_code == 429
    allowed = api_client.post(
        url, {"username": patient.user.username, "password": TEST_PASSWORD}, **patient_phone
    )
    assert allowed.status_code == 200

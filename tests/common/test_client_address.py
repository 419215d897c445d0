"""One rule for the client's address: the lockout, the throttle and the audit log agree."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory

from backend.common.client_address import client_address, proxy_setting_problems
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
def test_client_address(settings, proxies, forwarded, expected) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.django_db
def test_behind_a_proxy_one_client_locking_out_does_not_lock_others(settings, api_client, patient):
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


def test_a_direct_connection_cannot_choose_its_address(settings) -> None:
    """Issue 18: with a proxy count set, someone reaching gunicorn directly from outside the
    proxies' networks is known by the address they connect from, whatever they send."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/8"]
    direct = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert client_address(direct) == "203.0.113.9"
    through_the_proxy = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert client_address(through_the_proxy) == "198.51.100.7"


@pytest.mark.parametrize(
    ("count", "addresses", "problem"),
    [
        (0, [], None),
        (1, ["10.0.0.0/8"], None),
        (2, ["127.0.0.1", "fc00::/7"], None),
        (-1, [], "TRUSTED_PROXY_COUNT must be 0 or more"),
        (1, [], "TRUSTED_PROXY_ADDRESSES is empty"),
        (1, ["0.0.0.0/0"], "every address"),
        (1, ["::/0"], "every address"),
        (1, ["not-a-network"], "is not an address or network"),
        (0, ["10.0.0.0/33"], "is not an address or network"),
    ],
)
def test_proxy_setting_problems(count, addresses, problem) -> None:
    problems = proxy_setting_problems(count, addresses)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]


def test_manage_py_checks_refuse_an_unsafe_proxy_setting(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["0.0.0.0/0"]
    with pytest.raises(SystemCheckError, match=r"common\.E001"):
        call_command("check")


@pytest.mark.parametrize(
    ("environment", "starts"),
    [
        ({"TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXY_ADDRESSES": "0.0.0.0/0"}, False),
        ({"TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXY_ADDRESSES": ""}, False),
        ({"TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXY_ADDRESSES": "10.1.2.0/24"}, True),
    ],
)
def test_gunicorns_entry_point_refuses_to_start_with_an_unsafe_proxy_setting(
    environment, starts
) -> None:
    """gunicorn runs no system checks: backend/wsgi.py checks the proxy settings itself."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.local",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import backend.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode == 0) is starts, result.stderr[-2000:]
    if not starts:
        assert "TRUSTED_PROXY" in result.stderr

"""The FCM senders read what requests would take from the environment (proxies, CA bundle)
once, when the app is made, instead of on every request (issue 10: a large share of the CPU
per message). What they take must be what requests would have taken for FCM_ENDPOINT. The
send_each sender keeps it on its requests session; the async sender (PUSH_SENDER=fcm) hands
the proxy to aiohttp on each request and the bundle to its SSL context."""

import certifi
import pytest
from firebase_admin import messaging

from backend.notifications import fcm
from tests.notifications.conftest import STATIC_TOKEN

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@pytest.fixture
def clean_environment(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def session_of(sender: fcm.FcmSender):
    return messaging._get_messaging_service(sender._ensure_app())._client.session


def message(token: str = "token-1") -> fcm.PushMessage:
    return fcm.PushMessage(token=token, platform="android", title="a", body="b")


def test_per_request_environment_reading_is_off(send_each_settings, fake_fcm, clean_environment):
    sender = fcm.get_sender()
    session = session_of(sender)
    assert session.trust_env is False
    assert session.proxies == {}
    assert session.verify is True
    (result,) = sender.send_batch([message()])
    assert result.sent


def test_a_proxy_for_the_endpoint_is_taken_once(send_each_settings, fake_fcm, clean_environment):
    clean_environment.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.invalid:3129")
    session = session_of(fcm.get_sender())
    assert session.proxies["http"] == "http://proxy.invalid:3128"
    assert session.proxies["https"] == "http://proxy.invalid:3129"


def test_no_proxy_for_the_endpoint_means_no_proxy(send_each_settings, fake_fcm, clean_environment):
    """NO_PROXY is applied as requests applies it, for FCM_ENDPOINT's host: the sends still
    reach the fake server, not the (unreachable) proxy."""
    clean_environment.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    clean_environment.setenv("NO_PROXY", "127.0.0.1,localhost")
    sender = fcm.get_sender()
    assert session_of(sender).proxies == {}
    (result,) = sender.send_batch([message()])
    assert result.sent
    assert len(fake_fcm.delivered()) == 1


@pytest.mark.parametrize("name", ["fcm", "fcm-send-each"])
def test_the_environment_is_read_when_the_sender_is_made(
    fcm_settings, fake_fcm, clean_environment, name
):
    fcm_settings.PUSH_SENDER = name
    sender = fcm.get_sender()
    sender._ensure_app()
    clean_environment.setenv("HTTP_PROXY", "http://proxy.invalid:3128")  # too late: ignored
    (result,) = sender.send_batch([message()])
    assert result.sent


def test_a_ca_bundle_variable_is_kept(send_each_settings, fake_fcm, clean_environment, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    clean_environment.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert session_of(fcm.get_sender()).verify == str(bundle)


@pytest.mark.parametrize("name", ["fcm", "fcm-send-each"])
def test_a_netrc_entry_does_not_replace_the_bearer_token(
    fcm_settings, fake_fcm, clean_environment, tmp_path, name
):
    """With per-request environment reading, requests would send ~/.netrc's Basic auth for
    the endpoint's host instead of the token firebase-admin set."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    clean_environment.setenv("NETRC", str(netrc))
    fcm_settings.PUSH_SENDER = name
    (result,) = fcm.get_sender().send_batch([message()])
    assert result.sent
    (received,) = fake_fcm.requests()
    assert received.headers["authorization"] == f"Bearer {STATIC_TOKEN}"


# ---------------------------------------------------------------- the async sender


def test_the_async_sender_takes_the_proxy_once(fcm_settings, fake_fcm, clean_environment):
    clean_environment.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.invalid:3129")
    sender = fcm.get_sender()
    assert isinstance(sender, fcm.FcmSender)
    sender._ensure_app()
    assert sender._proxy == "http://proxy.invalid:3128"  # FCM_ENDPOINT is http:// here


def test_the_async_sender_without_proxy_variables_goes_direct(
    fcm_settings, fake_fcm, clean_environment
):
    sender = fcm.get_sender()
    (result,) = sender.send_batch([message()])
    assert result.sent
    assert sender._proxy is None
    assert sender._ca_bundle == certifi.where()


def test_the_async_sender_honours_no_proxy(fcm_settings, fake_fcm, clean_environment):
    clean_environment.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    clean_environment.setenv("NO_PROXY", "127.0.0.1,localhost")
    sender = fcm.get_sender()
    (result,) = sender.send_batch([message()])
    assert result.sent
    assert sender._proxy is None
    assert len(fake_fcm.delivered()) == 1


def test_the_async_sender_keeps_a_ca_bundle_variable(
    fcm_settings, fake_fcm, clean_environment, tmp_path
):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    clean_environment.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    sender = fcm.get_sender()
    sender._ensure_app()
    assert sender._ca_bundle == str(bundle)

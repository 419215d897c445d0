"""The senders: console (logs), fcm (configuration, the private firebase-admin names it relies
on, no outside traffic), a broken sender, and the retry delay."""

import logging
from datetime import UTC, datetime, timedelta

import firebase_admin
import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from firebase_admin import messaging

from backend.notifications import fcm
from backend.notifications.services import (
    outbox_deliver_batch,
    outbox_enqueue,
    outbox_retry_delay,
)
from tests.factories.devices import DeviceFactory
from tests.notifications.conftest import PROJECT

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


class Collect(logging.Handler):
    """The suite runs with -p no:logging (no caplog): collect records ourselves."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def push_log():
    handler = Collect()
    logger = logging.getLogger("backend.notifications.push")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


def enqueue(user, key: str = "k"):
    return outbox_enqueue(
        recipient=user,
        kind="dose_reminder",
        payload={"local_time": "08:00", "attempt": 0},
        dedupe_key=key,
    )


# ---------------------------------------------------------------- console


@pytest.mark.django_db
def test_console_sender_logs_what_it_would_send(settings, patient, push_log):
    settings.PUSH_SENDER = "console"
    device = DeviceFactory.create(user=patient.user, token="token-console-1234", platform="web")
    with time_machine.travel(NOW, tick=False):
        row = enqueue(patient.user)
        report = outbox_deliver_batch(NOW)
    assert (report.sent, report.pushes_sent) == (1, 1)
    row.refresh_from_db()
    assert (row.status, row.sent_at) == ("sent", NOW)
    (line,) = push_log.lines
    assert "PUSH_SENDER=console" in line
    assert f"web device {device.pk}:" in line
    assert "It's time for your 08:00 dose." in line
    assert "1234" not in line  # the device's id is logged, never its token


def test_console_is_the_default_sender():
    assert fcm.get_sender().name == "console"


# ---------------------------------------------------------------- fcm configuration


def test_the_private_firebase_admin_names_we_rely_on_still_exist(send_each_settings, fake_fcm):
    """FCM_ENDPOINT works through private names of firebase-admin 7.x (pinned). If this fails
    after an upgrade, read the new messaging.py before changing fcm.py."""
    assert firebase_admin.__version__ == "7.7.0"
    assert isinstance(messaging._MessagingService.FCM_URL, str)
    assert "{0}" in messaging._MessagingService.FCM_URL
    assert messaging._MessagingService.FCM_URL.startswith("https://fcm.googleapis.com/")
    assert callable(messaging._get_messaging_service)

    sender = fcm.get_sender()
    assert isinstance(sender, fcm.FcmSendEachSender)
    service = messaging._get_messaging_service(sender._ensure_app())
    assert service._fcm_url == f"{fake_fcm.url}/v1/projects/{PROJECT}/messages:send"
    assert sender.fcm_url == service._fcm_url
    assert service._client.session.get_adapter(service._fcm_url).max_retries.status == 0
    # Our URL was applied to our app only: the class attribute is Google's again.
    assert messaging._MessagingService.FCM_URL == (
        "https://fcm.googleapis.com/v1/projects/{0}/messages:send"
    )


def test_the_private_firebase_admin_names_the_async_sender_relies_on_still_exist(
    fcm_settings, fake_fcm
):
    """FcmSender builds firebase-admin's request itself and hands error answers to its
    parser: the message encoder, the headers and the httpx error path are private names."""
    from firebase_admin import _http_client, _utils

    assert callable(messaging._MessagingService.encode_message)
    assert callable(messaging._MessagingService._build_fcm_error_httpx)
    assert callable(_utils.handle_platform_error_from_httpx)
    assert "x-goog-api-client" in _http_client.METRICS_HEADERS
    sender = fcm.get_sender()
    assert isinstance(sender, fcm.FcmSender)
    assert sender.fcm_url == f"{fake_fcm.url}/v1/projects/{PROJECT}/messages:send"
    (result,) = sender.send_batch([fcm.PushMessage(token="t", platform="ios", title="a", body="b")])
    assert result.sent
    (received,) = fake_fcm.requests()
    assert received.headers["authorization"] == "Bearer static-test-token"
    assert received.headers["x-goog-api-format-version"] == "2"
    assert received.headers["x-firebase-client"] == "fire-admin-python/7.7.0"
    assert "gl-python/" in received.headers["x-goog-api-client"]
    assert received.headers["content-type"] == "application/json"


def test_each_sender_has_its_own_uniquely_named_app(fcm_settings, fake_fcm):
    first = fcm.get_sender()
    assert fcm.get_sender() is first  # kept while the settings stay
    first_app = first._ensure_app()
    fcm_settings.FCM_ENDPOINT = "http://127.0.0.1:9"
    second = fcm.get_sender()
    assert second is not first
    assert second._ensure_app().name != first_app.name
    assert first._app is None  # the old one was closed
    with pytest.raises(ValueError, match="does not exist"):
        firebase_admin.get_app(first_app.name)


def test_the_static_token_is_refused_for_googles_endpoint(settings):
    settings.PUSH_SENDER = "fcm"
    settings.FCM_ENDPOINT = "https://fcm.googleapis.com"
    settings.FCM_CREDENTIALS_FILE = ""
    settings.FCM_PROJECT_ID = "x"
    with pytest.raises(ImproperlyConfigured, match="FCM_CREDENTIALS_FILE"):
        fcm.get_sender()
    with pytest.raises(SystemCheckError, match=r"notifications\.E002"):
        call_command("check")


def test_an_unknown_sender_is_refused(settings):
    settings.PUSH_SENDER = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="PUSH_SENDER"):
        fcm.get_sender()
    with pytest.raises(SystemCheckError, match=r"notifications\.E001"):
        call_command("check")


def test_a_missing_credentials_file_fails_the_check(settings, tmp_path):
    settings.PUSH_SENDER = "fcm"
    settings.FCM_CREDENTIALS_FILE = str(tmp_path / "missing.json")
    with pytest.raises(SystemCheckError, match=r"notifications\.E003"):
        call_command("check")


# ---------------------------------------------------------------- no outside traffic


@pytest.mark.django_db
def test_no_outside_traffic_even_through_firebase_admin(fcm_settings, fake_fcm, patient):
    """The suite's conftest refuses every non-loopback connect; firebase-admin's path is no
    exception. (203.0.113.1 is a documentation address: no DNS, never routed.)"""
    fcm_settings.FCM_ENDPOINT = "http://203.0.113.1"
    DeviceFactory.create(user=patient.user, token="token-1")
    with time_machine.travel(NOW, tick=False):
        row = enqueue(patient.user)
        report = outbox_deliver_batch(NOW)
    assert report.retried == 1
    row.refresh_from_db()
    assert row.status == "pending"
    assert "UNAVAILABLE" in row.last_error
    assert fake_fcm.requests() == []


# ---------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("code", "outcome", "error_code"),
    [
        ("UNREGISTERED", "dead_token", "UNREGISTERED"),
        ("SENDER_ID_MISMATCH", "dead_token", "SENDER_ID_MISMATCH"),
        ("INVALID_ARGUMENT", "dead_token", "INVALID_ARGUMENT"),
        ("UNAVAILABLE", "transient", "UNAVAILABLE"),
        ("INTERNAL", "transient", "INTERNAL"),
        ("QUOTA_EXCEEDED", "transient", "QUOTA_EXCEEDED"),
    ],
)
def test_fcm_answers_map_to_outcomes(fcm_settings, fake_fcm, code, outcome, error_code):
    """The fake's error format makes firebase-admin raise the specific exceptions."""
    fake_fcm.answer_next(code)
    message = fcm.PushMessage(token="t", platform="android", title="a", body="b")
    (result,) = fcm.get_sender().send_batch([message])
    assert (result.outcome, result.error_code) == (outcome, error_code)
    if code == "QUOTA_EXCEEDED":
        assert result.min_backoff_seconds >= 60


def test_the_sdk_raises_the_specific_exceptions(send_each_settings, fake_fcm):
    sender = fcm.get_sender()
    app = sender._ensure_app()
    fake_fcm.answer_next("UNREGISTERED", "SENDER_ID_MISMATCH", "QUOTA_EXCEEDED")
    with pytest.warns(DeprecationWarning, match="fid"):  # why fcm.py sets .token afterwards
        message = messaging.Message(token="t")
    expected = [
        messaging.UnregisteredError,
        messaging.SenderIdMismatchError,
        messaging.QuotaExceededError,
    ]
    for error_type in expected:
        with pytest.raises(error_type):
            messaging.send(message, app=app)


@pytest.mark.django_db
def test_a_broken_sender_is_a_transient_failure_not_a_crash(settings, patient, monkeypatch):
    class Broken:
        name = "broken"

        def send_batch(self, messages):
            raise RuntimeError("boom")

        def close(self) -> None:
            pass

    monkeypatch.setattr(fcm, "get_sender", Broken)
    DeviceFactory.create(user=patient.user, token="token-1")
    with time_machine.travel(NOW, tick=False):
        row = enqueue(patient.user)
        report = outbox_deliver_batch(NOW)
    assert report.retried == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "SENDER_ERROR" in row.last_error


# ---------------------------------------------------------------- backoff


def test_retry_delay_is_exponential_with_jitter_and_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    for attempts in range(1, 12):
        ceiling = min(3600, 30 * 2 ** (attempts - 1))
        delays = {outbox_retry_delay(attempts=attempts) for _ in range(50)}
        assert all(
            timedelta(seconds=ceiling / 2) <= d <= timedelta(seconds=ceiling) for d in delays
        )
        assert len(delays) > 1  # jitter
    floor = [outbox_retry_delay(attempts=1, min_seconds=60) for _ in range(50)]
    assert all(timedelta(seconds=60) <= d <= timedelta(seconds=75) for d in floor)

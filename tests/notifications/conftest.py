"""Fixtures for push tests: a fake FCM server and settings that point firebase-admin at it."""

from collections.abc import Iterator

import pytest

from backend.notifications import fcm
from tests.notifications.fake_fcm import FakeFcmServer

PROJECT = "gist-test"
STATIC_TOKEN = "static-test-token"


@pytest.fixture(autouse=True)
def _fresh_sender() -> Iterator[None]:
    """Each test gets its own sender (and firebase app); none outlives the test."""
    fcm.close_sender()
    yield
    fcm.close_sender()


@pytest.fixture
def fake_fcm() -> Iterator[FakeFcmServer]:
    server = FakeFcmServer().start()
    yield server
    server.stop()


@pytest.fixture
def fcm_settings(settings, fake_fcm):
    """PUSH_SENDER=fcm (firebase-admin's requests, sent from an asyncio loop) to the fake
    server, with a static token. The in-send 500/503 retries are off (FCM_HTTP_RETRIES=0) so
    UNAVAILABLE reaches the outbox at once; a test turns them on when it is about them."""
    settings.PUSH_SENDER = "fcm"
    settings.FCM_ENDPOINT = fake_fcm.url
    settings.FCM_PROJECT_ID = PROJECT
    settings.FCM_CREDENTIALS_FILE = ""
    settings.FCM_STATIC_TOKEN = STATIC_TOKEN
    settings.FCM_HTTP_RETRIES = 0
    settings.FCM_HTTP_TIMEOUT_SECONDS = 5.0
    return settings


@pytest.fixture
def send_each_settings(fcm_settings):
    """As fcm_settings, through the previous sender: firebase-admin's own send_each."""
    fcm_settings.PUSH_SENDER = "fcm-send-each"
    return fcm_settings

"""Push senders. The ONLY module in the project that imports firebase_admin.

Interface: `sender.send_batch(messages) -> list[SendOutcome]`, one outcome per message, in
order, never raising for what FCM answers. `get_sender()` returns the sender the setting
PUSH_SENDER names:

- `console` (the default for `make run`): logs what it would send and reports it sent.
- `fcm`: firebase-admin's `messaging.send_each`, at most 500 messages per call (its limit).
  Credentials come from the service-account file FCM_CREDENTIALS_FILE; without one, a static
  bearer token (FCM_STATIC_TOKEN) is used, which only makes sense against a fake server, so
  that combination is refused while FCM_ENDPOINT is Google's own.

FCM_ENDPOINT (default https://fcm.googleapis.com) lets a staging system or a load test send
through the real firebase-admin path to another server. firebase-admin 7.x has no option for
it: the URL is the class attribute `messaging._MessagingService.FCM_URL`, read once, when an
app's messaging service is created. So each FcmSender makes its own uniquely named app and
creates that app's messaging service at once, while the attribute holds our URL (under a
lock, then restored). tests/notifications/test_senders.py checks that the private
names this relies on still exist; pin firebase-admin and rerun it when upgrading.

What FCM answers, and what the outbox does about it (SendOutcome.outcome):
- UNREGISTERED, SENDER_ID_MISMATCH, and INVALID_ARGUMENT (our payloads are fixed templates
  known to be valid, so the token is what is wrong): DEAD_TOKEN, deactivate, never retry.
- UNAVAILABLE, INTERNAL (and timeouts, connection errors, anything unexpected): TRANSIENT,
  retried with exponential backoff and jitter, honouring Retry-After.
- QUOTA_EXCEEDED: TRANSIENT with a backoff of at least 60 s (FCM's own advice).

firebase-admin also retries 500 and 503 itself, inside send_each, with 0.5 s exponential
backoff (up to 7 s). FCM_HTTP_RETRIES sets how many times (default 4, as the SDK does; 0
leaves every retry to the outbox, which the tests use to stay fast).

Why send_each (requests, one thread per message) and not send_each_async (httpx): measured
with bench/fanout.py's fake server, the async path sent 300-550 messages/s against 740-910
for send_each in the same runs (issue 10; httpx/httpcore/anyio cost far more CPU per request
than requests here). It would also need care: its httpx client retries 500/503 four times
whatever FCM_HTTP_RETRIES says (its own transport, not our adapter) without waiting for
Retry-After, and speaks HTTP/2 only over https (an http:// fake server gets HTTP/1.1). Do not
switch without measuring again.

requests reads the environment again on every request (all of os.environ for proxy
variables, REQUESTS_CA_BUNDLE, ~/.netrc): a large share of the CPU per message. The sender
reads it once, when its app is made, for FCM_ENDPOINT (see _settle_environment).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import firebase_admin
import google.oauth2.credentials
import requests
import requests.adapters
import requests.utils
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import credentials, exceptions, messaging
from urllib3.util.retry import Retry

logger = logging.getLogger("backend.notifications.push")

MAX_MESSAGES_PER_CALL = 500  # firebase-admin's send_each refuses more
GOOGLE_FCM_ENDPOINT = "https://fcm.googleapis.com"
QUOTA_EXCEEDED_MIN_BACKOFF_SECONDS = 60.0  # FCM: back off at least a minute on 429
MAX_RETRY_AFTER_SECONDS = 3600.0  # a Retry-After beyond this is capped, not obeyed


@dataclass(frozen=True)
class PushMessage:
    """One notification to one device. `tag` makes a repeat replace the shown notification
    rather than stack (Android tag, APNs collapse id, Web Push tag). The token is the device's
    push address: it is sent to FCM and nowhere else (never logged; `device_id` names the
    device in logs)."""

    token: str = field(repr=False)
    platform: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    tag: str = ""
    device_id: int | None = None


class Outcome(StrEnum):
    SENT = "sent"
    DEAD_TOKEN = "dead_token"  # noqa: S105 (not a secret) deactivate the device, never retry
    TRANSIENT = "transient"  # try again later


@dataclass(frozen=True)
class SendOutcome:
    outcome: Outcome
    message_id: str = ""
    error_code: str = ""  # FCM's code: UNREGISTERED, QUOTA_EXCEEDED, UNAVAILABLE, ...
    detail: str = ""
    min_backoff_seconds: float = 0.0  # the next attempt no sooner than this (quota, Retry-After)

    @property
    def sent(self) -> bool:
        return self.outcome == Outcome.SENT

    @property
    def dead_token(self) -> bool:
        return self.outcome == Outcome.DEAD_TOKEN

    @property
    def transient(self) -> bool:
        return self.outcome == Outcome.TRANSIENT


class PushSender(Protocol):
    name: str

    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendOutcome]: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- console


class ConsoleSender:
    """Development: logs each push it would send, and reports it sent."""

    name = "console"

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendOutcome]:
        outcomes = []
        for message in messages:
            message_id = f"console/{next(self._counter)}"
            logger.info(
                "push not sent (PUSH_SENDER=console) %s to %s device %s: %r / %r data=%s",
                message_id,
                message.platform,
                message.device_id,
                message.title,
                message.body,
                message.data,
            )
            outcomes.append(SendOutcome(Outcome.SENT, message_id=message_id))
        return outcomes

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- FCM through firebase-admin

# Guards the class attribute FCM_URL while an app's messaging service is created.
_FCM_URL_LOCK = threading.Lock()


def fcm_url_template(endpoint: str) -> str:
    """The value for _MessagingService.FCM_URL: the SDK formats {0} with the project id."""
    return endpoint.rstrip("/") + "/v1/projects/{0}/messages:send"


@dataclass(frozen=True)
class FcmConfig:
    endpoint: str = GOOGLE_FCM_ENDPOINT
    project_id: str = ""
    credentials_file: str = ""
    static_token: str = ""
    http_timeout_seconds: float = 10.0
    http_retries: int = 4

    def validate(self) -> None:
        if not self.endpoint.startswith(("http://", "https://")):
            raise ImproperlyConfigured("FCM_ENDPOINT must be an http(s) URL")
        if not self.credentials_file:
            if self.endpoint.rstrip("/") == GOOGLE_FCM_ENDPOINT:
                raise ImproperlyConfigured(
                    "PUSH_SENDER=fcm needs FCM_CREDENTIALS_FILE (a service-account JSON file); "
                    "the static token is only for a fake server named by FCM_ENDPOINT"
                )
            if not self.project_id:
                raise ImproperlyConfigured(
                    "FCM_PROJECT_ID must be set when there is no "
                    "FCM_CREDENTIALS_FILE to take it from"
                )
            if not self.static_token:
                raise ImproperlyConfigured("FCM_STATIC_TOKEN must not be empty")
        if self.http_retries < 0:
            raise ImproperlyConfigured("FCM_HTTP_RETRIES must be 0 or more")


class FcmSender:
    """Sends through firebase-admin's real code path to FCM (or to FCM_ENDPOINT)."""

    name = "fcm"

    def __init__(self, config: FcmConfig) -> None:
        config.validate()
        self.config = config
        self._app: firebase_admin.App | None = None
        self._lock = threading.Lock()

    @property
    def fcm_url(self) -> str:
        return fcm_url_template(self.config.endpoint).format(self._ensure_app().project_id)

    def _credential(self) -> credentials.Base | google.oauth2.credentials.Credentials:
        if self.config.credentials_file:
            return credentials.Certificate(self.config.credentials_file)
        return google.oauth2.credentials.Credentials(token=self.config.static_token)

    def _ensure_app(self) -> firebase_admin.App:
        with self._lock:
            if self._app is None:
                self._app = self._create_app()
            return self._app

    def _create_app(self) -> firebase_admin.App:
        options: dict[str, object] = {"httpTimeout": self.config.http_timeout_seconds}
        if self.config.project_id:
            options["projectId"] = self.config.project_id
        name = f"gist-push-{uuid.uuid4().hex}"
        app = firebase_admin.initialize_app(self._credential(), options, name=name)
        try:
            template = fcm_url_template(self.config.endpoint)
            with _FCM_URL_LOCK:
                default = messaging._MessagingService.FCM_URL
                messaging._MessagingService.FCM_URL = template
                try:
                    # Created now, so it reads our URL; later sends reuse this service.
                    service = messaging._get_messaging_service(app)
                finally:
                    messaging._MessagingService.FCM_URL = default
            expected = template.format(app.project_id)
            if getattr(service, "_fcm_url", None) != expected:
                raise ImproperlyConfigured(
                    "firebase-admin no longer takes its FCM URL from "
                    "_MessagingService.FCM_URL; FCM_ENDPOINT cannot be applied"
                )
            self._mount_adapter(service)
        except BaseException:
            firebase_admin.delete_app(app)
            raise
        logger.info("FCM sender ready: app %s sends to %s", name, expected)
        return app

    def _mount_adapter(self, service: object) -> None:
        """The SDK pools 100 connections and retries 500/503 (4 times) for fcm.googleapis.com.
        Mount our own adapter for FCM_ENDPOINT (whatever it is): a pool as large as send_each's
        thread count (one thread per message), and FCM_HTTP_RETRIES."""
        retries = Retry(
            total=None,
            connect=1,
            read=1,
            status=self.config.http_retries,
            status_forcelist=[500, 503],
            backoff_factor=0.5,
            raise_on_status=False,
            allowed_methods=None,
        )
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=10, pool_maxsize=MAX_MESSAGES_PER_CALL, max_retries=retries
        )
        session = service._client.session  # type: ignore[attr-defined]
        session.mount(self.config.endpoint.rstrip("/") + "/", adapter)
        _settle_environment(session, self.config.endpoint)

    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendOutcome]:
        outcomes: list[SendOutcome] = []
        for chunk in _chunks(messages, MAX_MESSAGES_PER_CALL):
            outcomes.extend(self._send_chunk(chunk))
        return outcomes

    def _send_chunk(self, chunk: Sequence[PushMessage]) -> list[SendOutcome]:
        app = self._ensure_app()
        try:
            batch = messaging.send_each([_fcm_message(m) for m in chunk], app=app)
        except exceptions.FirebaseError as error:  # the whole call failed, not one message
            tokens = [m.token for m in chunk]
            return [classify_error(error, tokens=tokens)] * len(chunk)
        return [
            SendOutcome(Outcome.SENT, message_id=response.message_id or "")
            if response.success
            else classify_error(response.exception, tokens=[message.token])
            for message, response in zip(chunk, batch.responses, strict=True)
        ]

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                firebase_admin.delete_app(self._app)
                self._app = None


def _settle_environment(session: requests.Session, endpoint: str) -> None:
    """What requests would take from the environment on every request, taken once, for the
    endpoint this session sends to: the proxy variables (HTTPS_PROXY, NO_PROXY, ...) and
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE. Then per-request reading is switched off
    (trust_env): in the fan-out benchmark (issue 10) the sender went from 858 messages/s
    (0.88 of that run's bare-requests baseline) to 1,067 and 1,052 (1.26 and 1.06). A
    ~/.netrc entry is no longer looked up, on purpose: its Basic auth would replace the
    bearer token. A change to these variables needs a new sender (a restart)."""
    url = endpoint.rstrip("/") + "/"
    for key, value in requests.utils.get_environ_proxies(url).items():
        session.proxies.setdefault(key, value)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False


def _chunks(items: Sequence[PushMessage], size: int) -> Iterator[Sequence[PushMessage]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fcm_message(message: PushMessage) -> messaging.Message:
    android = apns = webpush = None
    if message.platform == "android":
        android = messaging.AndroidConfig(
            priority="high", notification=messaging.AndroidNotification(tag=message.tag or None)
        )
    elif message.platform == "ios":
        headers = {"apns-priority": "10"}
        if message.tag:
            headers["apns-collapse-id"] = message.tag[:64]
        apns = messaging.APNSConfig(
            headers=headers, payload=messaging.APNSPayload(aps=messaging.Aps(sound="default"))
        )
    elif message.platform == "web":
        webpush = messaging.WebpushConfig(
            headers={"Urgency": "high"},
            notification=messaging.WebpushNotification(tag=message.tag or None),
        )
    fcm_message = messaging.Message(
        notification=messaging.Notification(title=message.title, body=message.body),
        data=dict(message.data),
        android=android,
        apns=apns,
        webpush=webpush,
    )
    # Our devices register FCM registration tokens, which FCM's `token` field takes. The SDK's
    # constructor warns that `token` is deprecated in favour of `fid` (installation ids, what
    # apps in FID mode register); setting the attribute sends the same JSON without the warning.
    fcm_message.token = message.token
    return fcm_message


def _retry_after(error: exceptions.FirebaseError) -> float:
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        seconds = float(value) if value else 0.0
    except ValueError:  # an HTTP date; rare for FCM, and the backoff covers it
        return 0.0
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


def redact_tokens(text: str, tokens: Sequence[str]) -> str:
    """`text` without the registration tokens in it: FCM's error messages may quote the token
    they refuse, and a token is never kept or logged."""
    for token in tokens:
        if token:
            text = text.replace(token, "[token]")
    return text


def classify_error(error: Exception | None, tokens: Sequence[str] = ()) -> SendOutcome:
    """What one failed message means for its device and for the outbox row. `tokens`: the
    registration tokens of the messages it concerns, taken out of the detail."""
    detail = redact_tokens(str(error), tokens)[:500] if error is not None else "no exception"
    if isinstance(error, messaging.UnregisteredError):
        return SendOutcome(Outcome.DEAD_TOKEN, error_code="UNREGISTERED", detail=detail)
    if isinstance(error, messaging.SenderIdMismatchError):
        return SendOutcome(Outcome.DEAD_TOKEN, error_code="SENDER_ID_MISMATCH", detail=detail)
    if isinstance(error, exceptions.InvalidArgumentError):
        return SendOutcome(Outcome.DEAD_TOKEN, error_code="INVALID_ARGUMENT", detail=detail)
    if isinstance(error, exceptions.ResourceExhaustedError):  # QuotaExceededError and bare 429s
        backoff = max(QUOTA_EXCEEDED_MIN_BACKOFF_SECONDS, _retry_after(error))
        return SendOutcome(
            Outcome.TRANSIENT,
            error_code="QUOTA_EXCEEDED",
            detail=detail,
            min_backoff_seconds=backoff,
        )
    if isinstance(error, exceptions.FirebaseError):
        code = "THIRD_PARTY_AUTH_ERROR" if isinstance(error, messaging.ThirdPartyAuthError) else ""
        return SendOutcome(
            Outcome.TRANSIENT,
            error_code=code or str(error.code),
            detail=detail,
            min_backoff_seconds=_retry_after(error),
        )
    return SendOutcome(Outcome.TRANSIENT, error_code="UNKNOWN", detail=detail)


# ---------------------------------------------------------------- choosing the sender

SENDERS = ("console", "fcm")
_current: tuple[tuple[object, ...], PushSender] | None = None
_current_lock = threading.Lock()


def _settings_key() -> tuple[object, ...]:
    return (
        settings.PUSH_SENDER,
        settings.FCM_ENDPOINT,
        settings.FCM_PROJECT_ID,
        settings.FCM_CREDENTIALS_FILE,
        settings.FCM_STATIC_TOKEN,
        settings.FCM_HTTP_TIMEOUT_SECONDS,
        settings.FCM_HTTP_RETRIES,
    )


def build_sender() -> PushSender:
    """A new sender from the settings (ImproperlyConfigured when they do not make sense)."""
    if settings.PUSH_SENDER == "console":
        return ConsoleSender()
    if settings.PUSH_SENDER == "fcm":
        return FcmSender(
            FcmConfig(
                endpoint=settings.FCM_ENDPOINT,
                project_id=settings.FCM_PROJECT_ID,
                credentials_file=settings.FCM_CREDENTIALS_FILE,
                static_token=settings.FCM_STATIC_TOKEN,
                http_timeout_seconds=float(settings.FCM_HTTP_TIMEOUT_SECONDS),
                http_retries=int(settings.FCM_HTTP_RETRIES),
            )
        )
    raise ImproperlyConfigured(f"PUSH_SENDER must be one of {', '.join(SENDERS)}")


def get_sender() -> PushSender:
    """The process's sender, made once and kept (its HTTP connections are reused). When the
    settings change (tests do), the old one is closed and a new one made."""
    global _current
    key = _settings_key()
    with _current_lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        if _current is not None:
            _current[1].close()
            _current = None
        sender = build_sender()
        _current = (key, sender)
        return sender


def close_sender() -> None:
    """Close the process's sender (its firebase app and connections); the next get_sender()
    makes a new one. For a worker shutting down, and for tests."""
    global _current
    with _current_lock:
        if _current is not None:
            _current[1].close()
            _current = None

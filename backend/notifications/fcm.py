"""Push senders. The ONLY module in the project that imports firebase_admin.

Interface: `sender.send_batch(messages) -> list[SendOutcome]`, one outcome per message, in
order, never raising for what FCM answers. `get_sender()` returns the sender the setting
PUSH_SENDER names:

- `console` (the default for `make run`): logs what it would send and reports it sent.
- `fcm` (FcmSender): the FCM HTTP v1 requests firebase-admin makes (its message encoding,
  headers and credential), sent concurrently from one asyncio event loop over a pool of
  aiohttp keep-alive connections, each answer mapped to the exception firebase-admin would
  raise by firebase-admin's own error parsing. Issue 20: 4,008 messages/s from one process to
  bench/fanout.py's fake, against 1,276 for send_each in the same run.
- `fcm-send-each` (FcmSendEachSender): firebase-admin's own `messaging.send_each`, at most 500
  messages a call (its limit), one thread per message. The sender before issue 20, kept as a
  fallback and as the benchmark's comparison.

Both take credentials from the service-account file FCM_CREDENTIALS_FILE; without one, a
static bearer token (FCM_STATIC_TOKEN) is used, which only makes sense against a fake server,
so that combination is refused while FCM_ENDPOINT is Google's own.

FCM_ENDPOINT (default https://fcm.googleapis.com) lets a staging system or a load test send
to another server. FcmSender builds the URL itself. firebase-admin 7.x has no option for it:
the URL is the class attribute `messaging._MessagingService.FCM_URL`, read once, when an
app's messaging service is created. So FcmSendEachSender makes its own uniquely named app and
creates that app's messaging service at once, while the attribute holds our URL (under a
lock, then restored). tests/notifications/test_senders.py checks that the private names both
senders rely on still exist; pin firebase-admin and rerun it when upgrading.

What FCM answers, and what the outbox does about it (SendOutcome.outcome), for both senders
(tests/notifications/test_async_sender.py compares them answer by answer):
- UNREGISTERED, SENDER_ID_MISMATCH, and INVALID_ARGUMENT (our payloads are fixed templates
  known to be valid, so the token is what is wrong): DEAD_TOKEN, deactivate, never retry.
- UNAVAILABLE, INTERNAL (and timeouts, connection errors, anything unexpected): TRANSIENT,
  retried with exponential backoff and jitter, honouring Retry-After.
- QUOTA_EXCEEDED: TRANSIENT with a backoff of at least 60 s (FCM's own advice).

500 and 503 are also retried inside the send, as firebase-admin's urllib3 adapter does, with
0.5 s exponential backoff (0, 1, 2, 4 s) or a 503's Retry-After. FCM_HTTP_RETRIES sets how
many times (default 4, as the SDK does; 0 leaves every retry to the outbox, which the tests
use to stay fast).

What was measured for issue 20 (bench/fanout.py, its fake speaking HTTP/1.1 and h2c), in
messages/s from one process: send_each 1,100-1,400; httpx AsyncClient over HTTP/1.1 about
440 and over HTTP/2 (100 streams on one connection) about 690, its per-request CPU being the
limit (firebase-admin's send_each_async, on httpx, measured 300-550 in issue 10); a
hand-written client on the h2 state machine about 3,600 (a protocol implementation to own:
not taken); aiohttp over HTTP/1.1 5,700-5,800 bare, 4,000-5,800 as this sender. The
HTTP/1.1 pool's cost against the real FCM is up to MAX_CONCURRENT_REQUESTS TLS connections per
worker process, each kept alive.

requests reads the environment again on every request (all of os.environ for proxy
variables, REQUESTS_CA_BUNDLE, ~/.netrc): a large share of the CPU per message. Both senders
read it once, when the app is made, for FCM_ENDPOINT (_settle_environment,
FcmSender._prepare).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import ssl
import threading
import uuid
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import aiohttp
import certifi
import firebase_admin
import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import httpx
import requests
import requests.adapters
import requests.utils
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import _http_client as firebase_http_client
from firebase_admin import _utils as firebase_utils
from firebase_admin import credentials, exceptions, messaging
from urllib3.util.retry import Retry

logger = logging.getLogger("backend.notifications.push")

MAX_MESSAGES_PER_CALL = 500  # firebase-admin's send_each refuses more
# FcmSender: requests in flight at once, each on a keep-alive connection of its own (HTTP/1.1).
# 16 to 64 measured alike against the local fake (issue 20); FCM's front end takes 100s.
MAX_CONCURRENT_REQUESTS = 100
SDK_RETRY_STATUSES = frozenset({500, 503})  # retried inside a send (FCM_HTTP_RETRIES times)
SDK_RETRY_MAX_SECONDS = 120.0  # urllib3's backoff_max: a longer wait is the outbox's to make
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


class _FirebaseAppSender:
    """What both FCM senders share: a uniquely named firebase-admin app holding the credential
    and the project id, made on first use and deleted by close()."""

    name = ""

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
            self._prepare(app)
        except BaseException:
            firebase_admin.delete_app(app)
            raise
        logger.info(
            "FCM sender %s ready: app %s sends to %s", self.name, name, self.fcm_url_of(app)
        )
        return app

    def fcm_url_of(self, app: firebase_admin.App) -> str:
        return fcm_url_template(self.config.endpoint).format(app.project_id)

    def _prepare(self, app: firebase_admin.App) -> None:
        """Whatever the sender sets up once per app."""

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                firebase_admin.delete_app(self._app)
                self._app = None


# FCM's answer to one message (status, headers, body), or the transport error that ended it.
Answer = tuple[int, Mapping[str, str], bytes] | BaseException


class FcmSender(_FirebaseAppSender):
    """PUSH_SENDER=fcm: the FCM HTTP v1 requests firebase-admin makes (its message encoding,
    headers and credential), sent concurrently from one asyncio event loop over a pool of
    aiohttp keep-alive connections. About three times send_each's rate per worker process
    (issue 20, docs/performance.md); the answers are mapped to firebase-admin's exceptions by
    firebase-admin's own code (`_failure_from_answer`), so classify_error sees what send_each
    would have raised.

    The loop runs in a thread of its own, made on first use and kept with its connections
    between batches; send_batch, called from any thread, waits for its batch there. A forked
    child (Celery prefork) does not inherit the thread: it makes its own."""

    name = "fcm"

    def __init__(self, config: FcmConfig) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._loop_pid = 0
        self._session: aiohttp.ClientSession | None = None
        self._proxy: str | None = None
        self._ca_bundle = ""

    def _prepare(self, app: firebase_admin.App) -> None:
        """Proxy and CA bundle from the environment, read once, as requests would read them
        for FCM_ENDPOINT (see _settle_environment); no ~/.netrc."""
        url = self.config.endpoint.rstrip("/") + "/"
        self._proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self._ca_bundle = bundle or certifi.where()  # requests' default trust is certifi's

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop_pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=f"{self.name}-push-loop", daemon=True
                )
                thread.start()
                self._loop, self._loop_thread, self._loop_pid = loop, thread, os.getpid()
                self._session = None
            return self._loop

    def _client_session(self) -> aiohttp.ClientSession:
        """Made inside the loop (aiohttp binds a session to the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONCURRENT_REQUESTS,
                    ssl=ssl.create_default_context(cafile=self._ca_bundle),
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    sock_connect=self.config.http_timeout_seconds,
                    sock_read=self.config.http_timeout_seconds,
                ),
                trust_env=False,  # the environment was read once (_prepare); no ~/.netrc
            )
        return self._session

    def _auth_headers(self, app: firebase_admin.App, refresh: bool = False) -> dict[str, str]:
        """The headers firebase-admin sends with every FCM request, its credential's bearer
        token among them (refreshed by google-auth when it is about to expire, as firebase-
        admin's authorized session does), taken once per batch."""
        headers = {
            "Content-Type": "application/json",
            "X-GOOG-API-FORMAT-VERSION": "2",
            "X-FIREBASE-CLIENT": f"fire-admin-python/{firebase_admin.__version__}",
            **firebase_http_client.METRICS_HEADERS,
        }
        credential = app.credential.get_credential()
        request = google.auth.transport.requests.Request()
        if refresh:
            credential.refresh(request)
        credential.before_request(request, "POST", self.fcm_url_of(app), headers)
        return headers

    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendOutcome]:
        if not messages:
            return []
        app = self._ensure_app()
        tokens = [message.token for message in messages]
        try:
            headers = self._auth_headers(app)
        except google.auth.exceptions.GoogleAuthError as error:  # no token: the whole call fails
            failure = exceptions.UnknownError(
                message=f"Unknown error while making remote service calls: {error}", cause=error
            )
            return [classify_error(failure, tokens=tokens)] * len(messages)
        bodies = [
            json.dumps(
                {"message": messaging._MessagingService.encode_message(_fcm_message(message))},
                separators=(",", ":"),
            ).encode()
            for message in messages
        ]
        url = self.fcm_url_of(app)
        answers = self._run(self._send_all(url, bodies, headers))
        unauthenticated = [n for n, answer in enumerate(answers) if _status(answer) == 401]
        if unauthenticated and self.config.credentials_file:
            # An expired or revoked token: as firebase-admin's authorized session does,
            # refresh it and send those again (once; a failed refresh leaves the 401s).
            try:
                headers = self._auth_headers(app, refresh=True)
            except google.auth.exceptions.GoogleAuthError:
                pass
            else:
                again = self._run(
                    self._send_all(url, [bodies[n] for n in unauthenticated], headers)
                )
                for n, answer in zip(unauthenticated, again, strict=True):
                    answers[n] = answer
        return [
            _outcome_of(answer, url, token) for answer, token in zip(answers, tokens, strict=True)
        ]

    def _run(self, coroutine: Coroutine[object, object, list[Answer]]) -> list[Answer]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop()).result()

    async def _send_all(
        self, url: str, bodies: list[bytes], headers: dict[str, str]
    ) -> list[Answer]:
        session = self._client_session()
        slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        return await asyncio.gather(
            *(self._send_one(session, slots, url, body, headers) for body in bodies)
        )

    async def _send_one(
        self,
        session: aiohttp.ClientSession,
        slots: asyncio.Semaphore,
        url: str,
        body: bytes,
        headers: dict[str, str],
    ) -> Answer:
        """One message: FCM's answer, or the transport error that ended it. Retried here as
        send_each's urllib3 adapter retries (_mount_adapter): a 500 or 503 up to
        FCM_HTTP_RETRIES times (backoff 0, 1, 2, 4 s ..., or a 503's Retry-After up to
        SDK_RETRY_MAX_SECONDS), a failed connect once and a failed or timed-out read once."""
        retries = _SdkRetries(status=self.config.http_retries)
        while True:
            try:
                async with (
                    slots,
                    session.post(url, data=body, headers=headers, proxy=self._proxy) as response,
                ):
                    answer: tuple[int, Mapping[str, str], bytes] = (
                        response.status,
                        response.headers,
                        await response.read(),
                    )
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                if not retries.take("connect"):
                    return error
                continue
            except (TimeoutError, aiohttp.ClientError) as error:
                if not retries.take("read"):
                    return error
                continue
            status, answer_headers, _ = answer
            if status not in SDK_RETRY_STATUSES:
                return answer
            delay = retries.delay_for(status, answer_headers.get("Retry-After"))
            if delay is None:
                return answer
            await asyncio.sleep(delay)

    def close(self) -> None:
        with self._lock:
            loop, thread, session = self._loop, self._loop_thread, self._session
            self._loop = self._loop_thread = self._session = None
        if loop is not None and self._loop_pid == os.getpid():
            if session is not None:
                asyncio.run_coroutine_threadsafe(session.close(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=10)
            loop.close()
        super().close()


def _status(answer: Answer) -> int:
    return answer[0] if isinstance(answer, tuple) else 0


class _SdkRetries:
    """send_each's urllib3 Retry (connect=1, read=1, status=FCM_HTTP_RETRIES on 500/503,
    backoff_factor 0.5, Retry-After honoured on 503), for one message."""

    def __init__(self, status: int) -> None:
        self.left = {"connect": 1, "read": 1, "status": status}
        self.consecutive_errors = 0

    def take(self, kind: str) -> bool:
        if self.left[kind] <= 0:
            return False
        self.left[kind] -= 1
        self.consecutive_errors += 1
        return True

    def delay_for(self, status: int, retry_after: str | None) -> float | None:
        """Seconds to wait before sending again, or None: no retry left (or a Retry-After too
        long to wait inside a batch: the outbox schedules that one, see classify_error)."""
        if not self.take("status"):
            return None
        if status == 503 and retry_after:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = 0.0  # an HTTP date: the backoff below
            if seconds > SDK_RETRY_MAX_SECONDS:
                return None
            if seconds > 0:
                return seconds
        if self.consecutive_errors <= 1:
            return 0.0
        return min(SDK_RETRY_MAX_SECONDS, 0.5 * 2 ** (self.consecutive_errors - 1))


def _outcome_of(answer: Answer, url: str, token: str) -> SendOutcome:
    """One answer as send_each would have reported it, through classify_error."""
    if isinstance(answer, BaseException):
        return classify_error(_failure_from_transport(answer), tokens=[token])
    status, headers, content = answer
    if 200 <= status < 300:
        try:
            name = json.loads(content).get("name")
        except (ValueError, AttributeError) as error:
            failure = exceptions.UnknownError(
                message=f"Unknown error while making a remote service call: {error}", cause=error
            )
            return classify_error(failure, tokens=[token])
        if name is None:  # send_each: no message id is no success, and no exception either
            return classify_error(None, tokens=[token])
        return SendOutcome(Outcome.SENT, message_id=name)
    return classify_error(_failure_from_answer(status, headers, content, url), tokens=[token])


def _failure_from_answer(
    status: int, headers: Mapping[str, str], content: bytes, url: str
) -> exceptions.FirebaseError:
    """The exception firebase-admin raises for this error answer (UnregisteredError,
    QuotaExceededError, ...), made by its own parsing of FCM's error format: the answer is
    handed to it as the httpx response its send_each_async would have had."""
    request = httpx.Request("POST", url)
    response = httpx.Response(
        status, headers=list(headers.items()), content=content, request=request
    )
    error = httpx.HTTPStatusError(f"FCM answered {status}", request=request, response=response)
    return firebase_utils.handle_platform_error_from_httpx(
        error, messaging._MessagingService._build_fcm_error_httpx
    )


def _failure_from_transport(error: BaseException) -> exceptions.FirebaseError:
    """What firebase-admin makes of a transport error: a timeout is DEADLINE_EXCEEDED, a
    connection that failed or broke is UNAVAILABLE, anything else UNKNOWN."""
    if isinstance(error, TimeoutError):
        return exceptions.DeadlineExceededError(
            message=f"Timed out while making an API call: {error}", cause=error
        )
    if isinstance(error, aiohttp.ClientConnectionError):
        return exceptions.UnavailableError(
            message=f"Failed to establish a connection: {error}", cause=error
        )
    return exceptions.UnknownError(
        message=f"Unknown error while making a remote service call: {error}", cause=error
    )


class FcmSendEachSender(_FirebaseAppSender):
    """Sends through firebase-admin's own `send_each` (requests, one thread per message) to FCM
    (or to FCM_ENDPOINT): PUSH_SENDER=fcm-send-each. The sender before issue 20, kept as a
    fallback and as the fan-out benchmark's comparison; about half the rate of FcmSender."""

    name = "fcm-send-each"

    def _prepare(self, app: firebase_admin.App) -> None:
        """The SDK reads its FCM URL once, when an app's messaging service is made: made now,
        while the class attribute holds FCM_ENDPOINT's URL."""
        template = fcm_url_template(self.config.endpoint)
        with _FCM_URL_LOCK:
            default = messaging._MessagingService.FCM_URL
            messaging._MessagingService.FCM_URL = template
            try:
                # Created now, so it reads our URL; later sends reuse this service.
                service = messaging._get_messaging_service(app)
            finally:
                messaging._MessagingService.FCM_URL = default
        if getattr(service, "_fcm_url", None) != self.fcm_url_of(app):
            raise ImproperlyConfigured(
                "firebase-admin no longer takes its FCM URL from "
                "_MessagingService.FCM_URL; FCM_ENDPOINT cannot be applied"
            )
        self._mount_adapter(service)

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

SENDERS = ("console", "fcm", "fcm-send-each")
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
    if settings.PUSH_SENDER in ("fcm", "fcm-send-each"):
        sender_class = FcmSender if settings.PUSH_SENDER == "fcm" else FcmSendEachSender
        return sender_class(
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

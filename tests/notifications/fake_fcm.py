"""A fake FCM HTTP v1 server on 127.0.0.1, for firebase-admin's real code path.

It records every request (path, headers, JSON body) and answers 200 with a message name, or,
when told to, an error in FCM's real format: `{"error": {code, message, status, details:
[{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": ...}]}}` with
FCM's HTTP status, so firebase-admin raises the specific exception (UnregisteredError, ...).

    server = FakeFcmServer().start()
    server.answer_next("UNAVAILABLE")               # the next request, whatever its token
    server.answer_token("tok-1", "UNREGISTERED")     # every request for this token
    server.quote_tokens = True                       # errors quote the token they refuse
    server.answer_delay_seconds = 1.0                # every answer that late (timeouts)
    ...
    server.stop()

Other tests (the worker's) may import it: tests.notifications.fake_fcm.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"

# FCM error code -> (HTTP status, google.rpc status, message), as FCM answers them.
ERRORS: dict[str, tuple[int, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "INVALID_ARGUMENT": (
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    ),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "UNAUTHENTICATED": (
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials.",
    ),
    "QUOTA_EXCEEDED": (
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests' of service fcm.googleapis.com.",
    ),
}

SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: str  # "OK" or the FCM error code answered

    @property
    def message(self) -> dict[str, Any]:
        return self.body.get("message", {})

    @property
    def token(self) -> str | None:
        return self.message.get("token")


def error_body(code: str) -> tuple[int, dict[str, Any]]:
    http_status, status, message = ERRORS[code]
    details: list[dict[str, Any]] = [{"@type": FCM_ERROR_TYPE, "errorCode": code}]
    if code == "INVALID_ARGUMENT":
        details.append(
            {
                "@type": BAD_REQUEST_TYPE,
                "fieldViolations": [
                    {"field": "message.token", "description": "Invalid registration token"}
                ],
            }
        )
    return http_status, {
        "error": {"code": http_status, "message": message, "status": status, "details": details}
    }


class FakeFcmServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._next: deque[str] = deque()
        self._by_token: dict[str, str] = {}
        self._retry_after: dict[str, str] = {}
        self._counter = 0
        # Error messages quote the request's token, as some of FCM's do ("Invalid value at
        # 'message.token'..."): for tests that a token never reaches a log or the database.
        self.quote_tokens = False
        # Every answer waits this long first: for tests of the sender's timeouts.
        self.answer_delay_seconds = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ control

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 server's address
        return f"http://{host}:{port}"

    def answer_next(self, *codes: str) -> None:
        """The next requests (one per code, in order, any token) get these errors."""
        for code in codes:
            assert code in ERRORS, code
        with self._lock:
            self._next.extend(codes)

    def answer_token(self, token: str, code: str) -> None:
        """Every request for this token gets this error (a dead token stays dead)."""
        assert code in ERRORS, code
        with self._lock:
            self._by_token[token] = code

    def retry_after(self, code: str, seconds: int) -> None:
        """Add a Retry-After header to this error's answers."""
        with self._lock:
            self._retry_after[code] = str(seconds)

    def delivered(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.answered == "OK"]

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake._handle(self, raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # send_each opens up to 500 connections at once

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-fcm",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ------------------------------------------------------------ answering

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        match = SEND_PATH.match(handler.path)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        token = body.get("message", {}).get("token") if isinstance(body, dict) else None
        with self._lock:
            if not match:
                code = "NOT_FOUND_PATH"
            elif self._next:
                code = self._next.popleft()
            else:
                code = self._by_token.get(token or "", "OK")
            self._counter += 1
            number = self._counter
            self.received.append(
                Received(
                    path=handler.path,
                    headers={k.lower(): v for k, v in handler.headers.items()},
                    body=body if isinstance(body, dict) else {},
                    answered=code,
                )
            )
            retry_after = self._retry_after.get(code)
            delay = self.answer_delay_seconds
        if delay:
            time.sleep(delay)
        if code == "NOT_FOUND_PATH":
            self._answer(handler, 404, {"error": {"code": 404, "message": "no such path"}})
        elif code == "OK":
            name = f"projects/{match['project']}/messages/fake-{number}"  # type: ignore[index]
            self._answer(handler, 200, {"name": name})
        else:
            status, payload = error_body(code)
            if self.quote_tokens and token:
                payload["error"]["message"] += f" (registration token {token!r})"
            extra = {"Retry-After": retry_after} if retry_after else {}
            self._answer(handler, status, payload, extra)

    @staticmethod
    def _answer(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

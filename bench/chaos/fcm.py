"""The fake FCM HTTP v1 server of the run: tests/notifications/fake_fcm.py (FCM's real error
format, so firebase-admin raises its real exceptions), plus what a fault run needs: a mode that
answers every request with one error (5xx, 429 with Retry-After) or hangs past the sender's
timeout, a per-request delay (so a kill lands while a push is in flight), the time and client
port of every request, and the requests in flight."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.notifications.fake_fcm import ERRORS, SEND_PATH, FakeFcmServer, error_body

HANG = "HANG"


@dataclass(frozen=True)
class Push:
    at: float  # time.time() when the request arrived
    answered: str  # "OK", an FCM error code, or HANG
    token: str
    outbox_id: str
    kind: str
    tag: str


def _tag(message: dict[str, Any]) -> str:
    android = (message.get("android") or {}).get("notification") or {}
    apns = (message.get("apns") or {}).get("headers") or {}
    webpush = (message.get("webpush") or {}).get("notification") or {}
    return str(android.get("tag") or apns.get("apns-collapse-id") or webpush.get("tag") or "")


class ChaosFcm(FakeFcmServer):
    def __init__(self) -> None:
        super().__init__()
        self.mode: str | None = None  # None: answer normally; an ERRORS code; or HANG
        self.hang_seconds = 15.0
        self.delay_seconds = 0.0
        self.pushes: list[Push] = []
        self.in_flight: dict[int, float] = {}  # client port -> since
        self._flight_lock = threading.Lock()

    def set_mode(self, mode: str | None, retry_after: int | None = None) -> None:
        assert mode in (None, HANG) or mode in ERRORS, mode
        with self._lock:
            self.mode = mode
            if mode in ERRORS and retry_after is not None:
                self._retry_after[mode] = str(retry_after)

    def ok_pushes(self) -> list[Push]:
        with self._lock:
            return [p for p in self.pushes if p.answered == "OK"]

    def all_pushes(self) -> list[Push]:
        with self._lock:
            return list(self.pushes)

    def in_flight_ports(self) -> list[int]:
        with self._flight_lock:
            return list(self.in_flight)

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        port = int(handler.client_address[1])
        arrived = time.time()
        with self._flight_lock:
            self.in_flight[port] = time.time()
        try:
            if self.delay_seconds:
                time.sleep(self.delay_seconds)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            message = body.get("message", {}) if isinstance(body, dict) else {}
            token = str(message.get("token") or "")
            with self._lock:
                if not SEND_PATH.match(handler.path):
                    answered = "NOT_FOUND_PATH"
                elif self.mode is not None:
                    answered = self.mode
                elif self._next:
                    answered = self._next.popleft()
                else:
                    answered = self._by_token.get(token, "OK")
                self._counter += 1
                number = self._counter
                retry_after = self._retry_after.get(answered)
            answered_with: tuple[int, dict[str, Any], dict[str, str]]  # status, body, headers
            if answered == HANG:
                time.sleep(self.hang_seconds)  # past the sender's FCM_HTTP_TIMEOUT_SECONDS
                answered_with = (*error_body("UNAVAILABLE"), {})
            elif answered == "NOT_FOUND_PATH":
                answered_with = (404, {"error": {"code": 404, "message": "no such path"}}, {})
            elif answered == "OK":
                match = SEND_PATH.match(handler.path)
                name = f"projects/{match['project']}/messages/fake-{number}"  # type: ignore[index]
                answered_with = (200, {"name": name}, {})
            else:
                status, payload = error_body(answered)
                extra = {"Retry-After": retry_after} if retry_after else {}
                answered_with = (status, payload, extra)
            # The sender may have given up waiting (a hang), or been killed.
            with contextlib.suppress(OSError):
                self._answer(handler, *answered_with)
            data = message.get("data") or {}
            with self._lock:
                self.pushes.append(
                    Push(
                        at=arrived,
                        answered=answered,
                        token=token,
                        outbox_id=str(data.get("outbox_id") or ""),
                        kind=str(data.get("kind") or ""),
                        tag=_tag(message),
                    )
                )
        finally:
            with self._flight_lock:
                self.in_flight.pop(port, None)

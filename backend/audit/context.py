"""Where the current request comes from, so audit events written deep inside a service still
record it without services knowing about HTTP."""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from backend.common.client_address import client_address

_origin: ContextVar[tuple[str | None, str]] = ContextVar("audit_origin", default=(None, ""))
_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_origin() -> tuple[str | None, str]:
    """(client address, user agent) of the request being served; (None, "") in a worker."""
    return _origin.get()


def current_actor() -> Any:
    """The signed-in user of the request being served (DRF sets its authenticated user on the
    underlying request too), or None: for changes seen by model signals, e.g. in /admin/."""
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def request_origin(request: HttpRequest) -> tuple[str | None, str]:
    return client_address(request), (request.META.get("HTTP_USER_AGENT") or "")[:300]


class AuditOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _origin.set(request_origin(request))
        request_token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(request_token)
            _origin.reset(token)

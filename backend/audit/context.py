"""Where the current request comes from, so audit events written deep inside a service still
record it without services knowing about HTTP: AuditOriginMiddleware sets it for every request
(browser and bearer API alike), and audit.services reads it. Outside a request (a worker, a
management command) there is none. A response streamed after the view has returned reads it
through in_request_context."""

from collections.abc import Callable, Iterator
from contextvars import Context, ContextVar, copy_context
from typing import Any, Generic, TypeVar

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


T = TypeVar("T")


def in_request_context(items: Iterator[T]) -> Iterator[T]:
    """`items`, each step run in the context of the request that made it. A streamed
    response's body is read after the view has returned and the middleware has let go of the
    request, so audit rows written while it is read (or when it is closed, a client having
    gone away) would otherwise have no origin."""
    return _InContext(items)


class _InContext(Generic[T]):
    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._context: Context = copy_context()

    def __iter__(self) -> "_InContext[T]":
        return self

    def __next__(self) -> T:
        return self._context.run(next, self._items)

    def close(self) -> None:
        close = getattr(self._items, "close", None)
        if close is not None:
            self._context.run(close)

    def __del__(self) -> None:
        # Dropped unfinished (a client went away): the generator's `finally` runs here, in
        # the request's context, rather than wherever the garbage collector happens to be.
        self.close()


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

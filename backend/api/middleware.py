"""The API's middleware: oversized request bodies are refused before anything reads them, and
bearer API requests are kept clear of the browser session's work (bearer_api_request).

DRF reads the request stream itself, which bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE check,
so the limit is enforced here on the declared Content-Length. A chunked body has no declared
length and Django's WSGI handler would read it as empty, silently dropping what was sent: it is
refused with 411 so the client resends it with a length.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from knox.settings import knox_settings
from rest_framework.authentication import get_authorization_header

API_PATH_PREFIX = "/api/"


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_BODY_MAX_BYTES
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _error(411, "length_required", "Send the body with a Content-Length header.")
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return _error(400, "bad_request", "Content-Length header is not a number.")
        if length > limit:
            return _error(413, "body_too_large", f"Request body is larger than {limit} bytes.")
        return self.get_response(request)


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"code": code, "detail": detail, "errors": [{"field": "body", "reason": detail}]},
        status=status,
    )


def bearer_api_request(request: HttpRequest) -> bool:
    """An API request carrying `Authorization: Bearer ...`: BearerTokenAuthentication, first
    in DEFAULT_AUTHENTICATION_CLASSES, either accepts its token or answers 401, so DRF's
    SessionAuthentication never runs and the session (cookie or not) plays no part. The
    session middlewares skip such requests: no session load, no write, no Vary: Cookie.
    Knox's own header test, so this and the authentication always agree."""
    if not request.path_info.startswith(API_PATH_PREFIX):
        return False
    # It reads request.META only, which an HttpRequest has; the stub asks for DRF's Request.
    scheme = get_authorization_header(request).split()[:1]  # type: ignore[arg-type]
    return bool(scheme) and scheme[0].lower() == knox_settings.AUTH_HEADER_PREFIX.encode().lower()


class BrowserMessageMiddleware(MessageMiddleware):
    """Django's one-time messages, for the pages of a browser session only: a bearer API
    request has no page to show one on, so it gets no message storage (which would otherwise
    be built, and checked for messages to save, on every request)."""

    def process_request(self, request: HttpRequest) -> None:
        if not bearer_api_request(request):
            super().process_request(request)

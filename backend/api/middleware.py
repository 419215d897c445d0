"""Refuse oversized request bodies before anything reads them.

DRF reads the request stream itself, which bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE check,
so the limit is enforced here on the declared Content-Length. A chunked body has no declared
length and Django's WSGI handler would read it as empty, silently dropping what was sent: it is
refused with 411 so the client resends it with a length.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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

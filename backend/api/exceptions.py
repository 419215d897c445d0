"""One error shape for every API response: `{code, detail, errors: [{field, reason}]}`.

`field` is the dotted path of the input that was wrong (`dose_times.1`), or null when the
error is not about one field. Clients show `reason` to people, so it is plain language.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from backend.common.errors import Conflict, ServiceValidationError

NON_FIELD_KEYS = {"non_field_errors", "detail"}


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str | None]]:
    """Turn DRF's nested error detail into a flat list of {field, reason}."""
    if isinstance(detail, dict):
        items: list[dict[str, str | None]] = []
        for key, value in detail.items():
            key = str(key)
            path = prefix if key in NON_FIELD_KEYS else (f"{prefix}.{key}" if prefix else key)
            items.extend(flatten_errors(value, path))
        return items
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": prefix or None, "reason": str(item)} for item in detail]
        items = []
        for index, value in enumerate(detail):
            if value in ({}, [], None):
                continue
            path = f"{prefix}.{index}" if prefix else str(index)
            items.extend(flatten_errors(value, path))
        return items
    return [{"field": prefix or None, "reason": str(detail)}]


@contextmanager
def _rollback_of_the_request_only(context: dict[str, Any]) -> Iterator[None]:
    """DRF's set_rollback marks every open atomic block for rollback. A view marked
    `transaction.non_atomic_requests` has no request transaction: each write its service made
    is already in a transaction of its own, and an enclosing block is somebody else's (a
    test's), so its mark is put back as it was."""
    dispatch = getattr(context.get("view"), "dispatch", None)
    skipped = set(getattr(dispatch, "_non_atomic_requests", ()))
    kept = {
        db.alias: db.needs_rollback
        for db in connections.all(initialized_only=True)
        if db.alias in skipped
    }
    try:
        yield
    finally:
        for alias, needs_rollback in kept.items():
            connections[alias].needs_rollback = needs_rollback


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    with _rollback_of_the_request_only(context):
        if isinstance(exc, ServiceValidationError):
            set_rollback()
            return _service_error_response(exc)
        if isinstance(exc, RecursionError):
            # A body nested too deeply for a parser of its own (the default parser refuses it
            # first, api/parsers.py): the client's fault, never a 500.
            exc = exceptions.ParseError("JSON parse error - nested too deeply.")
        response = drf_exception_handler(exc, context)  # calls set_rollback()
    if response is None:
        return None  # a real server error: Django's 500 handling (handler500) takes it
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        code = "invalid"
        detail = errors[0]["reason"] if len(errors) == 1 else "Some fields are not valid."
        if len(errors) == 1 and errors[0]["field"]:
            detail = f"{errors[0]['field']}: {errors[0]['reason']}"
    elif isinstance(exc, exceptions.APIException):
        code = _first_code(exc.get_codes())
        detail = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "Error."
        errors = flatten_errors(exc.detail) if isinstance(exc.detail, (dict, list)) else []
    elif isinstance(exc, Http404):
        code, detail, errors = "not_found", "Not found.", []
    elif isinstance(exc, PermissionDenied):
        code, detail, errors = "permission_denied", str(response.data.get("detail")), []
    else:
        code, detail, errors = "error", "Error.", []
    response.data = {"code": code, "detail": detail, "errors": errors}
    return response


def _service_error_response(exc: ServiceValidationError) -> Response:
    status_code = 409 if isinstance(exc, Conflict) else 400
    detail = f"{exc.field}: {exc.reason}" if exc.field else exc.reason
    return Response(
        {
            "code": exc.code if status_code == 400 else "conflict",
            "detail": detail,
            "errors": [{"field": exc.field, "reason": exc.reason}],
        },
        status=status_code,
    )


def _first_code(codes: Any) -> str:
    while isinstance(codes, (list, dict)):
        if not codes:
            return "error"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def error_response(status_code: int, code: str, detail: str, field: str | None = None) -> Response:
    """An error answered without raising (raising would roll back the request's transaction)."""
    errors = [{"field": field, "reason": detail}]
    return Response({"code": code, "detail": detail, "errors": errors}, status=status_code)


def lockout_response(
    request: HttpRequest,
    original_response: Any = None,
    credentials: Any = None,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    """django-axes: the same answer whether or not the username exists. JSON for the API, the
    dashboard's page for the staff sign-in."""
    if not request.path.startswith("/api/"):
        return render(request, "dashboard/locked_out.html", status=429)
    detail = "Too many failed sign-in attempts. Try again later."
    return JsonResponse(
        {"code": "locked_out", "detail": detail, "errors": []},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: JSON for the API, and never a stack trace; Django's page elsewhere."""
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    return JsonResponse(
        {"code": "server_error", "detail": "Something went wrong on our side.", "errors": []},
        status=500,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON for the API; Django's page elsewhere."""
    if not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"code": "not_found", "detail": "Not found.", "errors": []}, status=404)

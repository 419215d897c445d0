"""Staff sessions end after a quiet spell and after a fixed time, whatever happens in between.

A nurse who walks away from a ward computer leaves patients' data on screen: the session ends
after STAFF_SESSION_IDLE_MINUTES without a request the person made (a background refresh, such
as the alert queue's poll, does not count), and in any case STAFF_SESSION_MAX_HOURS after
sign-in. Staff bearer tokens follow the same two limits (staff_token_expiry and
staff_token_outlived). Patients' sessions and tokens keep their own, longer lifetimes: their
phone is theirs, and a reminder app that signs out every half hour would not be used.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from backend.api.middleware import bearer_api_request
from backend.audit.services import audit_record

SIGNED_IN_AT = "staff_signed_in_at"
LAST_ACTIVITY_AT = "staff_last_activity_at"
# Requests sent by a page on its own (htmx polls) carry this header; they do not keep a
# session alive (dashboard templates set it with hx-headers).
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_REFRESH"
# The activity stamp is written at most this often, so a busy session is not a write per click.
ACTIVITY_WRITE_EVERY = timedelta(seconds=60)


def staff_idle_timeout() -> timedelta:
    return timedelta(minutes=settings.STAFF_SESSION_IDLE_MINUTES)


def staff_absolute_timeout() -> timedelta:
    return timedelta(hours=settings.STAFF_SESSION_MAX_HOURS)


def staff_token_expiry(*, created: datetime, now: datetime) -> datetime:
    """A staff token's next expiry: the idle limit from now, never past the absolute one."""
    return min(now + staff_idle_timeout(), created + staff_absolute_timeout())


def staff_token_outlived(*, created: datetime, now: datetime) -> bool:
    return now >= created + staff_absolute_timeout()


def _stamp(value: datetime) -> float:
    return value.timestamp()


def _from_stamp(value: object) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def session_expiry_reason(session: dict, *, now: datetime) -> str | None:
    """Why this staff session has ended ("idle" or "absolute"), or None if it has not."""
    signed_in = _from_stamp(session.get(SIGNED_IN_AT))
    last_activity = _from_stamp(session.get(LAST_ACTIVITY_AT))
    if signed_in is not None and now - signed_in >= staff_absolute_timeout():
        return "absolute"
    if last_activity is not None and now - last_activity >= staff_idle_timeout():
        return "idle"
    return None


class StaffSessionTimeoutMiddleware:
    """Ends a staff session past either limit before any view runs (the next page then asks
    the person to sign in again). After AuthenticationMiddleware. A bearer API request is
    left alone: its token, not the session, signs it in (and is held to the same limits in
    api/authentication.py), so reading the session there would only cost a load, and would
    count the request as activity of a session it does not use."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if bearer_api_request(request):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_care_staff", False):
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: object) -> None:
        now = timezone.now()
        session = request.session
        reason = session_expiry_reason(session, now=now)
        if reason is not None:
            audit_record(
                actor=user,  # type: ignore[arg-type]
                action="auth.session_expired",
                detail={"reason": reason},
            )
            logout(request)
            return
        if SIGNED_IN_AT not in session:  # a session made before these limits existed
            session[SIGNED_IN_AT] = _stamp(now)
        if request.META.get(BACKGROUND_HEADER):
            return
        last_activity = _from_stamp(session.get(LAST_ACTIVITY_AT))
        if last_activity is None or now - last_activity >= ACTIVITY_WRITE_EVERY:
            session[LAST_ACTIVITY_AT] = _stamp(now)


def stamp_new_session(request: HttpRequest) -> None:
    """Called at sign-in: both clocks start now."""
    now = _stamp(timezone.now())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY_AT] = now

"""Sign-in lockout (django-axes) with one limit per account and another per address.

AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] makes django-axes count failures for a
username from every address and failures from an address across every username, and lock on
either. Axes compares both counts with one AXES_FAILURE_LIMIT; this handler gives each its
own: LOGIN_FAILURE_LIMIT for an account, LOGIN_FAILURE_LIMIT_PER_ADDRESS for an address (a
clinic behind one NAT address shares it, so it is higher). Unknown usernames are counted and
locked the same way, so a lockout never tells whether a username exists.

A lockout ends after AXES_COOLOFF_TIME, or when an administrator clears it (`manage.py
axes_reset_username USERNAME`, `axes_reset_ip ADDRESS`, `axes_reset`, or deleting the "Access
attempts" rows in /admin/, or `manage.py signin_unlock`). Every lockout and every refused attempt
while locked is audited (auth.locked_out), as are unlocks (auth.unlocked by signin_unlock,
admin.delete in /admin/) and throttled sign-ins (auth.throttled, one row per address a minute).
"""

import logging
import math
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


def _limit_for(parameter: Any) -> int:
    if parameter == "ip_address":
        return int(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS)
    return int(settings.AXES_FAILURE_LIMIT)


class SignInLockoutHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler with a separate limit for each lockout parameter."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # Axes locks when this is >= AXES_FAILURE_LIMIT: answer that limit when any count has
        # reached its own limit, and a number below it otherwise.
        account_limit = int(settings.AXES_FAILURE_LIMIT)
        highest = 0
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS,
            self.get_user_attempts(request, credentials),
            strict=True,
        ):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if failures >= _limit_for(parameter):
                return account_limit
            highest = max(highest, min(failures, account_limit - 1))
        return highest

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # A right password clears that account's failures only: otherwise anyone holding one
        # valid account could clear their address's count between guesses at others.
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **_: Any
) -> None:
    from backend.audit.services import audit_record

    audit_record(
        actor=None,
        action="auth.locked_out",
        detail={"username": username or ""},
    )


def sign_in_unlock(
    *, username: str | None = None, address: str | None = None, actor: Any = None
) -> int:
    """An administrator's unlock: clear the failures of an account (from every address) and/or
    of an address (across usernames). Audited (auth.unlocked). Returns the rows cleared."""
    from backend.audit.services import audit_record

    if not username and not address:
        raise ValueError("Give a username, an address, or both.")
    attempts = AccessAttempt.objects.all()
    cleared = 0
    if username:
        cleared += attempts.filter(username=username).delete()[0]
    if address:
        cleared += attempts.filter(ip_address=address).delete()[0]
    audit_record(
        actor=actor,
        action="auth.unlocked",
        detail={"username": username or "", "address": address or "", "cleared": cleared},
    )
    return cleared


# One audit row per address per this many seconds while its sign-ins are throttled: a flood of
# refused requests must not become a flood of writes to the audit log.
THROTTLE_AUDIT_EVERY_SECONDS = 60


def mark_sign_in_throttled(request: HttpRequest) -> None:
    """Noted on the request; SignInThrottleAuditMiddleware writes the audit row after the
    response, outside the request's transaction (which a refused API request rolls back)."""
    request.sign_in_throttled = True  # type: ignore[attr-defined]


class SignInThrottleAuditMiddleware:
    """Audits throttled sign-in attempts (auth.throttled): the first of each address in each
    THROTTLE_AUDIT_EVERY_SECONDS, with the path."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "sign_in_throttled", False):
            from django.core.cache import cache

            from backend.audit.services import audit_record
            from backend.common.client_address import client_address

            address = client_address(request) or ""
            if cache.add(f"sign-in-throttle-audited:{address}", 1, THROTTLE_AUDIT_EVERY_SECONDS):
                audit_record(
                    actor=None,
                    action="auth.throttled",
                    detail={"path": request.path[:200]},
                )
        return response


def sign_in_throttled(request: HttpRequest, view: Any = None) -> HttpResponse | None:
    """The API's per-address sign-in limit (AuthThrottle, AUTH_THROTTLE_RATE) for a Django
    sign-in form, sharing its counter: None when the POST may go on, else a plain 429."""
    from .api import AuthThrottle

    throttle = AuthThrottle()
    if throttle.allow_request(request, view):
        return None
    log.warning("Sign-in throttled for %s on %s", throttle.get_ident(request), request.path)
    response = HttpResponse(
        "Too many sign-in attempts from this address. Wait a minute and try again.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    wait = throttle.wait()
    if wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response

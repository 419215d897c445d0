"""Sign-in lockout (django-axes) with one limit per account and another per address.

AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] makes django-axes count failures for a
username from every address and failures from an address across every username, and lock on
either. Axes compares both counts with one AXES_FAILURE_LIMIT; this handler gives each its
own: LOGIN_FAILURE_LIMIT for an account, LOGIN_FAILURE_LIMIT_PER_ADDRESS for an address (a
clinic behind one NAT address shares it, so it is higher). Unknown usernames are counted and
locked the same way, so a lockout never tells whether a username exists.

A lockout ends after AXES_COOLOFF_TIME, or when an administrator clears it (`manage.py
axes_reset_username USERNAME`, `axes_reset_ip ADDRESS`, `axes_reset`, or deleting the "Access
attempts" rows in /admin/). Every lockout and every refused attempt while locked is audited
(auth.locked_out).
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
        request=request,
    )


def sign_in_throttled(request: HttpRequest, view: Any = None) -> HttpResponse | None:
    """The API's per-address sign-in limit (AuthThrottle, AUTH_THROTTLE_RATE) for a Django
    sign-in form, sharing its counter: None when the POST may go on, else a plain 429."""
    from .api import AuthThrottle

    throttle = AuthThrottle()
    if throttle.allow_request(request, view):  # type: ignore[arg-type]
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

"""Who may open dashboard pages: signed-in care staff. Which patients they then see is decided
by accounts.selectors.patients_visible_to, never here."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from backend.accounts.mfa import mfa_required_for
from backend.accounts.models import User
from backend.accounts.roles import Role

View = Callable[..., HttpResponse]


class HtmxRequest(HttpRequest):
    """For mypy: django-htmx's middleware (on for every request) sets request.htmx."""

    htmx: HtmxDetails


class StaffRequest(HtmxRequest):
    """For mypy: a dashboard view behind staff_required, so request.user is a User. Neither
    class is instantiated; views receive Django's HttpRequest."""

    user: User


def staff_required(view: View) -> View:
    """Anonymous visitors go to the sign-in page (htmx requests are told to go there too);
    a patient's session (from the API's session login) is refused. With STAFF_MFA_REQUIRED
    on, the session must also be verified by the staff member's second factor."""

    @wraps(view)
    def wrapper(request: HtmxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return _to_sign_in(request)
        if not getattr(user, "is_care_staff", False) or not user.is_active:
            raise PermissionDenied("The dashboard is for care staff.")
        if mfa_required_for(user) and not _is_verified(user):
            # Signed in without the second factor (accounts.middleware ends such sessions;
            # this is the dashboard's own check): sign out and start again.
            logout(request)
            return _to_sign_in(request)
        return view(request, *args, **kwargs)

    return wrapper


def _to_sign_in(request: HtmxRequest) -> HttpResponse:
    if getattr(request, "htmx", False):
        # A fragment request after the session expired: load the sign-in page whole, then
        # come back to the page the nurse was on (HX-Current-URL, same origin only), not to
        # the fragment or the POST-only URL that was asked for.
        back_to = request.htmx.current_url_abs_path or request.get_full_path()
        return HttpResponseClientRedirect(redirect_to_login(back_to).url)
    return redirect_to_login(request.get_full_path())


def _is_verified(user: object) -> bool:
    """django_otp.middleware.OTPMiddleware: verified by a TOTP or recovery code."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def may_record_clinical_changes(user: object) -> bool:
    """Grades, like plan changes, are recorded by nurses and admins (as in the API's
    IsNurseOrAdmin); coordinators see them."""
    return getattr(user, "role", None) in (Role.NURSE, Role.ADMIN)


def may_export_cohorts(user: object) -> bool:
    """As the export API's IsCoordinatorOrAdmin."""
    return getattr(user, "role", None) in (Role.COORDINATOR, Role.ADMIN)

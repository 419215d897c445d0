"""Staff sign-in and sign-out. Sessions with CSRF; django-axes locks out repeated failures.

With STAFF_MFA_REQUIRED on (every settings module but the test suite's), the password only
starts a sign-in: the session holds the staff member as *pending* (not signed in) and the next
page asks for a code from their authenticator app, or, on their first sign-in, enrols one
(secret and otpauth:// URI shown, confirmed with a code) and shows one-time recovery codes.
Only then is the session signed in and marked verified (django_otp.login), which every
dashboard view (access.staff_required) and the admin (accounts/admin_site.py) ask for.
"""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.models import Device

from backend.accounts import mfa
from backend.accounts.lockout import sign_in_throttled
from backend.accounts.models import User

from ..forms import SignInCodeForm, StaffSignInForm, TotpEnrolForm

PENDING_SESSION_KEY = "staff_mfa_pending"


@method_decorator(never_cache, name="dispatch")
class StaffSignInView(auth_views.LoginView):
    """The password step. With the second factor required, a right password leads to the
    code (or enrolment) page instead of signing in."""

    template_name = "dashboard/sign_in.html"
    authentication_form = StaffSignInForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        # Only staff already signed in skip the form: anyone else (a patient's session from
        # the API, say) must still be able to reach it and sign in as staff.
        user = request.user
        self.redirect_authenticated_user = getattr(user, "is_care_staff", False) and (
            not mfa.mfa_required_for(user) or _is_verified(user)
        )
        return super().dispatch(request, *args, **kwargs)

    # Django 5.2's signature; the stubs' adds Django 6.1's request argument.
    def get_redirect_url(self) -> str:  # type: ignore[override]
        """`next`, except the bare dashboard address: opening /dashboard/ signed out asks for
        a sign-in with next=/dashboard/ (the alert queue), and each role should then start
        at its own home (a coordinator at the cohort), not at the nurses' queue."""
        url = super().get_redirect_url()
        if url == reverse("dashboard:alert-queue"):
            return ""
        return url

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The API's per-address sign-in limit (AUTH_THROTTLE_RATE), sharing its counter: a
        # password spray across usernames is slowed here as on POST /api/v1/auth/login/.
        throttled = sign_in_throttled(request, self)
        if throttled is not None:
            return throttled
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not mfa.mfa_required_for(user):
            return super().form_valid(form)
        request = self.request
        request.session.cycle_key()
        request.session[PENDING_SESSION_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "next": self.get_redirect_url() or "",
            "started": time.time(),
            "attempts": 0,
        }
        if mfa.has_confirmed_totp_device(user):
            return redirect("dashboard:sign-in-code")
        return redirect("dashboard:sign-in-enrol")

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class StaffSignOutView(auth_views.LogoutView):
    pass


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Where a sign-in lands: nurses (and admins) start at the alert queue, coordinators at
    their cohort."""
    user = request.user
    if getattr(user, "role", None) == "coordinator":
        return redirect("dashboard:cohort")
    return redirect("dashboard:alert-queue")


# ---------------------------------------------------------------- the second factor


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def _pending(request: HttpRequest) -> tuple[dict, User] | None:
    """The half-finished sign-in in this session, if it is still fresh and its user still
    an active staff member."""
    state = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if time.time() - float(state.get("started", 0)) > settings.STAFF_MFA_PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    user_id: Any = state.get("user_id")  # from the session: whatever was stored
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not mfa.mfa_required_for(user):
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    return state, user


def _restart(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING_SESSION_KEY, None)
    return redirect("dashboard:login")


def _count_failure(request: HttpRequest, state: dict) -> bool:
    """One more wrong code; True when that was the last one allowed (the sign-in restarts)."""
    state["attempts"] = int(state.get("attempts", 0)) + 1
    if state["attempts"] >= settings.STAFF_MFA_MAX_ATTEMPTS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return True
    request.session[PENDING_SESSION_KEY] = state
    return False


def _sign_in(request: HttpRequest, state: dict, user: User, device: Device) -> str:
    """Sign in for real, verified by `device`; returns where to go next."""
    request.session.pop(PENDING_SESSION_KEY, None)
    auth_login(request, user, backend=state["backend"])
    otp_login(request, device)
    return state.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The code step for a staff member with an authenticator app (or a recovery code)."""
    pending = _pending(request)
    if pending is None:
        return _restart(request)
    state, user = pending
    if not mfa.has_confirmed_totp_device(user):
        return redirect("dashboard:sign-in-enrol")
    form = SignInCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            device = mfa.otp_verify(user=user, token=form.cleaned_data["code"], surface="dashboard")
            if device is not None:
                return redirect(_sign_in(request, state, user, device))
            if _count_failure(request, state):
                return _restart(request)
            form.add_error("code", "That code is not right, or it has been used already.")
        status = 400
    return render(request, "dashboard/sign_in_code.html", {"form": form}, status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def sign_in_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of a staff member without a factor: set up an authenticator app."""
    pending = _pending(request)
    if pending is None:
        return _restart(request)
    state, user = pending
    if mfa.has_confirmed_totp_device(user):
        return redirect("dashboard:sign-in-code")
    device = mfa.totp_enrolment_device(user)
    form = TotpEnrolForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            codes = mfa.totp_enrolment_confirm(
                user=user, device=device, token=form.cleaned_data["code"]
            )
            if codes is not None:
                device.refresh_from_db()
                next_url = _sign_in(request, state, user, device)
                # Shown once: the codes are in this answer only (never cached, see never_cache).
                return render(
                    request,
                    "dashboard/recovery_codes.html",
                    {"codes": codes, "next_url": next_url},
                )
            if _count_failure(request, state):
                return _restart(request)
            form.add_error("code", "That code is not right. Check the app's clock, then try again.")
        status = 400
    context = {
        "form": form,
        "secret": mfa.totp_secret_display(device),
        "otpauth_uri": mfa.totp_otpauth_uri(device),
        "username": user.get_username(),
    }
    return render(request, "dashboard/sign_in_enrol.html", context, status=status)

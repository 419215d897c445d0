"""A staff session must be verified by a second factor while STAFF_MFA_REQUIRED is on.

The dashboard signs staff in only after their code, so this catches sessions made some other
way: before the setting was turned on, or by a forced login. Such a session is ended, on
every surface (the dashboard, /admin/, the API's session authentication), before any view
runs. Needs django_otp.middleware.OTPMiddleware before it. A bearer API request is not
checked: the token signs it in, SessionAuthentication never runs for it, and the session is not
loaded (its next session-authenticated request is checked as usual).
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from backend.api.middleware import bearer_api_request

from .mfa import mfa_required_for


class StaffSessionMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(settings, "STAFF_MFA_REQUIRED", False) and not bearer_api_request(request):
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and mfa_required_for(user)
                and not user.is_verified()
            ):
                logout(request)
        return self.get_response(request)

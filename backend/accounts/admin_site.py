"""The admin site: Django's, plus the staff second factor while STAFF_MFA_REQUIRED is on.

INSTALLED_APPS names StaffAdminConfig instead of "django.contrib.admin", so `admin.site` (and
every @admin.register) is a StaffAdminSite. With the setting on, only a session verified by
a TOTP or recovery code (django_otp.middleware.OTPMiddleware: `request.user.is_verified()`)
may use the admin, and /admin/login/ sends people to the dashboard's sign-in, which asks for
the code (or enrols the factor) and then comes back.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if not getattr(settings, "STAFF_MFA_REQUIRED", False):
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not getattr(settings, "STAFF_MFA_REQUIRED", False):
            # The dashboard's per-address sign-in limit applies to this form as well.
            if request.method == "POST":
                from .lockout import sign_in_throttled

                throttled = sign_in_throttled(request)
                if throttled is not None:
                    return throttled
            return super().login(request, extra_context)
        back_to = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(
            back_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back_to = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': back_to})}")


class StaffAdminConfig(AdminConfig):
    default_site = "backend.accounts.admin_site.StaffAdminSite"

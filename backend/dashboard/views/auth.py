"""Staff sign-in and sign-out. Sessions with CSRF; django-axes locks out repeated failures."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from ..forms import StaffSignInForm


@method_decorator(never_cache, name="dispatch")
class StaffSignInView(auth_views.LoginView):
    """One step today. A second factor would go in `form_valid`: keep the verified user in the
    session as pending and redirect to the factor's page instead of signing in here."""

    template_name = "dashboard/sign_in.html"
    authentication_form = StaffSignInForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # Only staff already signed in skip the form: anyone else (a patient's session from
        # the API, say) must still be able to reach it and sign in as staff.
        self.redirect_authenticated_user = getattr(request.user, "is_care_staff", False)
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form: StaffSignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class StaffSignOutView(auth_views.LogoutView):
    pass


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Nurses start at the alert queue, coordinators at their cohort."""
    user = request.user
    if getattr(user, "role", None) == "coordinator":
        return redirect("dashboard:cohort")
    return redirect("dashboard:alert-queue")

"""Who may open dashboard pages: signed-in care staff. Which patients they then see is decided
by accounts.selectors.patients_visible_to, never here."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

from backend.accounts.roles import Role

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Anonymous visitors go to the sign-in page (htmx requests are told to go there too);
    a patient's session (from the API's session login) is refused."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if getattr(request, "htmx", False):
                # A fragment request after the session expired: load the sign-in page whole,
                # then come back to the page the nurse was on (HX-Current-URL, same origin
                # only), not to the fragment or the POST-only URL that was asked for.
                back_to = request.htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(redirect_to_login(back_to).url)
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_care_staff", False) or not user.is_active:
            raise PermissionDenied("The dashboard is for care staff.")
        return view(request, *args, **kwargs)

    return wrapper


def may_record_clinical_changes(user: object) -> bool:
    """Grades, like plan changes, are recorded by nurses and admins (as in the API's
    IsNurseOrAdmin); coordinators see them."""
    return getattr(user, "role", None) in (Role.NURSE, Role.ADMIN)


def may_export_cohorts(user: object) -> bool:
    """As the export API's IsCoordinatorOrAdmin."""
    return getattr(user, "role", None) in (Role.COORDINATOR, Role.ADMIN)

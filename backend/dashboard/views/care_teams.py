"""An administrator's care team settings: the phone number patients call and its hours, and
the local emergency number. Parse, authorise, call the accounts service."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from backend.accounts.models import CareTeam
from backend.accounts.roles import Role
from backend.accounts.services import care_team_contact_update
from backend.common.errors import ServiceValidationError

from ..access import StaffRequest, staff_required
from ..forms import CareTeamContactForm


def _admin_only(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.ADMIN:
        raise PermissionDenied("Care team settings are for administrators.")


@require_http_methods(["GET"])
@staff_required
def care_team_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    teams = CareTeam.objects.order_by("name")
    return render(request, "dashboard/care_teams.html", {"teams": teams, "nav": "teams"})


@require_http_methods(["GET", "POST"])
@staff_required
def care_team_contact(request: StaffRequest, care_team_id: int) -> HttpResponse:
    _admin_only(request)
    team = CareTeam.objects.filter(pk=care_team_id).first()
    if team is None:
        raise Http404
    initial = {"phone": team.phone, "hours": team.hours, "emergency_number": team.emergency_number}
    form = CareTeamContactForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                care_team_contact_update(
                    care_team=team,
                    changed_by=request.user,
                    **form.cleaned_data,
                )
            except ServiceValidationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.reason)
            else:
                return redirect(f"{reverse('dashboard:care-teams')}#team-{team.pk}")
    return render(
        request,
        "dashboard/care_team_contact.html",
        {"team": team, "form": form, "nav": "teams"},
        status=status,
    )

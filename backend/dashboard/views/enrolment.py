"""Enrolling a patient from the dashboard, and a new invitation code when a patient lost
access. Parse, authorise, call the accounts services, show the code once (it is never stored:
only its hash is), with a QR code of the app's activation link to show or print."""

from uuid import UUID
from zoneinfo import available_timezones

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts.models import Patient
from backend.accounts.selectors import care_teams_of, patient_visible_to
from backend.accounts.services import patient_enrol, patient_invitation_issue
from backend.common.errors import ServiceValidationError

from ..access import StaffRequest, staff_required
from ..forms import PatientEnrolForm

# Common zones first in the list the time-zone field suggests; every IANA name is accepted.
_TIME_ZONES = sorted(available_timezones())


@require_http_methods(["GET", "POST"])
@staff_required
def patient_enrol_page(request: StaffRequest) -> HttpResponse:
    teams = list(care_teams_of(request.user).order_by("name"))
    if not teams:
        raise PermissionDenied("Patients are enrolled by a member of their care team.")
    form = PatientEnrolForm(request.POST or None, care_teams=teams)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.cleaned_data
            try:
                patient, code = patient_enrol(
                    enrolled_by=request.user,
                    display_name=values["display_name"],
                    medical_record_number=values["medical_record_number"],
                    time_zone=values["time_zone"].strip(),
                    language=values["language"],
                    phone=values["phone"],
                    care_team_id=values["care_team"] or teams[0].pk,
                )
            except ServiceValidationError as error:
                shown = error.field in form.fields
                form.add_error(error.field if shown else None, error.reason)
            else:
                return _invitation_page(request, patient, code, status=201, new_patient=True)
    return render(
        request,
        "dashboard/enrol.html",
        {"form": form, "time_zones": _TIME_ZONES, "nav": "enrol"},
        status=status,
    )


@require_POST
@staff_required
def patient_invitation_new(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    """A new code (the confirmation is the form's checkbox: an activated patient's sessions
    and tokens end at once)."""
    patient = patient_visible_to(request.user, patient_id)
    if patient is None:
        raise Http404
    if patient.user_id is not None and request.POST.get("confirm") != "yes":
        return render(
            request,
            "dashboard/invitation_confirm.html",
            {"patient": patient, "error": "Tick the box to confirm."},
            status=400,
        )
    code = patient_invitation_issue(patient=patient, issued_by=request.user)
    return _invitation_page(request, patient, code, status=201, new_patient=False)


@require_http_methods(["GET"])
@staff_required
def patient_invitation_confirm(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    patient = patient_visible_to(request.user, patient_id)
    if patient is None:
        raise Http404
    return render(request, "dashboard/invitation_confirm.html", {"patient": patient})


def activation_link(request: HttpRequest, code: str) -> str:
    """The patient app's activation screen with the code filled in. The code is in the
    fragment, which browsers never send to a server (so no log holds it)."""
    return request.build_absolute_uri(f"/app/#/activate?code={code}")


def qr_svg(data: str) -> str:
    """An SVG QR code (segno: error correction M, no inline styles, so the CSP allows it)."""
    svg = segno.make(data, error="m").svg_inline(scale=4, border=2, title="Activation link")
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _invitation_page(
    request: HttpRequest, patient: Patient, code: str, *, status: int, new_patient: bool
) -> HttpResponse:
    link = activation_link(request, code)
    return render(
        request,
        "dashboard/invitation.html",
        {
            "patient": patient,
            "code": code,
            "link": link,
            "qr_svg": qr_svg(link),
            "valid_days": settings.INVITATION_VALID_DAYS,
            "new_patient": new_patient,
            "reactivation": patient.user_id is not None,
        },
        status=status,
    )

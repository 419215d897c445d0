"""The nurse's patient page and its clinician-grade form."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from backend.audit.services import audit_record_patient_reads
from backend.common.errors import ServiceValidationError
from backend.sideeffects.services import clinician_assessment_record

from ..access import may_record_clinical_changes, staff_required
from ..forms import ClinicianGradeForm
from ..presenters import patient_page_context
from ..selectors import PatientPage, gradable_report, patient_page
from ..templatetags.dashboard import symptom_label


def _page_or_404(request: HttpRequest, patient_id: object) -> PatientPage:
    page = patient_page(request.user, patient_id)
    if page is None:
        raise Http404("No such patient.")
    return page


def _report_choices(page: PatientPage) -> list[tuple[str, str]]:
    choices = []
    for report in page.gradable_reports:
        when = timezone.localtime(report.reported_at, timezone.get_fixed_timezone(0))
        choices.append(
            (
                str(report.pk),
                f"{symptom_label(report.symptom)}, {when:%d %b %Y %H:%M} UTC, "
                f"patient level {report.patient_level}",
            )
        )
    return choices


@require_GET
@staff_required
def patient_detail(request: HttpRequest, patient_id: object) -> HttpResponse:
    page = _page_or_404(request, patient_id)
    audit_record_patient_reads(
        actor=request.user, patients=[page.patient], action="dashboard.patient", request=request
    )
    form = ClinicianGradeForm(report_choices=_report_choices(page))
    context = patient_page_context(page, form, may_grade=may_record_clinical_changes(request.user))
    return render(request, "dashboard/patient.html", context)


@require_POST
@staff_required
def clinician_grade_record(request: HttpRequest, patient_id: object) -> HttpResponse:
    page = _page_or_404(request, patient_id)
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins record clinician grades.")
    form = ClinicianGradeForm(request.POST, report_choices=_report_choices(page))
    if form.is_valid():
        report = gradable_report(page.patient, form.cleaned_data["report"])
        if report is None:
            form.add_error("report", "Not one of this patient's recent reports.")
        else:
            try:
                clinician_assessment_record(
                    report=report,
                    assessed_by=request.user,
                    grade=form.cleaned_data["grade"],
                    note=form.cleaned_data["note"],
                )
            except ServiceValidationError as error:
                field = "grade" if error.field in ("grade", "ctcae_grade") else None
                form.add_error(field, error.reason)
            else:
                return redirect("dashboard:patient", patient_id=page.patient.pk)
    context = patient_page_context(page, form, may_grade=True)
    return render(request, "dashboard/patient.html", context, status=400)

"""The nurse's patient page, its clinician-grade form (with the CTCAE v5.0 term) and its
weight form."""

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.selectors import patient_visible_to
from backend.audit.services import audit_record_patient_reads
from backend.common.errors import ServiceValidationError
from backend.common.presentation.wording import symptom_label
from backend.labs.models import LabSource
from backend.labs.services import lab_results_record, panel_inputs
from backend.sideeffects.models import SideEffectReport
from backend.sideeffects.services import clinician_assessment_record, weight_record

from ..access import StaffRequest, may_record_clinical_changes, staff_required
from ..forms import ClinicianGradeForm, LabResultsForm, WeightForm
from ..presenters import GradeOptions, grade_options, patient_page_context, term_choices
from ..selectors import PatientPage, gradable_report, patient_page
from ..words import patient_reported_words
from .supply import SupplyCountForm, supply_context


def _page_or_404(request: StaffRequest, patient_id: UUID) -> PatientPage:
    page = patient_page(request.user, patient_id)
    if page is None:
        raise Http404("No such patient.")
    return page


def _report_choices(reports: list[SideEffectReport]) -> list[tuple[str, str]]:
    choices = []
    for report in reports:
        when = timezone.localtime(report.reported_at, timezone.get_fixed_timezone(0))
        flag = "RED FLAG, " if report.red_flags else ""
        choices.append(
            (
                str(report.pk),
                f"{flag}{symptom_label(report.symptom)}, {when:%d %b %Y %H:%M} UTC, "
                f"{patient_reported_words(report)}",
            )
        )
    return choices


def _grade_form(
    reports: list[SideEffectReport],
    data: Any = None,
    *,
    selected: SideEffectReport | None = None,
    initial: dict[str, Any] | None = None,
) -> tuple[ClinicianGradeForm, GradeOptions | None]:
    """The grade form over these reports. Once a report is chosen (sent, or `selected`), the
    selects offer that symptom's terms and the chosen term's grades only."""
    if selected is None and data is not None:
        selected = next((r for r in reports if str(r.pk) == data.get("report")), None)
    options = None
    if selected is not None:
        term = (data if data is not None else initial or {}).get("ctcae_term")
        options = grade_options(selected.symptom, term)
    terms = term_choices(r.symptom for r in reports)
    shown_terms = None
    if options is not None and terms:
        shown_terms = options.terms or [("", options.only_term_words)]
    form = ClinicianGradeForm(
        data,
        initial=initial,
        report_choices=_report_choices(reports),
        term_choices=terms,
        shown_terms=shown_terms,
        shown_grades=options.grades if options is not None else None,
    )
    return form, options


def _weight_form(data: Any = None) -> WeightForm:
    return WeightForm(data, initial={"client_id": uuid.uuid4()})


def _lab_form(data: Any = None, *, today: Any = None) -> LabResultsForm:
    form = LabResultsForm(data, initial={"client_id": uuid.uuid4(), "taken_on": today})
    if today is not None:
        form.fields["taken_on"].widget.attrs["max"] = today.isoformat()
    return form


def _render_page(
    request: HttpRequest,
    page: PatientPage,
    *,
    grade_form: ClinicianGradeForm | None = None,
    options: GradeOptions | None = None,
    weight_form: WeightForm | None = None,
    lab_form: LabResultsForm | None = None,
    supply_form: SupplyCountForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_change = may_record_clinical_changes(request.user)
    if grade_form is None:
        grade_form, options = _grade_form(page.gradable_reports)
    if may_change:
        weight_form = weight_form or _weight_form()
        weight_form.fields["measured_on"].widget.attrs["max"] = page.today.isoformat()
        lab_form = lab_form or _lab_form(today=page.today)
        lab_form.fields["taken_on"].widget.attrs["max"] = page.today.isoformat()
    context = patient_page_context(
        page,
        grade_form,
        may_grade=may_change,
        weight_form=weight_form if may_change else None,
        grade_options_shown=options,
        lab_form=lab_form if may_change else None,
    )
    # The report buttons' default period: the last 90 days of the patient's calendar, as the
    # export endpoints' own default.
    context["report_from"] = page.today - timedelta(days=89)
    context.update(supply_context(page.patient, request.user, supply_form))
    return render(request, "dashboard/patient.html", context, status=status)


@require_GET
@staff_required
def patient_detail(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    page = _page_or_404(request, patient_id)
    audit_record_patient_reads(
        actor=request.user, patients=[page.patient], action="dashboard.patient"
    )
    return _render_page(request, page)


@require_POST
@staff_required
def clinician_grade_record(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    page = _page_or_404(request, patient_id)
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins record clinician grades.")
    form, options = _grade_form(page.gradable_reports, request.POST)
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
                    ctcae_term=form.cleaned_data.get("ctcae_term"),
                )
            except ServiceValidationError as error:
                form.add_error(_grade_field(form, error.field), error.reason)
            else:
                return redirect("dashboard:patient", patient_id=page.patient.pk)
    return _render_page(request, page, grade_form=form, options=options, status=400)


def _grade_field(form: ClinicianGradeForm, field: str | None) -> str | None:
    """The form field a service refusal is about (None: the whole form)."""
    if field in ("grade", "ctcae_grade"):
        return "grade"
    if field == "ctcae_term":
        # Without a term select the usual term was graded: the refusal is about the grade.
        return "ctcae_term" if "ctcae_term" in form.fields else "grade"
    return field if field in form.fields else None


@require_GET
@staff_required
def clinician_grade_fields(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    """The term and grade selects for one report (htmx swaps them in when the nurse picks a
    report or a term). Shows only catalogue terms; the page read is audited already."""
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins record clinician grades.")
    patient = patient_visible_to(request.user, patient_id)
    if patient is None:
        raise Http404("No such patient.")
    try:
        report_id = uuid.UUID(request.GET.get("report", ""))
    except ValueError:
        raise Http404("No such report.") from None
    report = gradable_report(patient, report_id)
    if report is None:
        raise Http404("No such report.")
    form, options = _grade_form(
        [report],
        selected=report,
        initial={
            "report": str(report.pk),
            "ctcae_term": request.GET.get("ctcae_term", ""),
            "grade": request.GET.get("grade", ""),
        },
    )
    if options is not None and options.term is not None and "ctcae_term" in form.fields:
        form.initial["ctcae_term"] = options.term.name
    return render(
        request,
        "dashboard/partials/grade_fields.html",
        {"grade_form": form, "grade_options": options, "patient": patient, "load": False},
    )


@require_POST
@staff_required
def weight_record_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    page = _page_or_404(request, patient_id)
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins record weights.")
    form = WeightForm(request.POST)
    if form.is_valid():
        try:
            weight_record(
                patient=page.patient,
                recorded_by=request.user,
                client_id=form.cleaned_data["client_id"],
                weight_kg=form.cleaned_data["weight_kg"],
                measured_on=form.cleaned_data["measured_on"],
                baseline=form.cleaned_data["baseline"],
            )
        except ServiceValidationError as error:
            shown = error.field in form.fields and error.field != "client_id"
            form.add_error(error.field if shown else None, error.reason)
        else:
            url = reverse("dashboard:patient", kwargs={"patient_id": page.patient.pk})
            return redirect(f"{url}#weights-heading")
    return _render_page(request, page, weight_form=form, status=400)


@require_POST
@staff_required
def lab_results_record_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    """Results of one day from the page's form, through the labs service (checks, units,
    stored once, the label's hold alerts)."""
    page = _page_or_404(request, patient_id)
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins record lab results.")
    form = LabResultsForm(request.POST)
    if form.is_valid():
        try:
            lab_results_record(
                patient=page.patient,
                recorded_by=request.user,
                items=panel_inputs(form.cleaned_data["taken_on"], form.results()),
                source=LabSource.DASHBOARD,
                client_id=form.cleaned_data["client_id"],
            )
        except ServiceValidationError as error:  # a Conflict (409) too
            form.add_error(form.field_of(error.field), error.reason)
        else:
            url = reverse("dashboard:patient", kwargs={"patient_id": page.patient.pk})
            return redirect(f"{url}#labs-heading")
    return _render_page(request, page, lab_form=form, status=400)

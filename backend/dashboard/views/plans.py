"""Treatment plans from the dashboard (issue 21): make a plan with the guideline's suggestion
shown live beside the case, then change the dose (the ladder's steps), hold, resume and stop.
Each view parses, authorises and calls backend.adherence.services.plans; the services' refusals
are shown on the field they name.

A form sent twice (a double click, a resend after a slow answer) changes the plan once: under
the plan's row lock, a change identical to the one just made by the same nurse is taken as
done, and the nurse lands on the patient page as after the first."""

import uuid
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_local_today, patient_visible_to
from backend.adherence.guideline import guideline_recommendation
from backend.adherence.models import PlanHold, PlanRevision, PlanStatus, TreatmentPlan
from backend.adherence.selectors.plans import plan_current, plan_hold_of_plan
from backend.adherence.services import plans as plan_services
from backend.alerts.models import Alert
from backend.audit.services import audit_record_patient_reads
from backend.common.errors import ServiceValidationError
from backend.guidelines import CaseInvalid, escalation_options_on_progression, next_lower_dose
from backend.guidelines.rules import REDUCTION_LADDER_MG

from ..access import StaffRequest, may_record_clinical_changes, staff_required
from ..forms import (
    PlanCreateForm,
    PlanHoldForm,
    PlanResumeForm,
    PlanRevisionForm,
    PlanStopForm,
)
from ..selectors import visible_alert
from ..words import decision_words, reasons_in_words, risk_words

REASON_MAX = 2000


# ---------------------------------------------------------------- shared


def _patient_or_404(request: StaffRequest, patient_id: uuid.UUID) -> Patient:
    patient = patient_visible_to(request.user, patient_id)
    if patient is None:
        raise Http404("No such patient.")
    return patient


def _may_change_or_403(request: StaffRequest) -> None:
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins change treatment plans.")


def _plan_or_404(patient: Patient, *, active: bool) -> TreatmentPlan:
    """The patient's current plan (the active one, else the latest); with `active`, only an
    active one (a form for a stopped plan is not shown)."""
    plan = plan_current(patient)
    if plan is None or (active and plan.status != PlanStatus.ACTIVE):
        raise Http404("This patient has no active plan.")
    return plan


def _patient_url(patient: Patient, anchor: str = "plan-heading") -> str:
    return reverse("dashboard:patient", kwargs={"patient_id": patient.pk}) + f"#{anchor}"


def _audit_read(request: StaffRequest, patient: Patient, action: str) -> None:
    audit_record_patient_reads(
        actor=request.user,
        patients=[patient],
        action=action,
    )


def _latest_revision(plan: TreatmentPlan) -> PlanRevision:
    latest = PlanRevision.objects.filter(plan=plan).order_by("-number").first()
    assert latest is not None  # every plan is created with revision 1
    return latest


def _lock(plan: TreatmentPlan) -> TreatmentPlan:
    """The plan's row, locked until the transaction ends (the services lock it again: the
    same transaction, so they do not wait), so a second identical submission sees the first."""
    return TreatmentPlan.objects.select_for_update().get(pk=plan.pk)


def _refused(form: Any, error: ServiceValidationError) -> None:
    form.add_error(form.field_of(error.field), error.reason)


def _alert_for(request: StaffRequest, patient: Patient) -> Alert | None:
    """The alert a pre-filled form comes from (?alert=<id>): visible, and this patient's."""
    try:
        alert_id = uuid.UUID(request.GET.get("alert", ""))
    except ValueError:
        return None
    alert = visible_alert(request.user, alert_id)
    return alert if alert is not None and alert.patient_id == patient.pk else None


def alert_reason(alert: Alert) -> str:
    """A pre-filled reason: what the alert was about and what the nurse wrote resolving it."""
    words = f"{alert.get_kind_display()}: {alert.summary}".strip()
    if alert.resolution_note:
        words += f" — {alert.resolution_note}"
    return words[:REASON_MAX]


def _render_form(
    request: StaffRequest,
    patient: Patient,
    plan: TreatmentPlan,
    *,
    form: Any,
    kind: str,
    status: int = 200,
    alert: Alert | None = None,
    hold: PlanHold | None = None,
) -> HttpResponse:
    titles = {
        "dose": "Change the dose",
        "hold": "Hold the drug",
        "resume": "Resume the drug",
        "stop": "Stop the plan",
    }
    return render(
        request,
        "dashboard/plan_change.html",
        {
            "patient": patient,
            "plan": plan,
            "latest": _latest_revision(plan),
            "form": form,
            "kind": kind,
            "title": titles[kind],
            "alert": alert,
            "hold": hold,
            "action": request.path,
        },
        status=status,
    )


# ---------------------------------------------------------------- make a plan


def _create_form(data: Any = None, *, initial: dict[str, Any] | None = None) -> PlanCreateForm:
    return PlanCreateForm(data, initial=initial, dose_levels=plan_services.DOSE_LEVELS_MG)


def recommendation_context(form: PlanCreateForm) -> dict[str, Any]:
    """The guideline's suggestion for the case the form holds so far (the fields that are
    valid); when the case is not complete, what is still needed, in the guideline's words."""
    if not form.is_bound:
        return {"recommendation": None, "missing": ""}
    form.is_valid()  # the fields filled so far are in cleaned_data
    case = form.case()
    try:
        recommendation = guideline_recommendation(case)
    except CaseInvalid as error:
        field = form.fields.get(error.field)
        label = field.label if field is not None else error.field.replace("_", " ")
        return {"recommendation": None, "missing": f"{label}: {error.reason}"}
    end = recommendation.get("planned_end_date")
    return {
        "recommendation": recommendation,
        "decision_words": decision_words(recommendation["decision"]),
        "risk_lines": risk_words(recommendation.get("risk")),
        "reasons": reasons_in_words(recommendation),
        "end_date": date.fromisoformat(end) if isinstance(end, str) else end,
        "is_treat": recommendation["decision"] == "treat",
    }


@require_http_methods(["GET", "POST"])
@staff_required
def plan_new(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    _may_change_or_403(request)
    status = 200
    if request.method == "POST":
        form = _create_form(request.POST)
        status = 400
        if form.is_valid():
            try:
                plan_services.plan_create(
                    patient=patient,
                    created_by=request.user,
                    case=form.case(),
                    dose_times=form.dose_times(),
                    override=form.override(),
                    tablet_strengths_mg=form.tablet_strengths(),
                )
            except ServiceValidationError as error:  # a Conflict too (an active plan exists)
                if _same_plan_just_made(request, patient, form.case()):
                    return redirect(_patient_url(patient))
                _refused(form, error)
            else:
                return redirect(_patient_url(patient))
    else:
        current = plan_current(patient)
        if current is not None and current.status == PlanStatus.ACTIVE:
            return redirect(_patient_url(patient))
        _audit_read(request, patient, "dashboard.plan.new")
        form = _create_form(
            initial={
                "start_date": patient_local_today(patient),
                "dose_time_1": "08:00",
                "rupture": False,
            }
        )
    context = recommendation_context(_create_form(request.POST) if form.is_bound else form)
    return render(
        request,
        "dashboard/plan_new.html",
        {"patient": patient, "form": form, **context},
        status=status,
    )


def _same_plan_just_made(request: StaffRequest, patient: Patient, case: dict[str, Any]) -> bool:
    """A second submission of the form that made the patient's active plan."""
    plan = TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).first()
    return plan is not None and plan.created_by_id == request.user.pk and plan.case == case


@require_POST
@staff_required
def plan_recommendation(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The suggestion beside the form, re-drawn by htmx when a case field changes. Always 200:
    an incomplete case is not an error while the nurse is still typing."""
    patient = _patient_or_404(request, patient_id)
    _may_change_or_403(request)
    context = recommendation_context(_create_form(request.POST))
    return render(
        request, "dashboard/partials/plan_recommendation.html", {"patient": patient, **context}
    )


# ---------------------------------------------------------------- dose change


def dose_choices(plan: TreatmentPlan, current_mg: int) -> list[tuple[int, str]]:
    """The doses the guideline offers from the current one: one step down the ladder
    (800 -> 600 -> 400 -> 300), back up the ladder towards the starting dose (after a
    reduction), in advanced disease the escalation on progression (400 -> 600 or 800), and
    last the current dose (to change the dose times only)."""
    offered: dict[int, str] = {}
    lower = next_lower_dose(current_mg)
    if lower is not None:
        offered[lower] = f"{lower} mg/day (one step down the ladder)"
    first = PlanRevision.objects.filter(plan=plan, number=1).first()
    start_mg = first.dose_mg_per_day if first is not None else current_mg
    for level in REDUCTION_LADDER_MG:
        if current_mg < level <= start_mg:
            words = "back to the starting dose" if level == start_mg else "one step back up"
            offered.setdefault(level, f"{level} mg/day ({words})")
    if plan.setting == "advanced":
        for level in escalation_options_on_progression(current_mg):
            offered.setdefault(level, f"{level} mg/day (escalation on progression)")
    steps = sorted(offered.items(), reverse=True)
    # The current dose too: new dose times alone (and a form sent twice) stay on the ladder.
    return [*steps, (current_mg, f"{current_mg} mg/day (the current dose: new times only)")]


@require_http_methods(["GET", "POST"])
@staff_required
def plan_dose(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    _may_change_or_403(request)
    plan = _plan_or_404(patient, active=request.method == "GET")
    latest = _latest_revision(plan)
    choices = dose_choices(plan, latest.dose_mg_per_day)
    if request.method == "GET":
        _audit_read(request, patient, "dashboard.plan.dose")
        alert = _alert_for(request, patient)
        lower = next_lower_dose(latest.dose_mg_per_day)
        initial: dict[str, Any] = {
            "dose_time_1": latest.dose_times[0],
            "dose_time_2": latest.dose_times[1] if len(latest.dose_times) > 1 else "",
            "effective_date": patient_local_today(patient),
        }
        if alert is not None:
            initial.update(dose_mg_per_day=lower, reason=alert_reason(alert))
        form = PlanRevisionForm(initial=initial, dose_choices=choices)
        return _render_form(request, patient, plan, form=form, kind="dose", alert=alert)
    form = PlanRevisionForm(request.POST, dose_choices=choices)
    if form.is_valid():
        values = form.cleaned_data
        try:
            with transaction.atomic():
                _lock(plan)
                if not _same_revision_just_made(request, plan, form):
                    plan_services.plan_revise(
                        plan=plan,
                        created_by=request.user,
                        dose_mg_per_day=values["dose_mg_per_day"],
                        dose_times=form.dose_times(),
                        reason=values["reason"],
                        effective_date=values["effective_date"],
                        tablet_strengths_mg=values.get("tablet_strengths_mg") or None,
                    )
        except ServiceValidationError as error:
            _refused(form, error)
        else:
            return redirect(_patient_url(patient))
    return _render_form(request, patient, plan, form=form, kind="dose", status=400)


def _same_revision_just_made(
    request: StaffRequest, plan: TreatmentPlan, form: PlanRevisionForm
) -> bool:
    values = form.cleaned_data
    latest = _latest_revision(plan)
    return (
        latest.number > 1
        and latest.created_by_id == request.user.pk
        and latest.dose_mg_per_day == values["dose_mg_per_day"]
        and latest.dose_times == sorted(form.dose_times())
        and latest.reason == values["reason"].strip()
        and values["effective_date"] in (None, latest.effective_date)
    )


# ---------------------------------------------------------------- hold and resume


@require_http_methods(["GET", "POST"])
@staff_required
def plan_hold(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    _may_change_or_403(request)
    plan = _plan_or_404(patient, active=request.method == "GET")
    if request.method == "GET":
        _audit_read(request, patient, "dashboard.plan.hold")
        alert = _alert_for(request, patient)
        initial: dict[str, Any] = {"start_date": patient_local_today(patient)}
        if alert is not None:
            initial["reason"] = alert_reason(alert)
        form = PlanHoldForm(initial=initial)
        return _render_form(request, patient, plan, form=form, kind="hold", alert=alert)
    form = PlanHoldForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        try:
            with transaction.atomic():
                _lock(plan)
                same = PlanHold.objects.filter(
                    plan=plan,
                    created_by=request.user,
                    start_date=values["start_date"],
                    end_date=values["end_date"],
                    reason=values["reason"].strip(),
                ).exists()
                if not same:
                    plan_services.plan_hold_add(
                        plan=plan,
                        created_by=request.user,
                        start_date=values["start_date"],
                        end_date=values["end_date"],
                        reason=values["reason"],
                    )
        except ServiceValidationError as error:
            _refused(form, error)
        else:
            return redirect(_patient_url(patient))
    return _render_form(request, patient, plan, form=form, kind="hold", status=400)


@require_http_methods(["GET", "POST"])
@staff_required
def plan_resume(request: StaffRequest, patient_id: uuid.UUID, hold_id: int) -> HttpResponse:
    """End an open hold: the last day without the drug; doses are asked for from the day
    after."""
    patient = _patient_or_404(request, patient_id)
    _may_change_or_403(request)
    plan = _plan_or_404(patient, active=request.method == "GET")
    hold = plan_hold_of_plan(plan, hold_id)
    if hold is None:
        raise Http404("No such hold.")
    if request.method == "GET":
        if hold.end_date is not None:
            return redirect(_patient_url(patient))
        _audit_read(request, patient, "dashboard.plan.resume")
        yesterday = patient_local_today(patient) - timedelta(days=1)
        form = PlanResumeForm(initial={"end_date": max(hold.start_date, yesterday)})
        return _render_form(request, patient, plan, form=form, kind="resume", hold=hold)
    form = PlanResumeForm(request.POST)
    if form.is_valid():
        end = form.cleaned_data["end_date"]
        try:
            with transaction.atomic():
                _lock(plan)
                hold.refresh_from_db()
                # Sent twice: the first ended the hold as asked.
                if not (hold.end_date == end and hold.ended_by_id == request.user.pk):
                    plan_services.plan_hold_end(
                        hold=hold,
                        ended_by=request.user,
                        end_date=end,
                    )
        except ServiceValidationError as error:
            _refused(form, error)
        else:
            return redirect(_patient_url(patient))
    return _render_form(request, patient, plan, form=form, kind="resume", hold=hold, status=400)


# ---------------------------------------------------------------- stop


@require_http_methods(["GET", "POST"])
@staff_required
def plan_stop(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    _may_change_or_403(request)
    plan = _plan_or_404(patient, active=request.method == "GET")
    if request.method == "GET":
        _audit_read(request, patient, "dashboard.plan.stop")
        return _render_form(request, patient, plan, form=PlanStopForm(), kind="stop")
    form = PlanStopForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"].strip()
        try:
            with transaction.atomic():
                locked = _lock(plan)
                # Sent twice: the first stopped the plan as asked.
                if not (
                    locked.status == PlanStatus.STOPPED
                    and locked.stopped_by_id == request.user.pk
                    and locked.stop_reason == reason
                ):
                    plan_services.plan_stop(
                        plan=plan,
                        stopped_by=request.user,
                        reason=reason,
                    )
        except ServiceValidationError as error:
            _refused(form, error)
        else:
            return redirect(_patient_url(patient))
    return _render_form(request, patient, plan, form=form, kind="stop", status=400)


def prefilled_plan_form_url(alert: Alert, outcome: str) -> str | None:
    """Where a nurse confirms what an alert's outcome says was done to the dose: the hold form
    for "dose held", the dose-change form for "dose reduced", pre-filled from the alert."""
    name = {"dose_held": "dashboard:plan-hold", "dose_reduced": "dashboard:plan-dose"}.get(outcome)
    if name is None:
        return None
    plan = plan_current(alert.patient)
    if plan is None or plan.status != PlanStatus.ACTIVE:
        return None
    return reverse(name, kwargs={"patient_id": alert.patient_id}) + f"?alert={alert.pk}"

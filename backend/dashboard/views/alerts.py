"""The nurse's alert queue: list, refresh, acknowledge, resolve. Writes go through
alerts.services; each view only parses, authorises and renders."""

import time
from collections.abc import Callable, Iterable
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from backend.accounts.models import Patient
from backend.alerts import services as alert_services
from backend.alerts.models import Alert
from backend.audit.services import audit_record_patient_reads
from backend.common.errors import Conflict, ServiceValidationError

from ..access import StaffRequest, may_record_clinical_changes, staff_required
from ..forms import AlertQueueFilterForm, AlertResolveForm, form_errors
from ..presenters import patient_options, queue_rows
from ..selectors import alert_detail, alert_queue, patients_with_unresolved_alerts, visible_alert
from .plans import prefilled_plan_form_url

# A patient seen in the queue is written to the audit log at most this often per session:
# the queue refreshes itself every few seconds and would otherwise bury the log.
QUEUE_AUDIT_EVERY_SECONDS = 15 * 60


def _audit_queue_view(request: StaffRequest, patient_ids: Iterable[UUID]) -> None:
    """Patients named on the queue (its rows, and its patient filter's list) are read."""
    now = time.time()
    seen: dict[str, float] = request.session.get("queue_audited", {})
    due = {
        patient_id
        for patient_id in patient_ids
        if now - seen.get(str(patient_id), 0) >= QUEUE_AUDIT_EVERY_SECONDS
    }
    if not due:
        return
    audit_record_patient_reads(
        actor=request.user,
        patients=[Patient(pk=patient_id) for patient_id in due],
        action="dashboard.alert_queue",
    )
    fresh = {key: stamp for key, stamp in seen.items() if now - stamp < QUEUE_AUDIT_EVERY_SECONDS}
    fresh.update({str(patient_id): now for patient_id in due})
    request.session["queue_audited"] = fresh


def _queue_context(request: StaffRequest) -> tuple[dict, int]:
    form = AlertQueueFilterForm(request.GET)
    if not form.is_valid():
        return {"form": form, "errors": form_errors(form), "queue": None, "nav": "queue"}, 400
    values = form.cleaned_data
    queue = alert_queue(
        request.user,
        kind=values["kind"],
        priority=values["priority"],
        patient_id=values["patient"],
        page_number=values["page"] or 1,
    )
    alerts = list(queue.page.object_list)
    _audit_queue_view(request, [alert.patient_id for alert in alerts])
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form,
        "queue": queue,
        "rows": queue_rows(alerts),
        "filter_query": query.urlencode(),
        "refresh_url": f"{reverse('dashboard:alert-queue-rows')}?{request.GET.urlencode()}",
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "filtered": any(values[name] for name in ("kind", "priority", "patient")),
        "nav": "queue",
    }, 200


@require_GET
@staff_required
def alert_queue_page(request: StaffRequest) -> HttpResponse:
    context, status = _queue_context(request)
    # The patient filter names patients too (so they are audited); after a bad filter the
    # page shows the reason and no one.
    choices = patients_with_unresolved_alerts(request.user) if status == 200 else []
    _audit_queue_view(request, [patient_id for patient_id, _, _ in choices])
    context["patient_options"] = patient_options(choices, selected=request.GET.get("patient", ""))
    return render(request, "dashboard/alert_queue.html", context, status=status)


@require_GET
@staff_required
def alert_queue_rows(request: StaffRequest) -> HttpResponse:
    """The queue section alone, for the page's periodic refresh (with the title's count)."""
    context, status = _queue_context(request)
    if context["queue"] is None:
        # A filter that could not be read: say which (htmx swaps a 400 in), never an empty queue.
        return render(request, "dashboard/error_summary.html", context, status=status)
    return render(request, "dashboard/partials/alert_queue.html", context, status=status)


def _alert_or_404(request: StaffRequest, alert_id: UUID) -> Alert:
    alert = visible_alert(request.user, alert_id)
    if alert is None:
        raise Http404("No such alert.")
    return alert


def _row(
    request: StaffRequest, alert: Alert, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "dashboard/partials/alert_row.html",
        {"row": queue_rows([_alert_or_404(request, alert.pk)])[0], "row_error": error},
        status=status,
    )


def _row_action(
    request: StaffRequest, alert_id: UUID, action: Callable[..., object]
) -> HttpResponse:
    """A queue row's button: call the alerts service, answer with the row (htmx) or the
    queue; a conflict (already resolved, no app) is shown on the row."""
    alert = _alert_or_404(request, alert_id)
    try:
        action(alert=alert, user=request.user)
    except Conflict as error:
        if request.htmx:
            return _row(request, alert, error=error.reason, status=409)
        return redirect("dashboard:alert-queue")
    if request.htmx:
        return _row(request, alert)
    return redirect("dashboard:alert-queue")


@require_POST
@staff_required
def alert_acknowledge(request: StaffRequest, alert_id: UUID) -> HttpResponse:
    return _row_action(request, alert_id, alert_services.alert_acknowledge)


@require_POST
@staff_required
def alert_ask_to_call(request: StaffRequest, alert_id: UUID) -> HttpResponse:
    """A push to the patient asking them to phone the care team (alerts.services)."""
    return _row_action(request, alert_id, alert_services.alert_ask_patient_to_call)


@staff_required
def alert_resolve(request: StaffRequest, alert_id: UUID) -> HttpResponse:
    """GET: the small form (into the side panel, or as a page without JavaScript). POST: resolve,
    then tell the queue to refresh."""
    alert = _alert_or_404(request, alert_id)
    template = (
        "dashboard/partials/resolve_form.html" if request.htmx else "dashboard/resolve_page.html"
    )
    if request.method == "GET":
        return render(request, template, {"alert": alert, "form": AlertResolveForm()})
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    form = AlertResolveForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            alert_services.alert_resolve(
                alert=alert,
                user=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except Conflict as error:  # a Conflict is a ServiceValidationError: first
            form.add_error(None, error.reason)
            status = 409
        except ServiceValidationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.reason)
        else:
            # "Dose held" / "dose reduced": the nurse confirms the hold or the new dose on the
            # plan's form, pre-filled from the alert; the plan changes only when it is sent.
            confirm_url = (
                prefilled_plan_form_url(alert, form.cleaned_data["outcome"])
                if may_record_clinical_changes(request.user)
                else None
            )
            if confirm_url is not None:
                if request.htmx:
                    return HttpResponseClientRedirect(confirm_url)
                return redirect(confirm_url)
            if request.htmx:
                resolved = _alert_or_404(request, alert.pk)
                response = render(
                    request, "dashboard/partials/resolve_done.html", {"alert": resolved}
                )
                response["HX-Trigger"] = "alerts-changed"
                return response
            return redirect("dashboard:alert-queue")
    return render(request, template, {"alert": alert, "form": form}, status=status)


@require_GET
@staff_required
def alert_detail_page(request: StaffRequest, alert_id: UUID) -> HttpResponse:
    """One alert with what a nurse needs to triage it; a read of the patient's data."""
    detail = alert_detail(request.user, alert_id)
    if detail is None:
        raise Http404("No such alert.")
    audit_record_patient_reads(
        actor=request.user,
        patients=[detail.patient],
        action="dashboard.alert.view",
        detail={"alert": str(detail.alert.pk)},
    )
    return render(request, "dashboard/alert_detail.html", {"detail": detail, "nav": "queue"})

"""The cohort page's exports: the coordinator asks for an export; one estimated to take more
than about 10 seconds (services.export_size_check) is prepared in the background and its
progress shows on the cohort page; a smaller one downloads straight from the export
endpoint. Either may be pseudonymised (a study id in place of the patient's name, record
number and id)."""

from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from backend.common.dates import date_out_of_range_reason
from backend.common.errors import ServiceValidationError
from backend.reports.models import ExportKind
from backend.reports.selectors import export_jobs_of
from backend.reports.services import (
    export_in_background,
    export_job_request,
    export_request_check,
)

from ..access import StaffRequest, may_export_cohorts, staff_required

JOBS_SHOWN = 5
DOWNLOAD_PATHS: dict[str, str] = {
    ExportKind.ADHERENCE_CSV: "/api/v1/exports/adherence.csv",
    ExportKind.ADHERENCE_XLSX: "/api/v1/exports/adherence.xlsx",
    ExportKind.DOSES_CSV: "/api/v1/exports/doses.csv",
}


def export_jobs_context(request: StaffRequest) -> dict:
    jobs = list(export_jobs_of(request.user)[:JOBS_SHOWN])
    return {"jobs": jobs, "jobs_running": any(job.status in ("queued", "running") for job in jobs)}


@staff_required
def export_jobs(request: StaffRequest) -> HttpResponse:
    """GET: the user's recent exports (polled while one runs). POST: an export; a small one
    is downloaded at once from the export endpoint, a large one is prepared in the background
    and the cohort page shows its progress."""
    if not may_export_cohorts(request.user):
        raise PermissionDenied("Cohort exports are for coordinators and admins.")
    if request.method == "GET":
        context = {**export_jobs_context(request), "export_error": None}
        return render(request, "dashboard/partials/export_jobs.html", context)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    kind = request.POST.get("kind", "")
    try:
        export = export_request_check(
            user=request.user,
            first=_date(request.POST.get("from"), "from"),
            last=_date(request.POST.get("to"), "to"),
            care_team_id=_team(request.POST.get("care_team")),
            pseudonymised=request.POST.get("pseudonymised") in ("on", "true", "1"),
        )
        if kind not in DOWNLOAD_PATHS:
            raise ServiceValidationError("kind", f"Must be one of: {', '.join(DOWNLOAD_PATHS)}.")
        if not export_in_background(user=request.user, request=export):
            query = {k: v for k, v in export.filters().items() if v is not None}
            if export.pseudonymised:
                query["pseudonymised"] = "true"
            return HttpResponseRedirect(f"{DOWNLOAD_PATHS[kind]}?{urlencode(query)}", status=303)
        export_job_request(user=request.user, kind=kind, export=export)
    except ServiceValidationError as refused:
        context = {
            **export_jobs_context(request),
            "export_error": {"field": refused.field, "reason": refused.reason},
        }
        return render(request, "dashboard/partials/export_jobs.html", context, status=400)
    return HttpResponseRedirect(reverse("dashboard:cohort") + "#exports-heading", status=303)


def _date(value: str | None, field: str) -> date:
    try:
        parsed = date.fromisoformat(value or "")
    except ValueError:
        raise ServiceValidationError(field, "Give a date as YYYY-MM-DD.") from None
    reason = date_out_of_range_reason(parsed)
    if reason is not None:
        raise ServiceValidationError(field, reason)
    return parsed


def _team(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ServiceValidationError("care_team", "Unknown care team.") from None

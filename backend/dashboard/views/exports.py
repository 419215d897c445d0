"""The cohort page's exports: the coordinator asks for a background export of a large cohort
and watches its progress; small cohorts download straight from the export endpoints."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from backend.common.errors import ServiceValidationError
from backend.reports.models import ExportKind
from backend.reports.selectors import export_jobs_of
from backend.reports.services import export_job_request, export_request_check

from ..access import may_export_cohorts, staff_required

JOBS_SHOWN = 5


def export_jobs_context(request: HttpRequest) -> dict:
    jobs = list(export_jobs_of(request.user)[:JOBS_SHOWN])
    return {"jobs": jobs, "jobs_running": any(job.status in ("queued", "running") for job in jobs)}


@staff_required
def export_jobs(request: HttpRequest) -> HttpResponse:
    """GET: the list of the user's recent exports (polled while one runs). POST: ask for one."""
    if not may_export_cohorts(request.user):
        raise PermissionDenied("Cohort exports are for coordinators and admins.")
    status = 200
    error = None
    if request.method == "POST":
        try:
            export = export_request_check(
                user=request.user,
                first=_date(request.POST.get("from"), "from"),
                last=_date(request.POST.get("to"), "to"),
                care_team_id=_team(request.POST.get("care_team")),
            )
            export_job_request(user=request.user, kind=request.POST.get("kind", ""), export=export)
        except ServiceValidationError as refused:
            error = {"field": refused.field, "reason": refused.reason}
            status = 400
        else:
            if not request.htmx:
                return redirect("dashboard:cohort")
    elif request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    context = {**export_jobs_context(request), "export_error": error, "kinds": ExportKind}
    return render(request, "dashboard/partials/export_jobs.html", context, status=status)


def _date(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ServiceValidationError(field, "Give a date as YYYY-MM-DD.") from None


def _team(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ServiceValidationError("care_team", "Unknown care team.") from None

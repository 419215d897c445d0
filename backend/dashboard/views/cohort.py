"""The coordinator's cohort view."""

from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from backend.accounts.selectors import care_teams_of
from backend.audit.services import audit_record_patient_reads
from backend.reports.models import ExportKind

from ..access import StaffRequest, may_export_cohorts, staff_required
from ..forms import COHORT_SORTS, CohortFilterForm, form_errors
from ..selectors import cohort, timezone_today
from .exports import export_jobs_context


@require_GET
@staff_required
def cohort_page(request: StaffRequest) -> HttpResponse:
    teams = list(care_teams_of(request.user).order_by("name"))
    form = CohortFilterForm(request.GET, care_team_choices=[(team.pk, team.name) for team in teams])
    context = {"form": form, "teams": teams, "nav": "cohort", "sorts": COHORT_SORTS}
    if not form.is_valid():
        context["errors"] = form_errors(form)
        return render(request, "dashboard/cohort.html", context, status=400)
    values = form.cleaned_data
    sort = values["sort"] or "name"
    descending = values["order"] == "desc"
    result = cohort(
        request.user,
        care_team_id=values["care_team"],
        band=values["band"],
        ending_within_days=values["ending_within"],
        sort=sort,
        descending=descending,
        page_number=values["page"] or 1,
    )
    audit_record_patient_reads(
        actor=request.user,
        patients=[line.patient for line in result.page.object_list],
        action="dashboard.cohort",
    )
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = request.GET.copy()
    for name in ("sort", "order", "page"):
        sort_query.pop(name, None)
    if may_export_cohorts(request.user):
        last = timezone_today()
        context.update(
            export_jobs_context(request),
            may_export=True,
            export_from=last - timedelta(days=89),
            export_to=last,
            export_threshold=settings.EXPORT_ASYNC_MIN_PATIENTS,
            export_patient_days=settings.EXPORT_ASYNC_MIN_PATIENT_DAYS,
            export_link_hours=settings.EXPORT_LINK_HOURS,
            kinds=ExportKind,
        )
    context.update(
        cohort=result,
        sort=sort,
        descending=descending,
        filter_query=query.urlencode(),
        sort_query=sort_query.urlencode(),
    )
    return render(request, "dashboard/cohort.html", context)

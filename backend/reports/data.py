"""What a per-patient report (PDF, FHIR) is made of, read once with a fixed number of queries.
The figures come from the owning apps' selectors: PDC and streaks from
adherence.selectors.doses (one definition everywhere), reports and grades from sideeffects,
alerts from alerts."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.accounts.models import Patient
from backend.adherence.metrics import AdherenceMetrics
from backend.adherence.selectors.doses import CalendarDose, dose_calendar, metrics_from_calendar
from backend.adherence.selectors.plans import PlanSummary, plan_summary, plans_of_patient
from backend.alerts.models import Alert
from backend.alerts.selectors import alerts_of_patient
from backend.guidelines.symptoms import SOURCES
from backend.sideeffects.models import SideEffectReport
from backend.sideeffects.selectors import reports_of_patient


@dataclass(frozen=True)
class Reason:
    """One of the guideline's reasons for the plan, with its sources as (code, title)."""

    rule: str
    text: str
    sources: list[tuple[str, str]]


@dataclass(frozen=True)
class PatientReportData:
    patient: Patient  # with care_team loaded
    first: date  # the report's first and last local days, inclusive
    last: date
    generated_at: datetime
    plans: list[PlanSummary]  # plans overlapping [first, last], oldest first, as of `last`
    reasons: list[Reason]  # of the most recent of those plans
    metrics: AdherenceMetrics  # over [first, last]
    calendar: list[CalendarDose]  # every scheduled dose in [first, last], with its log
    reports: list[SideEffectReport]  # reported in the range, oldest first; assessments loaded
    alerts: list[Alert]  # opened in the range, or unresolved now; oldest first

    @property
    def plan(self) -> PlanSummary | None:
        return self.plans[-1] if self.plans else None


def local_day_bounds(first: date, last: date, time_zone: str) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in the patient's zone, as instants."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    return start, end


def reasons_of(summary: PlanSummary | None) -> list[Reason]:
    if summary is None:
        return []
    return [
        Reason(
            rule=reason.get("rule", ""),
            text=reason.get("text", ""),
            sources=[(code, SOURCES.get(code, code)) for code in reason.get("sources", [])],
        )
        for reason in summary.plan.recommendation.get("reasons", [])
    ]


def patient_report_data(patient: Patient, first: date, last: date) -> PatientReportData:
    """Callers pass a patient already scoped by accounts.selectors.patients_visible_to."""
    calendar = dose_calendar(patient, first, last)
    plans = [
        plan_summary(plan, last)
        for plan in reversed(plans_of_patient(patient))
        if plan.start_date <= last
        and (plan.planned_end_date is None or plan.planned_end_date >= first)
    ]
    start, end = local_day_bounds(first, last, patient.time_zone)
    reports = list(
        reports_of_patient(patient)
        .filter(reported_at__gte=start, reported_at__lt=end)
        .select_related("reported_by")
        .order_by("reported_at", "id")
    )
    latest = plans[-1] if plans else None
    return PatientReportData(
        patient=patient,
        first=first,
        last=last,
        generated_at=timezone.now(),
        plans=plans,
        reasons=reasons_of(latest),
        metrics=metrics_from_calendar(calendar, first=first, last=last),
        calendar=calendar,
        reports=reports,
        alerts=alerts_of_patient(patient, opened_from=start, opened_to=end),
    )

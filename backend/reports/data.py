"""What a per-patient report (PDF, FHIR) is made of, read once with a fixed number of queries.
The figures come from the owning apps' selectors: PDC and streaks from
adherence.selectors.doses (one definition everywhere), reports and grades from sideeffects,
alerts from alerts, lab results from labs."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_zone_periods
from backend.adherence.metrics import AdherenceMetrics
from backend.adherence.selectors.doses import (
    CalendarDose,
    dose_calendar,
    metrics_from_calendar,
    plan_last_dose_date,
)
from backend.adherence.selectors.plans import (
    PlanSummary,
    plan_summary,
    plans_of_patient,
)
from backend.alerts.models import Alert
from backend.alerts.selectors import alerts_of_patient
from backend.guidelines.recommendation import flags_in_words, reason_words
from backend.labs.models import LabResult
from backend.labs.selectors import lab_results_of_patient
from backend.sideeffects.models import SideEffectReport
from backend.sideeffects.selectors import reports_in_period


@dataclass(frozen=True)
class Reason:
    """One of the guideline's reasons for a plan, as a clinician reads it."""

    rule: str
    text: str  # without any old bracketed status note
    status: str  # C, C-2nd, UNCONFIRMED or DESIGN
    status_words: str | None  # the status in plain words; None when confirmed
    sources: list[tuple[str, str]]  # (id, the primary reference)


@dataclass(frozen=True)
class PatientReportData:
    patient: Patient  # with care_team loaded
    first: date  # the report's first and last local days, inclusive
    last: date
    period_start: datetime  # local midnight starting `first` (local_day_bounds)
    period_end: datetime  # local midnight after `last` (exclusive)
    generated_at: datetime
    plans: list[PlanSummary]  # plans overlapping [first, last], oldest first, as of `last`
    reasons: list[Reason]  # of the most recent of those plans
    metrics: AdherenceMetrics  # over [first, last]
    calendar: list[CalendarDose]  # every scheduled dose in [first, last], with its log
    reports: list[SideEffectReport]  # reported in the range, oldest first; assessments loaded
    alerts: list[Alert]  # opened in the range, or unresolved now; oldest first
    # taken in [first, last] (the patient's local days), oldest first
    lab_results: list[LabResult] = field(default_factory=list)

    @property
    def plan(self) -> PlanSummary | None:
        return self.plans[-1] if self.plans else None


def local_day_bounds(patient: Patient, first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) as instants, each in the zone the
    patient was in on that day (as the dose calendar counts days)."""
    periods = patient_zone_periods(patient)

    def midnight(day: date) -> datetime:
        zone = periods[0][1]
        for starts, name in periods:
            if starts <= day:
                zone = name
        return datetime.combine(day, time.min, ZoneInfo(zone))

    return midnight(first), midnight(last + timedelta(days=1))


def reasons_of(summary: PlanSummary | None) -> list[Reason]:
    """The reasons stored with the plan's recommendation (of any guideline version: old
    bracketed status notes become the status)."""
    if summary is None:
        return []
    reasons = []
    for stored in summary.plan.recommendation.get("reasons", []):
        words = reason_words(stored)
        reasons.append(
            Reason(
                rule=words["rule"],
                text=words["text"],
                status=words["status"],
                status_words=words["status_words"],
                sources=[(code, citation) for code, citation, _note in words["sources"]],
            )
        )
    return reasons


def patient_report_data(patient: Patient, first: date, last: date) -> PatientReportData:
    """Callers pass a patient already scoped by accounts.selectors.patients_visible_to."""
    if first > last:
        raise ValueError("first must not be after last")
    calendar = dose_calendar(patient, first, last)
    plans = []
    for plan in reversed(plans_of_patient(patient)):
        last_dose = plan_last_dose_date(plan)  # a stopped plan ends the day it was stopped
        if plan.start_date <= last and (last_dose is None or last_dose >= first):
            plans.append(plan_summary(plan, last))
    start, end = local_day_bounds(patient, first, last)
    reports = reports_in_period(patient, start, end)
    latest = plans[-1] if plans else None
    return PatientReportData(
        patient=patient,
        first=first,
        last=last,
        period_start=start,
        period_end=end,
        generated_at=timezone.now(),
        plans=plans,
        reasons=reasons_of(latest),
        metrics=metrics_from_calendar(calendar, first=first, last=last),
        calendar=calendar,
        reports=reports,
        alerts=alerts_of_patient(patient, opened_from=start, opened_to=end),
        lab_results=list(
            lab_results_of_patient(patient)
            .filter(taken_on__range=(first, last))
            .order_by("taken_on", "recorded_at", "test")
        ),
    )


def flag_sentences(flags: list[str]) -> list[str]:
    """A plan's flags as sentences for a printed or exported report. There is no tooltip on
    paper, so the ids of the rules behind a status follow its words."""
    sentences = []
    for entry in flags_in_words(flags):
        words = entry["words"]
        if entry["is_status"]:
            codes = entry["codes"]
            label = "rule" if len(codes) == 1 else "rules"
            words = f"{words[:1].upper()}{words[1:]} ({label}: {', '.join(codes)})"
        sentences.append(words)
    return sentences

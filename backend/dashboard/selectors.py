"""Reads behind the dashboard pages, composed from the owning apps' selectors. Every query
starts from accounts.selectors.patients_visible_to, so a page can show nothing of another
team's patients; each page reads with a fixed number of queries."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from backend.accounts.models import Patient, User
from backend.accounts.selectors import (
    patient_local_today,
    patient_visible_to,
    patients_visible_to,
)
from backend.adherence.metrics import AdherenceMetrics
from backend.adherence.selectors.cohort import cohort_rows
from backend.adherence.selectors.doses import CalendarDose, dose_calendar, metrics_from_calendar
from backend.adherence.selectors.plans import PlanSummary, plan_current, plan_summary
from backend.alerts.models import Alert, AlertStatus
from backend.alerts.selectors import alerts_filtered, alerts_visible_to, unresolved_alert_counts
from backend.guidelines.review_status import ReviewPointStatus
from backend.guidelines.symptoms import SYMPTOMS
from backend.labs.models import LabResult
from backend.labs.selectors import lab_results_of_patient, review_points_of_patient
from backend.sideeffects.models import SideEffectReport, WeightMeasurement
from backend.sideeffects.selectors import reports_of_patient, weight_baseline, weights_of_patient

CALENDAR_DAYS = 90
SYMPTOM_CHART_DAYS = 90
ALERT_HISTORY_LIMIT = 50
GRADABLE_REPORTS_LIMIT = 30
WEIGHT_TREND_DAYS = 180
WEIGHT_TREND_LIMIT = 60
LAB_TREND_DAYS = 365
LAB_TREND_LIMIT = 300


# What the queue's rows show (dashboard.presenters.queue_rows reads nothing else): the page
# reads only these columns of its 50 alerts, their patients and acknowledging users. Building
# full model instances (passwords, notes, JSON details) was a third of the page's query time.
QUEUE_ROW_FIELDS = (
    "id",
    "patient_id",
    "kind",
    "priority",
    "status",
    "summary",
    "advice",
    "occurrences",
    "opened_at",
    "priority_since",
    "escalated_at",
    "acknowledged_at",
    "acknowledged_by_id",
    "call_requested_at",
    "patient__id",
    "patient__display_name",
    "patient__medical_record_number",
    "patient__user_id",
    "acknowledged_by__id",
    "acknowledged_by__username",
)


@dataclass(frozen=True)
class AlertQueue:
    page: "Page[Alert]"  # urgent first, then high, then oldest first
    new_count: int  # not yet acknowledged, across all the user's unresolved alerts
    unresolved_count: int  # open or acknowledged, across all the user's alerts


class _CountedPaginator(Paginator):  # type: ignore[type-arg]  # generic only to mypy
    """A paginator given its count, read beforehand with the queue's other counts."""

    def __init__(self, object_list: QuerySet[Alert], per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def alert_queue(
    user: User,
    *,
    kind: str = "",
    priority: str = "",
    patient_id: UUID | str | None = None,
    page_number: int = 1,
) -> AlertQueue:
    """The nurse's queue: two queries (the counts, then one page of rows)."""
    counts = unresolved_alert_counts(
        user, kind=kind or None, priority=priority or None, patient_id=patient_id
    )
    alerts: QuerySet[Alert] = (
        alerts_filtered(user, kind=kind or None, priority=priority or None, patient_id=patient_id)
        .select_related(None)
        .select_related("patient", "acknowledged_by")
        .only(*QUEUE_ROW_FIELDS)
    )
    paginator = _CountedPaginator(alerts, settings.DASHBOARD_PAGE_SIZE, counts.matching)
    page = paginator.get_page(page_number)
    return AlertQueue(page=page, new_count=counts.new, unresolved_count=counts.unresolved)


def patients_with_unresolved_alerts(user: User) -> list[tuple[UUID, str, str]]:
    """The queue's patient filter: (id, name, record number) of whoever has something
    unresolved, in one query of three columns (hundreds of rows on a busy team)."""
    unresolved = alerts_visible_to(user).exclude(status=AlertStatus.RESOLVED)
    return list(
        patients_visible_to(user)
        .filter(pk__in=unresolved.values("patient_id"))
        .order_by("display_name", "id")
        .values_list("id", "display_name", "medical_record_number")
    )


def visible_alert(user: User, alert_id: UUID | str) -> Alert | None:
    return alerts_visible_to(user).filter(pk=alert_id).first()


@dataclass(frozen=True)
class SymptomHistory:
    code: str
    label: str
    reports: list[SideEffectReport]  # oldest first, with their assessments prefetched


@dataclass(frozen=True)
class PatientPage:
    patient: Patient
    today: date
    summary: PlanSummary | None
    calendar: list[CalendarDose]
    calendar_first: date
    pdc_30: AdherenceMetrics
    pdc_90: AdherenceMetrics
    symptoms: list[SymptomHistory]
    gradable_reports: list[SideEffectReport]
    alerts: list[Alert]
    weights: list[WeightMeasurement]  # newest first, the last WEIGHT_TREND_DAYS local days
    weight_baseline: WeightMeasurement | None  # the one gains are measured from (any age)
    # Oldest first: the results taken in the last LAB_TREND_DAYS local days (at most
    # LAB_TREND_LIMIT, the newest kept).
    lab_results: list[LabResult]
    review_points: list[ReviewPointStatus]  # the current plan's, oldest first, with status


def patient_page(user: User, patient_id: UUID | str) -> PatientPage | None:
    """Everything on the nurse's patient page, or None when the user may not see the patient.

    The 90-day calendar is read once and both PDC windows are computed from it."""
    patient = patient_visible_to(user, patient_id)
    if patient is None:
        return None
    today = patient_local_today(patient)
    first = today - timedelta(days=CALENDAR_DAYS - 1)
    calendar = dose_calendar(patient, first, today)
    plan = plan_current(patient)
    summary = plan_summary(plan, today) if plan is not None else None

    chart_from = today - timedelta(days=SYMPTOM_CHART_DAYS)
    reports = list(
        reports_of_patient(patient)
        .filter(reported_at__date__gte=chart_from)
        .order_by("reported_at")
    )
    by_symptom: dict[str, list[SideEffectReport]] = {}
    for report in reports:
        by_symptom.setdefault(report.symptom, []).append(report)
    symptoms = [
        SymptomHistory(
            code=code,
            label=SYMPTOMS[code].label if code in SYMPTOMS else code,
            reports=items,
        )
        for code, items in sorted(by_symptom.items())
    ]
    alerts = list(
        alerts_visible_to(user).filter(patient=patient).order_by("-opened_at")[:ALERT_HISTORY_LIMIT]
    )
    weights = list(
        weights_of_patient(patient).filter(
            measured_on__gte=today - timedelta(days=WEIGHT_TREND_DAYS)
        )[:WEIGHT_TREND_LIMIT]
    )
    labs = list(
        lab_results_of_patient(patient).filter(
            taken_on__gte=today - timedelta(days=LAB_TREND_DAYS - 1)
        )[:LAB_TREND_LIMIT]
    )
    labs.reverse()
    return PatientPage(
        patient=patient,
        today=today,
        summary=summary,
        calendar=calendar,
        calendar_first=first,
        pdc_30=metrics_from_calendar(
            (d for d in calendar if d.dose.date >= today - timedelta(days=29)),
            first=today - timedelta(days=29),
            last=today,
        ),
        pdc_90=metrics_from_calendar(calendar, first=first, last=today),
        symptoms=symptoms,
        gradable_reports=list(reversed(reports))[:GRADABLE_REPORTS_LIMIT],
        alerts=alerts,
        weights=weights,
        weight_baseline=weight_baseline(patient),
        lab_results=labs,
        review_points=review_points_of_patient(patient, today, plan=plan),
    )


def gradable_report(patient: Patient, report_id: UUID | str) -> SideEffectReport | None:
    return reports_of_patient(patient).filter(pk=report_id).first()


@dataclass(frozen=True)
class CohortLine:
    patient: Patient
    pdc_30: AdherenceMetrics
    pdc_90: AdherenceMetrics
    current_missed_streak: int
    open_alerts: int
    plan: PlanSummary | None

    @property
    def planned_end_date(self) -> date | None:
        return self.plan.plan.planned_end_date if self.plan else None

    @property
    def days_on_drug(self) -> int | None:
        return self.plan.exposure.days_on_drug if self.plan else None


def _none_last(value: object, descending: bool) -> tuple[bool, object]:
    """Sort key that keeps rows with no figure at the end in either direction."""
    return (value is None) != descending, value if value is not None else 0


_COHORT_SORT_KEYS: dict[str, Callable[[CohortLine], object]] = {
    "name": lambda line: line.patient.display_name.casefold(),
    "pdc_30": lambda line: line.pdc_30.pdc.percent,
    "pdc_90": lambda line: line.pdc_90.pdc.percent,
    "streak": lambda line: line.current_missed_streak,
    "open_alerts": lambda line: line.open_alerts,
    "end_date": lambda line: line.planned_end_date,
    "days_on_drug": lambda line: line.days_on_drug,
}


@dataclass(frozen=True)
class Cohort:
    page: "Page[CohortLine]"  # Page is generic only to mypy
    total_patients: int  # in the chosen teams, before the band / ending filters


def cohort(
    user: User,
    *,
    care_team_id: int | None = None,
    band: str = "",
    ending_within_days: int | None = None,
    sort: str = "name",
    descending: bool = False,
    page_number: int = 1,
) -> Cohort:
    """The coordinator's cohort: every visible patient with PDC over 30 and 90 days, current
    missed streak, open alerts, plan end and days on drug, each as of the patient's own local
    today (the patient page's figures, to the digit).

    A bounded number of queries whatever the cohort's size: patients with their zone changes,
    open-alert counts, and cohort_rows' five for each local date the patients are on (at most
    three at any instant); the figures come from adherence.selectors.cohort, the one
    definition of PDC and streaks."""
    now = timezone.now()
    patients_query = patients_visible_to(user).order_by("display_name", "id")
    if care_team_id is not None:
        patients_query = patients_query.filter(care_team_id=care_team_id)
    patients = list(patients_query.prefetch_related("zone_changes"))
    open_counts = dict(
        alerts_visible_to(user)
        .filter(patient__in=[p.pk for p in patients])
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("patient_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    by_local_today: dict[date, list[Patient]] = {}
    for patient in patients:
        by_local_today.setdefault(patient_local_today(patient, now), []).append(patient)
    rows = {}
    today_of = {}
    for today, group in by_local_today.items():
        windows = [(today - timedelta(days=29), today), (today - timedelta(days=89), today)]
        rows.update(cohort_rows(group, windows, instant=now))
        today_of.update({patient.pk: today for patient in group})
    lines = []
    for patient in patients:
        row = rows[patient.pk]
        pdc_30, pdc_90 = row.metrics
        lines.append(
            CohortLine(
                patient=patient,
                pdc_30=pdc_30,
                pdc_90=pdc_90,
                current_missed_streak=pdc_90.current_missed_streak,
                open_alerts=open_counts.get(patient.pk, 0),
                plan=row.current_plan,
            )
        )
    if band == "no_data":
        lines = [line for line in lines if line.pdc_90.pdc.band is None]
    elif band:
        lines = [line for line in lines if line.pdc_90.pdc.band == band]
    if ending_within_days is not None:
        lines = [
            line
            for line in lines
            if line.planned_end_date is not None
            and 0 <= (line.planned_end_date - today_of[line.patient.pk]).days <= ending_within_days
        ]
    key = _COHORT_SORT_KEYS.get(sort, _COHORT_SORT_KEYS["name"])
    lines.sort(key=lambda line: _none_last(key(line), descending), reverse=descending)
    page = Paginator(lines, settings.DASHBOARD_PAGE_SIZE).get_page(page_number)
    return Cohort(page=page, total_patients=len(patients))


def timezone_today() -> date:
    return timezone.now().date()


# ---------------------------------------------------------------- one alert, with its context

PREVIOUS_REPORTS_SHOWN = 5
WEIGHTS_SHOWN = 6


@dataclass(frozen=True)
class AlertDetail:
    """What a nurse needs beside an alert to triage it (issue 21): every report that fed it,
    the earlier reports of the same symptom, the weight trend, the dose and the plan day."""

    alert: Alert
    patient: Patient
    fed_by: list[SideEffectReport]
    previous: list[SideEffectReport]
    weights: list[WeightMeasurement]
    baseline: WeightMeasurement | None
    summary: PlanSummary | None


def alert_detail(user: User, alert_id: UUID | str) -> AlertDetail | None:
    alert = (
        alerts_visible_to(user)
        .select_related("patient__care_team", "acknowledged_by", "resolved_by")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None:
        return None
    patient = alert.patient
    details = alert.details or {}
    report_ids = details.get("reports") or ([details["report"]] if details.get("report") else [])
    fed_by = list(reports_of_patient(patient).filter(pk__in=report_ids).order_by("reported_at"))
    previous: list[SideEffectReport] = []
    if alert.symptom:
        before = fed_by[0].reported_at if fed_by else alert.opened_at
        previous = list(
            reports_of_patient(patient)
            .filter(symptom=alert.symptom, reported_at__lt=before)
            .order_by("-reported_at")[:PREVIOUS_REPORTS_SHOWN]
        )
    weights = list(weights_of_patient(patient).order_by("-measured_on")[:WEIGHTS_SHOWN])
    plan = plan_current(patient)
    return AlertDetail(
        alert=alert,
        patient=patient,
        fed_by=fed_by,
        previous=previous,
        weights=weights,
        baseline=weight_baseline(patient),
        summary=plan_summary(plan, patient_local_today(patient)) if plan is not None else None,
    )

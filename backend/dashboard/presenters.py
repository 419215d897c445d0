"""Turns a PatientPage (what was read) into what the template places: calendar cells, chart
geometry, wait times. Formatting only; no reads, no rules."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from backend.alerts.models import Alert
from backend.guidelines.symptoms import SYMPTOMS, CtcaeTerm
from backend.sideeffects.models import WeightMeasurement

from .charts import DoseCalendar, SymptomChart, build_dose_calendar, build_symptom_chart
from .forms import CTCAE_GRADE_CHOICES
from .selectors import SYMPTOM_CHART_DAYS, PatientPage
from .words import ReasonWords, reasons_in_words


@dataclass(frozen=True)
class AlertHistoryLine:
    alert: Alert
    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def dose_calendar_of(page: PatientPage) -> DoseCalendar:
    return build_dose_calendar(
        page.calendar_first,
        page.today,
        [
            (item.dose.date, item.dose.slot, item.status, _clock(item.dose.local_time))
            for item in page.calendar
        ],
        today=page.today,
    )


def symptom_charts_of(page: PatientPage, now: datetime) -> list[SymptomChart]:
    zone = ZoneInfo(page.patient.time_zone)
    start = now - timedelta(days=SYMPTOM_CHART_DAYS)
    charts = []
    for history in page.symptoms:
        grades = [
            (assessment.created_at, assessment.ctcae_grade)
            for report in history.reports
            for assessment in report.assessments.all()
        ]
        charts.append(
            build_symptom_chart(
                history.label,
                start,
                now,
                [(report.reported_at, report.patient_level) for report in history.reports],
                sorted(grades),
                tz=zone,
            )
        )
    return charts


def reasons_of(page: PatientPage) -> list[ReasonWords]:
    """The guideline's reasons for the plan in plain words: the status as a badge beside the
    text (never a bracketed note in it, even for plans stored before reasons had a status)."""
    return reasons_in_words(page.summary.plan.recommendation) if page.summary is not None else []


def alert_history_of(page: PatientPage) -> list[AlertHistoryLine]:
    return [
        AlertHistoryLine(
            alert=alert,
            time_to_acknowledge=(
                alert.acknowledged_at - alert.opened_at if alert.acknowledged_at else None
            ),
            time_to_resolve=alert.resolved_at - alert.opened_at if alert.resolved_at else None,
        )
        for alert in page.alerts
    ]


# --------------------------------------------------------------------------------------------
# Clinician grades: the CTCAE v5.0 terms and grades a select offers (from the catalogue)
# --------------------------------------------------------------------------------------------

USUAL_TERM = ""  # the symptom's usual (first) term


def term_words(term: CtcaeTerm) -> str:
    if term.lowest_grade == term.highest_grade:
        return f"{term.name} (grade {term.lowest_grade})"
    return f"{term.name} (grades {term.lowest_grade} to {term.highest_grade})"


def term_choices(symptoms: Iterable[str]) -> list[tuple[Any, Any]]:
    """The term select's choices for these symptoms: the usual term first, then one group
    per symptom with more than one CTCAE v5.0 term; empty when none has more than one."""
    codes = set(symptoms)
    groups = [
        (item.label, [(term.name, term_words(term)) for term in item.ctcae_terms])
        for item in SYMPTOMS.values()
        if item.code in codes and len(item.ctcae_terms) > 1
    ]
    if not groups:
        return []
    return [(USUAL_TERM, "The symptom's usual term"), *groups]


@dataclass(frozen=True)
class GradeOptions:
    """What the grade form offers for one symptom: its terms (None: one term or none, nothing
    to choose), the chosen term, and the grades that term defines."""

    terms: list[tuple[Any, Any]] | None
    term: CtcaeTerm | None  # None: the general scale (a free-text symptom)
    grades: list[tuple[Any, Any]]

    @property
    def only_term_words(self) -> str:
        """The term graded when there is nothing to choose, in words."""
        if self.term is None:
            return "General CTCAE v5.0 scale (grades 1 to 5)"
        return term_words(self.term)


def grade_options(symptom: str, term_name: object = None) -> GradeOptions:
    """The terms of a report's symptom and the grades of the chosen one (an unknown name: the
    usual term). Only narrows what is offered: the service checks what is sent."""
    item = SYMPTOMS.get(symptom)
    terms = item.ctcae_terms if item is not None else ()
    chosen = None
    if item is not None:
        chosen = item.term(term_name if isinstance(term_name, str) else None) or item.term(None)
    low, high = (chosen.lowest_grade, chosen.highest_grade) if chosen else (1, 5)
    return GradeOptions(
        terms=[(t.name, term_words(t)) for t in terms] if len(terms) > 1 else None,
        term=chosen,
        grades=[(grade, words) for grade, words in CTCAE_GRADE_CHOICES if low <= grade <= high],
    )


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightLine:
    weight: WeightMeasurement
    is_current_baseline: bool
    change_kg: Decimal | None  # from the current baseline; None without one
    change_percent: Decimal | None

    @property
    def change_words(self) -> str:
        if self.change_kg is None or self.change_percent is None:
            return "—"
        return f"{self.change_kg:+.1f} kg ({self.change_percent:+.1f} %)"


def weight_lines(
    weights: Sequence[WeightMeasurement], baseline: WeightMeasurement | None
) -> list[WeightLine]:
    """Each weight with its change from the current baseline, in kg and percent (one decimal,
    half up); the baseline itself is marked."""
    lines = []
    for weight in weights:
        change = percent = None
        if baseline is not None and baseline.weight_kg:
            change = weight.weight_kg - baseline.weight_kg
            percent = (change * 100 / baseline.weight_kg).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        lines.append(
            WeightLine(
                weight=weight,
                is_current_baseline=baseline is not None and weight.pk == baseline.pk,
                change_kg=change,
                change_percent=percent,
            )
        )
    return lines


def patient_page_context(
    page: PatientPage,
    grade_form: forms.Form,
    *,
    may_grade: bool,
    weight_form: forms.Form | None = None,
    grade_options_shown: GradeOptions | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    return {
        "page": page,
        "patient": page.patient,
        "summary": page.summary,
        "reasons": reasons_of(page),
        "calendar": dose_calendar_of(page),
        "charts": symptom_charts_of(page, now),
        "alert_history": alert_history_of(page),
        "grade_form": grade_form,
        "grade_options": grade_options_shown,
        "may_grade": may_grade,
        "weights": weight_lines(page.weights, page.weight_baseline),
        "weight_baseline": page.weight_baseline,
        "weight_form": weight_form,
        "today": page.today,
        "nav": "queue",
    }


def patient_options(patients: list[tuple[object, str, str]], *, selected: str) -> SafeString:
    """<option>s for the queue's patient filter, escaped, built in one pass: hundreds of
    options through the template engine cost more than the rest of the page."""
    options = format_html_join(
        "",
        '<option value="{}"{}>{} ({})</option>',
        (
            (patient_id, " selected" if str(patient_id) == selected else "", name, record)
            for patient_id, name, record in patients
        ),
    )
    return format_html('<option value="">Any patient</option>{}', options)

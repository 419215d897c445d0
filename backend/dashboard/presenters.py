"""Turns a PatientPage (what was read) into what the template places: calendar cells, chart
geometry, wait times. Formatting only; no reads, no rules."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from backend.alerts.models import Alert

from .charts import DoseCalendar, SymptomChart, build_dose_calendar, build_symptom_chart
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


def patient_page_context(
    page: PatientPage, grade_form: forms.Form, *, may_grade: bool
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
        "may_grade": may_grade,
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

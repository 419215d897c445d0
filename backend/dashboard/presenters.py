"""Turns a PatientPage (what was read) into what the template places: calendar cells, chart
geometry, wait times. Formatting only; no reads, no rules."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import escape as html_escape
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from backend.alerts.models import Alert, AlertKind, AlertPriority, AlertStatus
from backend.alerts.selectors import alert_escalates_at
from backend.common.presentation.charts import (
    LAB_THRESHOLDS,
    DoseCalendar,
    LabChart,
    LabThreshold,
    SymptomChart,
    build_dose_calendar,
    build_lab_chart,
    build_symptom_chart,
    unit_words,
)
from backend.common.presentation.labs import LabLine, lab_line
from backend.common.presentation.wording import medium_date
from backend.guidelines.labs import TESTS
from backend.guidelines.review_status import DONE, DUE, OVERDUE, UPCOMING, ReviewPointStatus
from backend.guidelines.symptoms import SYMPTOMS, CtcaeTerm
from backend.labs.models import LabTest
from backend.sideeffects.models import WeightMeasurement

from .forms import CTCAE_GRADE_CHOICES
from .selectors import LAB_TREND_DAYS, SYMPTOM_CHART_DAYS, PatientPage
from .words import (
    FlagLine,
    ReasonWords,
    SourceWords,
    action_words,
    advice_mark_lines,
    basis_words,
    plain_text,
    reasons_in_words,
    source_words,
)


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


# --------------------------------------------------------------------------------------------
# Lab results: a trend per test with the label's thresholds, and what is due next
# --------------------------------------------------------------------------------------------

# The trend's window: at least this many days back, so a single result is not alone at the
# edge; at most LAB_TREND_DAYS.
LAB_TREND_MIN_DAYS = 28


@dataclass(frozen=True)
class LabTrend:
    test: str
    name: str
    unit_words: str
    threshold: LabThreshold | None
    chart: LabChart
    lines: list[LabLine]  # newest first


def lab_trends_of(page: PatientPage) -> list[LabTrend]:
    """One trend per test with results, in the guideline's order of tests (liver, then blood
    counts, then the others), all on the same window of days."""
    if not page.lab_results:
        return []
    earliest = min(result.taken_on for result in page.lab_results)
    first = max(
        page.today - timedelta(days=LAB_TREND_DAYS - 1),
        min(earliest, page.today - timedelta(days=LAB_TREND_MIN_DAYS)),
    )
    by_test: dict[str, list[LabLine]] = {}
    for result in page.lab_results:
        by_test.setdefault(result.test, []).append(lab_line(result))
    trends = []
    for test in TESTS:
        lines = by_test.get(test)
        if not lines:
            continue
        name = str(LabTest(test).label)
        unit = lines[-1].result.unit
        chart = build_lab_chart(
            test,
            name,
            unit,
            first,
            page.today,
            [(line.result.taken_on, float(line.result.value), line.x_uln) for line in lines],
        )
        trends.append(
            LabTrend(
                test=test,
                name=name,
                unit_words=unit_words(unit),
                threshold=LAB_THRESHOLDS.get(test),
                chart=chart,
                lines=list(reversed(lines)),
            )
        )
    return trends


DUE_NEXT_PRESSING = 8  # due and overdue points listed (the latest; older ones counted)
DUE_NEXT_UPCOMING = 5  # upcoming points listed after the due and overdue ones
DUE_NEXT_DONE = 5  # done points listed, the latest first

REVIEW_STATUS_WORDS = {
    OVERDUE: "Overdue",
    DUE: "Due",
    UPCOMING: "Upcoming",
    DONE: "Done",
}


@dataclass(frozen=True)
class DueLine:
    point: ReviewPointStatus
    status_words: str
    detail: str  # "overdue since 3 Jul 2025", "done on 1 Jul 2025 (a result taken then)"...


@dataclass(frozen=True)
class DueNext:
    pressing: list[DueLine]  # overdue, then due, each oldest first
    earlier_pressing_count: int  # older overdue points not listed
    upcoming: list[DueLine]  # the next DUE_NEXT_UPCOMING, soonest first
    later_count: int  # upcoming points not listed
    done: list[DueLine]  # the latest DUE_NEXT_DONE, latest first
    earlier_done_count: int

    @property
    def empty(self) -> bool:
        return not (self.pressing or self.upcoming or self.done)


def _due_line(point: ReviewPointStatus, today: date) -> DueLine:
    if point.status == OVERDUE and point.overdue_since is not None:
        detail = f"due {medium_date(point.date)}, overdue since {medium_date(point.overdue_since)}"
    elif point.status == DUE:
        days = (today - point.date).days
        detail = "due today" if days == 0 else f"due since {medium_date(point.date)}"
    elif point.status == DONE and point.done_on is not None:
        detail = f"done on {medium_date(point.done_on)} (planned {medium_date(point.date)})"
    else:
        days = (point.date - today).days
        detail = "tomorrow" if days == 1 else f"in {days} days"
    return DueLine(point=point, status_words=REVIEW_STATUS_WORDS[point.status], detail=detail)


def due_next_of(page: PatientPage) -> DueNext:
    """The plan's review points a nurse acts on: overdue and due first, then the next
    upcoming ones, then the latest done (with the day the result was taken)."""
    points = page.review_points
    rank = {OVERDUE: 0, DUE: 1}
    pressing = sorted(
        (p for p in points if p.status in rank), key=lambda p: (rank[p.status], p.date)
    )
    upcoming = sorted((p for p in points if p.status == UPCOMING), key=lambda p: p.date)
    done = sorted(
        (p for p in points if p.status == DONE),
        key=lambda p: (p.done_on or p.date, p.date),
        reverse=True,
    )
    # the latest DUE_NEXT_PRESSING of them (a long-missed point matters less than the current)
    shown = sorted(pressing, key=lambda p: p.date)[-DUE_NEXT_PRESSING:]
    return DueNext(
        pressing=[_due_line(p, page.today) for p in pressing if p in shown],
        earlier_pressing_count=len(pressing) - len(shown),
        upcoming=[_due_line(p, page.today) for p in upcoming[:DUE_NEXT_UPCOMING]],
        later_count=max(0, len(upcoming) - DUE_NEXT_UPCOMING),
        done=[_due_line(p, page.today) for p in done[:DUE_NEXT_DONE]],
        earlier_done_count=max(0, len(done) - DUE_NEXT_DONE),
    )


def patient_page_context(
    page: PatientPage,
    grade_form: forms.Form,
    *,
    may_grade: bool,
    weight_form: forms.Form | None = None,
    grade_options_shown: GradeOptions | None = None,
    lab_form: forms.Form | None = None,
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
        "lab_trends": lab_trends_of(page),
        "due_next": due_next_of(page),
        "lab_form": lab_form,
        "today": page.today,
        "nav": "queue",
    }


# --------------------------------------------------------------------------------------------
# The nurse's alert queue: each row worked out once, in Python
# --------------------------------------------------------------------------------------------

# A stand-in alert or patient id: reverse() once with it, then each row's id takes its place.
_ID_STAND_IN = "00000000-0000-0000-0000-000000000000"


def _url_with_id(name: str, argument: str) -> Callable[[object], str]:
    """The URL of `name` for any id, from one reverse(): a row's five links cost a string
    each, not five reversals. Ids are UUIDs, which need no quoting in a path."""
    before, after = reverse(name, kwargs={argument: _ID_STAND_IN}).split(_ID_STAND_IN)
    return lambda id_: f"{before}{id_}{after}"


def instant_iso(moment: datetime) -> str:
    """`moment` as the template filter `date:'c'` writes it (ISO 8601, current time zone)."""
    return timezone.localtime(moment).isoformat()


def instant_words(moment: datetime, *, year: bool = True) -> str:
    """`moment` as the template filter `date:'j M Y H:i'` writes it ("4 Dec 2026 14:40"; without
    the year, 'j M H:i'), in the current time zone and language. Written out here because
    the filter looks its format up anew on every call: most of a queue row's time."""
    local = timezone.localtime(moment)
    month = MONTHS_3[local.month].title()
    day = f"{local.day} {month} {local.year:04d}" if year else f"{local.day} {month}"
    return f"{day} {local.hour:02d}:{local.minute:02d}"


def minutes_until(moment: datetime, now: datetime | None = None) -> int:
    """Whole minutes from now to `moment` (0 once it has passed)."""
    return max(0, int((moment - (now or timezone.now())).total_seconds() // 60))


# As Alert.get_priority_display() and get_kind_display() say them, without their per-call work.
_PRIORITY_WORDS: dict[str, str] = dict(AlertPriority.choices)
_KIND_WORDS: dict[str, str] = dict(AlertKind.choices)


@dataclass(frozen=True)
class QueueRow:
    """What one row of the alert queue shows, in words and links, worked out in Python so
    that the row's template only places strings: 50 rows of lookups through model
    relations, six URL reversals, three dates and up to three `timesince` each cost the page
    more than its SQL (docs/performance.md, "The alert queue page's rows worked out in
    Python"). Times are in the request's language, as the template's filters gave them."""

    alert_id: str
    status: str
    priority: str
    priority_words: str
    escalated_words: str  # when it was escalated ("" if not)
    escalates_at: str  # ISO instant it will be escalated unless acknowledged ("" if not)
    escalates_in_minutes: int
    patient_name: str
    record_number: str
    is_red_flag: bool
    kind_words: str
    summary: str
    seen_times: int  # occurrences, 0 when seen once
    opened_at: str  # ISO instant
    opened_words: str
    opened_ago: str
    acknowledged_by: str
    acknowledged_ago: str
    call_requested_ago: str | None  # None: the patient was not asked to call
    advice: Mapping[str, Any] | None
    advice_actions: list[tuple[str, str]]  # (code, words)
    advice_basis: str | None  # words; None without a basis ("" for an unknown one)
    advice_text: str
    advice_marks: list[FlagLine]
    advice_sources: list[SourceWords]
    may_ask_to_call: bool
    patient_url: str
    detail_url: str
    acknowledge_url: str
    ask_to_call_url: str
    resolve_url: str


def queue_rows(alerts: Iterable[Alert]) -> list[QueueRow]:
    """The rows of the queue, from alerts read with their patient and acknowledging user."""
    patient_url = _url_with_id("dashboard:patient", "patient_id")
    detail_url = _url_with_id("dashboard:alert-detail", "alert_id")
    acknowledge_url = _url_with_id("dashboard:alert-acknowledge", "alert_id")
    ask_to_call_url = _url_with_id("dashboard:alert-ask-to-call", "alert_id")
    resolve_url = _url_with_id("dashboard:alert-resolve", "alert_id")
    now = timezone.now()
    rows = []
    for alert in alerts:
        alert_id = str(alert.pk)
        patient = alert.patient
        escalates_at = alert_escalates_at(alert)
        advice = alert.advice
        basis = advice.get("basis") if advice else None
        rows.append(
            QueueRow(
                alert_id=alert_id,
                status=alert.status,
                priority=alert.priority,
                priority_words=_PRIORITY_WORDS.get(alert.priority, alert.priority),
                escalated_words=(
                    instant_words(alert.escalated_at, year=False) if alert.escalated_at else ""
                ),
                escalates_at=instant_iso(escalates_at) if escalates_at else "",
                escalates_in_minutes=minutes_until(escalates_at, now) if escalates_at else 0,
                patient_name=patient.display_name,
                record_number=patient.medical_record_number,
                is_red_flag=alert.kind == AlertKind.RED_FLAG,
                kind_words=_KIND_WORDS.get(alert.kind, alert.kind),
                summary=alert.summary,
                seen_times=alert.occurrences if alert.occurrences > 1 else 0,
                opened_at=instant_iso(alert.opened_at),
                opened_words=instant_words(alert.opened_at),
                opened_ago=timesince_filter(alert.opened_at),
                acknowledged_by=alert.acknowledged_by.username if alert.acknowledged_by else "",
                acknowledged_ago=timesince_filter(alert.acknowledged_at),
                call_requested_ago=(
                    timesince_filter(alert.call_requested_at) if alert.call_requested_at else None
                ),
                advice=advice,
                advice_actions=[
                    (code, action_words(code)) for code in (advice or {}).get("actions") or ()
                ],
                advice_basis=basis_words(basis) if basis else None,
                advice_text=plain_text(advice.get("text")) if advice else "",
                advice_marks=advice_mark_lines(advice) if advice else [],
                advice_sources=source_words((advice or {}).get("sources") or []),
                may_ask_to_call=alert.status != AlertStatus.RESOLVED and bool(patient.user_id),
                patient_url=patient_url(alert.patient_id),
                detail_url=detail_url(alert_id),
                acknowledge_url=acknowledge_url(alert_id),
                ask_to_call_url=ask_to_call_url(alert_id),
                resolve_url=resolve_url(alert_id),
            )
        )
    return rows


def patient_options(patients: Sequence[tuple[object, str, str]], *, selected: str) -> SafeString:
    """<option>s for the queue's patient filter, escaped, built in one pass: hundreds of
    options through the template engine cost more than the rest of the page."""
    # The standard library's html.escape (what django.utils.html.escape calls, behind a
    # lazy-text wrapper) and one join: format_html_join took 3.7 ms for 500 patients, Django's
    # escape() 2.2 ms, this 0.8 ms.
    options = "".join(
        f'<option value="{html_escape(str(patient_id))}"'
        f"{' selected' if str(patient_id) == selected else ''}>"
        f"{html_escape(name)} ({html_escape(record)})</option>"
        for patient_id, name, record in patients
    )
    return mark_safe('<option value="">Any patient</option>' + options)  # noqa: S308 - escaped above

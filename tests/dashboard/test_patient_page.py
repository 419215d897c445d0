"""The nurse's patient page: plan, PDC over 30 and 90 days, the dose calendar, symptom charts,
alert history; free text always escaped; clinician grades; the audit trail; and a fixed
number of queries however long the history."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from backend.adherence.models import DoseStatus
from backend.adherence.selectors.doses import patient_adherence
from backend.alerts.services import alert_acknowledge, alert_resolve
from backend.audit.models import AuditEvent
from backend.common.presentation.charts import STATUS_WORDS
from backend.sideeffects.models import ClinicianAssessment, SideEffectReport, WeightMeasurement
from backend.sideeffects.services import weight_record
from tests.dashboard.conftest import (
    AUDIT_CHAIN_QUERIES,
    NOW,
    TODAY,
    dose_history,
    inline_code_problems,
    queries_of,
    start_tags,
    text,
    title_of,
)
from tests.factories.accounts import activated_patient
from tests.factories.alerts import AlertFactory
from tests.factories.plans import TreatmentPlanFactory
from tests.factories.side_effects import SideEffectReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

TAKEN, MISSED, SKIPPED = DoseStatus.TAKEN, DoseStatus.MISSED, DoseStatus.SKIPPED


def page_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/"


def grade_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/grades/"


def fact(html: str, term: str) -> str:
    """The <dd> of a <dt> in the page's fact lists, whitespace collapsed."""
    match = re.search(rf"<dt>{re.escape(term)}</dt><dd>(.*?)</dd>", html, re.DOTALL)
    assert match, f"no fact {term!r}"
    return " ".join(match.group(1).split())


def percent_words(value: float | None) -> str:
    return "—" if value is None else f"{value:g} %"


BAND_WORDS = {
    "adherent": "adherent",
    "suboptimal": "sub-optimal",
    "non_adherent": "non-adherent",
    None: "no figure yet",
}


# ---------------------------------------------------------------- plan and adherence


@pytest.fixture
def treated(nurse, patient):
    """80 days on 400 mg once a day: 50 days all taken, then 29 days with five missed and
    one skipped; today's dose not logged yet."""
    start = TODAY - timedelta(days=79)
    plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=start)
    recent = [TAKEN] * 29
    for day in (3, 4, 17, 20, 21):
        recent[day] = MISSED
    recent[10] = SKIPPED
    dose_history(plan, [TAKEN] * 50 + recent, last=TODAY - timedelta(days=1))
    return plan


def test_plan_facts(nurse_browser, patient, treated):
    response = nurse_browser.get(page_url(patient))
    assert response.status_code == 200
    html = text(response)
    assert title_of(html) == f"{patient.display_name} · GIST adherence"
    assert treated.planned_end_date == date(2028, 4, 2)  # 36 months from 2 Apr 2025
    total = (treated.planned_end_date - treated.start_date).days + 1
    assert fact(html, "Dose") == "400 mg/day, 08:00"
    assert fact(html, "Day") == f"Day 80 of {total}"
    assert fact(html, "Day") == "Day 80 of 1097"
    assert fact(html, "Started") == "2 Apr 2025"
    assert fact(html, "Planned end") == "2 Apr 2028"
    assert fact(html, "State") == "active"
    assert fact(html, "Days on drug") == "80"
    assert fact(html, "Setting") == "adjuvant"


def test_pdc_over_30_and_90_days_with_bands(nurse_browser, patient, treated):
    pdc_30 = patient_adherence(patient, TODAY - timedelta(days=29), TODAY)
    pdc_90 = patient_adherence(patient, TODAY - timedelta(days=89), TODAY)
    # 29 resolved days in the last 30 (today is pending), 23 of them all taken.
    assert (pdc_30.pdc.numerator, pdc_30.pdc.denominator) == (23, 29)
    assert (pdc_90.pdc.numerator, pdc_90.pdc.denominator) == (73, 79)
    assert (pdc_30.pdc.band, pdc_90.pdc.band) == ("non_adherent", "adherent")
    html = text(nurse_browser.get(page_url(patient)))
    assert fact(html, "PDC, last 30 days") == (
        f'{percent_words(pdc_30.pdc.percent)} <span class="band band-non_adherent">'
        "non-adherent</span>"
    )
    assert fact(html, "PDC, last 30 days").startswith("79.31 %")
    assert fact(html, "PDC, last 90 days") == (
        f'{percent_words(pdc_90.pdc.percent)} <span class="band band-adherent">adherent</span>'
    )
    assert pdc_90.pdc.percent == 92.41
    assert fact(html, "PDC, last 90 days").startswith("92.41 %")
    # Two runs of two missed days; yesterday was taken, so no current streak.
    assert (pdc_90.current_missed_streak, pdc_90.longest_missed_streak) == (0, 2)
    assert fact(html, "Current missed streak") == "0 days"
    assert fact(html, "Longest missed streak (90 days)") == "2 days"


def test_pdc_bands_in_words(nurse, nurse_browser, care_team):
    """Each band's words, and no figure at all without resolved days."""
    cases = {
        "suboptimal": [TAKEN] * 15 + [MISSED] * 3 + [TAKEN] * 2,  # 17/20 = 85 %
        "adherent": [TAKEN] * 9 + [MISSED] + [TAKEN] * 10,  # 19/20 = 95 %
    }
    for band, statuses in cases.items():
        someone = activated_patient(care_team=care_team)
        plan = TreatmentPlanFactory.create(
            patient=someone, created_by=nurse, start_date=TODAY - timedelta(days=20)
        )
        dose_history(plan, statuses, last=TODAY - timedelta(days=1))
        html = text(nurse_browser.get(page_url(someone)))
        assert f'<span class="band band-{band}">{BAND_WORDS[band]}</span>' in fact(
            html, "PDC, last 30 days"
        )
    fresh = activated_patient(care_team=care_team)
    TreatmentPlanFactory.create(patient=fresh, created_by=nurse, start_date=TODAY)
    html = text(nurse_browser.get(page_url(fresh)))
    assert fact(html, "PDC, last 30 days") == '— <span class="band band-None">no figure yet</span>'
    assert fact(html, "Day") == "Day 1 of 1097"


def test_patient_without_a_plan(nurse_browser, patient):
    html = text(nurse_browser.get(page_url(patient)))
    assert "<p>No treatment plan yet.</p>" in html
    assert fact(html, "PDC, last 90 days").startswith("— ")
    assert "No side effects reported in the last 90 days." in html
    assert '<p class="muted">No alerts.</p>' in html
    assert '<svg class="chart"' not in html


def test_calendar_legend_and_marks(nurse_browser, patient, treated):
    html = text(nurse_browser.get(page_url(patient)))
    legend = html.split('<ul class="legend" aria-label="Key">', 1)[1].split("</ul>", 1)[0]
    words = re.findall(r"</span> ([^<]+)</li>", legend)
    assert words == list(STATUS_WORDS.values())
    assert words == ["taken", "taken late", "skipped", "missed", "not logged yet", "on hold"]
    calendar = html.split('<table class="calendar"', 1)[1].split("</table>", 1)[0]
    # One cell per day of the last 90; today is marked and pending.
    assert calendar.count('<td class="day') == 90
    assert calendar.count('<td class="day today"') == 1
    assert 'title="Friday 20 June 2025 (today): 8:00 dose: not logged yet"' in calendar
    marks = re.findall(r'<span class="dose-mark dose-([a-z-]+)"', calendar)
    assert {status: marks.count(status) for status in set(marks)} == {
        "taken": 73,
        "missed": 5,
        "skipped": 1,
        "pending": 1,
    }
    # Days before the plan started have no dose.
    assert calendar.count(": no dose scheduled</span>") == 10


# ---------------------------------------------------------------- symptoms and alerts


def test_symptom_chart_and_reports(nurse, nurse_browser, patient):
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        first = SideEffectReportFactory.create(patient=patient, level=1, note="Mild in the morning")
    second = SideEffectReportFactory.create(patient=patient, level=2)
    SideEffectReportFactory.create(patient=patient, symptom="fatigue", level=1)
    ClinicianAssessment.objects.create(
        report=first, ctcae_grade=1, note="Reviewed by phone", assessed_by=nurse
    )
    html = text(nurse_browser.get(page_url(patient)))
    charts = re.findall(r'<svg class="chart"', html)
    assert len(charts) == 2  # one per symptom
    titles = re.findall(r'<title id="chart-\d+-title">([^<]+)</title>', html)
    assert titles == [
        "Fatigue: patient scores and clinician grades",
        "Nausea: patient scores and clinician grades",
    ]
    reports = html.split('<h3 id="reports-heading">', 1)[1].split("</table>", 1)[0]
    assert reports.index("Mild in the morning") > reports.index("Fatigue")  # newest first
    assert "Grade 1 (Reviewed by phone)" in reports
    assert "No side effects reported" not in html
    # The grade form offers exactly the recent reports.
    options = re.findall(r'<option value="([0-9a-f-]{36})"', html)
    assert str(first.pk) in options and str(second.pk) in options and len(options) == 3


def test_alert_history_with_waiting_times(nurse, nurse_browser, patient):
    opened = NOW - timedelta(hours=3)
    closed = AlertFactory.create(patient=patient, priority="urgent", symptom="nausea", now=opened)
    with time_machine.travel(opened + timedelta(minutes=5), tick=False):
        alert_acknowledge(alert=closed, user=nurse)
    with time_machine.travel(opened + timedelta(hours=2, minutes=30), tick=False):
        alert_resolve(alert=closed, user=nurse, outcome="dose_held", note="Held for 3 days")
    waiting = AlertFactory.create(
        patient=patient, priority="high", symptom="rash", now=NOW - timedelta(days=2)
    )
    html = text(nurse_browser.get(page_url(patient)))
    history = html.split('<h2 id="alerts-heading">Alerts</h2>', 1)[1].split("</table>", 1)[0]
    rows = history.split("<tr>")[2:]  # after the header row
    assert len(rows) == 2
    assert waiting.summary in rows[1] and closed.summary in rows[0]  # newest first
    newest_cells = re.findall(r'<td class="num">([^<]*)</td>', rows[0])
    assert newest_cells == ["5 min", "2 h 30 min"]
    assert 'Dose held: <span class="note">Held for 3 days</span>' in rows[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', rows[1]) == ["—", "—"]
    assert "<td>Open</td>" in rows[1]


def test_free_text_is_escaped(nurse, nurse_browser, patient):
    report = SideEffectReportFactory.create(patient=patient, note="<script>alert(1)</script>")
    ClinicianAssessment.objects.create(
        report=report, ctcae_grade=1, note='<b onmouseover="x()">bold</b>', assessed_by=nurse
    )
    alert = AlertFactory.create(patient=patient)
    alert_resolve(alert=alert, user=nurse, outcome="other", note="<img src=x onerror=alert(1)>")
    html = text(nurse_browser.get(page_url(patient)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;bold&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "<b onmouseover" not in html
    tags = start_tags(html)
    assert [attrs.get("src") for tag, attrs in tags if tag == "script"] == [
        "/static/dashboard/htmx-2.0.11.min.js"
    ]
    assert not [tag for tag, _ in tags if tag in ("img", "b")]
    assert inline_code_problems(html) == []


# ---------------------------------------------------------------- clinician grades


def test_recording_a_grade(nurse, nurse_browser, patient):
    report = SideEffectReportFactory.create(patient=patient, level=2)
    response = nurse_browser.post(
        grade_url(patient), {"report": str(report.pk), "grade": "2", "note": " Seen in clinic "}
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(patient)
    assessment = ClinicianAssessment.objects.get()
    assert (assessment.report, assessment.ctcae_grade, assessment.note) == (
        report,
        2,
        "Seen in clinic",
    )
    assert assessment.assessed_by == nurse
    event = AuditEvent.objects.get(action="side_effect.assess")
    assert (event.actor, event.patient, event.detail) == (
        nurse,
        patient,
        # Nausea has one CTCAE v5.0 term: the usual one is graded, and named in the audit.
        {"report": str(report.pk), "grade": 2, "ctcae_term": "Nausea"},
    )
    assert assessment.ctcae_term == "Nausea"
    html = text(nurse_browser.get(page_url(patient)))
    assert '<span class="term">Nausea</span>: Grade 2 (Seen in clinic)' in html


@pytest.mark.parametrize(
    ("grade", "reason"),
    [
        ("0", "Select a valid choice. 0 is not one of the available choices."),
        ("6", "Select a valid choice. 6 is not one of the available choices."),
        ("two", "Select a valid choice."),
        ("", "This field is required."),
        # Nausea's CTCAE v5.0 term stops at grade 3: the guideline module refuses 4, and the
        # refusal is shown on the grade field.
        ("4", "CTCAE v5.0 &#x27;Nausea&#x27; has no grade 4"),
    ],
)
def test_a_grade_outside_the_scale_is_400(nurse_browser, patient, grade, reason):
    report = SideEffectReportFactory.create(patient=patient)
    response = nurse_browser.post(grade_url(patient), {"report": str(report.pk), "grade": grade})
    assert response.status_code == 400
    html = text(response)
    grade_field = html.split('for="id_grade"', 1)[1].split('<div class="field">', 1)[0]
    assert reason in grade_field
    assert not ClinicianAssessment.objects.exists()


def test_a_report_of_another_patient_is_400(nurse_browser, care_team, patient):
    mine = SideEffectReportFactory.create(patient=patient)
    teammate = activated_patient(care_team=care_team)  # same team: visible, but not this page's
    theirs = SideEffectReportFactory.create(patient=teammate)
    for report_id in (str(theirs.pk), "00000000-0000-0000-0000-000000000000", "nonsense", ""):
        response = nurse_browser.post(grade_url(patient), {"report": report_id, "grade": "1"})
        assert response.status_code == 400, report_id
        report_field = text(response).split('for="id_report"', 1)[1].split("</div>", 1)[0]
        assert 'class="field-error"' in report_field
    assert not ClinicianAssessment.objects.exists()
    # The same report id under its own patient's page works.
    assert (
        nurse_browser.post(
            grade_url(teammate), {"report": str(theirs.pk), "grade": "1"}
        ).status_code
        == 302
    )
    assert ClinicianAssessment.objects.get().report == theirs
    assert not mine.assessments.exists()


def test_an_old_report_is_not_gradable_here(nurse_browser, patient):
    with time_machine.travel(NOW - timedelta(days=120), tick=False):
        old = SideEffectReportFactory.create(patient=patient)
    response = nurse_browser.post(grade_url(patient), {"report": str(old.pk), "grade": "1"})
    assert response.status_code == 400
    assert not ClinicianAssessment.objects.exists()


def test_grade_form_only_by_post(nurse_browser, patient):
    assert nurse_browser.get(grade_url(patient)).status_code == 405


# ---------------------------------------------------------------- audit and queries


def test_viewing_the_page_is_audited_every_time(browser, nurse, patient):
    client = browser(nurse, REMOTE_ADDR="10.9.8.7")
    assert client.get(page_url(patient)).status_code == 200
    assert client.get(page_url(patient)).status_code == 200
    events = list(AuditEvent.objects.filter(action="dashboard.patient"))
    assert len(events) == 2
    assert {(e.actor_id, e.patient_id, e.actor_role, e.ip_address) for e in events} == {
        (nurse.pk, patient.pk, "nurse", "10.9.8.7")
    }


def patient_with_history(nurse, care_team, days: int, reports: int):
    """A patient `days` days into a once-daily plan, every other week with a missed dose,
    `reports` side-effect reports over two symptoms (some graded), half as many weights and
    two alerts."""
    someone = activated_patient(care_team=care_team)
    plan = TreatmentPlanFactory.create(
        patient=someone, created_by=nurse, start_date=TODAY - timedelta(days=days - 1)
    )
    statuses = [MISSED if day % 14 == 5 else TAKEN for day in range(days - 1)]
    dose_history(plan, statuses, last=TODAY - timedelta(days=1))
    for index in range(reports):
        with time_machine.travel(NOW - timedelta(days=index * 2, hours=1), tick=False):
            report = SideEffectReportFactory.create(
                patient=someone, symptom=("nausea", "fatigue")[index % 2], level=1 + index % 2
            )
        if index % 3 == 0:
            ClinicianAssessment.objects.create(report=report, ctcae_grade=1, assessed_by=nurse)
    for index in range(reports // 2):  # a weight every other day, the first the baseline
        weight_record(
            patient=someone,
            recorded_by=nurse,
            client_id=uuid.uuid4(),
            weight_kg=Decimal("70.0"),
            measured_on=TODAY - timedelta(days=index * 2),
        )
    AlertFactory.create(
        patient=someone, priority="urgent", symptom="rash", now=NOW - timedelta(hours=5)
    )
    acked = AlertFactory.create(
        patient=someone, priority="high", symptom="nausea", now=NOW - timedelta(hours=4)
    )
    alert_acknowledge(alert=acked, user=nurse)
    return someone


# Measured on PostgreSQL, with ATOMIC_REQUESTS' savepoints: session, user, patient, zone
# changes (local today), the calendar's dose ledger rows (one query: before the ledger, zone
# changes, plans, revisions, holds and dose logs, five), current plan, its revisions, its
# holds, reports, their assessments, alerts, weights, the weight baseline, lab results, the
# review points' (the current plan again with its revisions and holds, and the lab dates),
# the tablet supply's (the latest count, the active plan with its patient, its revisions),
# audit insert, and the two savepoint statements.
PATIENT_PAGE_QUERIES = 21 + AUDIT_CHAIN_QUERIES


def test_queries_do_not_grow_with_history(nurse_browser, nurse, care_team):
    short_few = patient_with_history(nurse, care_team, days=5, reports=2)
    long_many = patient_with_history(nurse, care_team, days=80, reports=24)
    assert SideEffectReport.objects.filter(patient=long_many).count() == 24
    assert WeightMeasurement.objects.filter(patient=long_many).count() == 12
    counts = {}
    for name, someone in (("short, few", short_few), ("long, many", long_many)):
        response, count = queries_of(lambda someone=someone: nurse_browser.get(page_url(someone)))
        counts[name] = count
        html = text(response)
        assert len(re.findall(r'<svg class="chart"', html)) == 2
    assert counts["short, few"] == counts["long, many"] == PATIENT_PAGE_QUERIES


def test_coordinators_see_grades_but_do_not_record_them(coordinator_browser, nurse, patient):
    report = SideEffectReportFactory.create(patient=patient)
    ClinicianAssessment.objects.create(
        report=report, ctcae_grade=1, note="By the nurse", assessed_by=nurse
    )
    html = text(coordinator_browser.get(page_url(patient)))
    assert "Grade 1 (By the nurse)" in html
    assert "Record a clinician grade" not in html
    assert f'action="{grade_url(patient)}"' not in html
    response = coordinator_browser.post(
        grade_url(patient), {"report": str(report.pk), "grade": "2"}
    )
    assert response.status_code == 403
    assert ClinicianAssessment.objects.count() == 1


def test_nurses_and_admins_record_grades(nurse_browser, admin_browser, patient):
    report = SideEffectReportFactory.create(patient=patient)
    assert f'action="{grade_url(patient)}"' in text(nurse_browser.get(page_url(patient)))
    assert f'action="{grade_url(patient)}"' in text(admin_browser.get(page_url(patient)))
    response = admin_browser.post(grade_url(patient), {"report": str(report.pk), "grade": "3"})
    assert response.status_code == 302
    assert ClinicianAssessment.objects.get().ctcae_grade == 3

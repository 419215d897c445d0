"""The patient report PDF: what a reader finds in it (checked through pypdf's extracted text),
that people's free text prints as typed, and that empty and very long histories still render."""

import re
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from backend.accounts.models import Patient
from backend.adherence.models import DoseStatus, PlanRevision, TreatmentPlan
from backend.reports.data import PatientReportData, patient_report_data
from backend.reports.pdf import (
    CALENDAR_GRID_MAX_DAYS,
    adherence_section,
    patient_report_pdf,
)
from backend.reports.pdf import document as pdf_document
from backend.reports.pdf import fonts as pdf_fonts
from backend.sideeffects.models import SideEffectReport
from tests.factories.doses import DoseRecord, doses_logged
from tests.reports.conftest import (
    NOW,
    PLAN_START,
    REPORT_FIRST,
    REPORT_LAST,
    History,
    dose_status_for,
    local,
)

pytestmark = pytest.mark.django_db

ARTIFACT = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "patient-report.pdf"
BAND_WORDS = {"adherent": "adherent", "suboptimal": "sub-optimal", "non_adherent": "non-adherent"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pages_text(document: bytes) -> list[str]:
    """Each page's text with runs of whitespace made one space (table cells wrap lines)."""
    reader = PdfReader(BytesIO(document))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text_of(document: bytes) -> str:
    return " ".join(pages_text(document))


def day_words(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def test_sample_report_shows_the_figures_as_computed(report_data: PatientReportData) -> None:
    document = patient_report_pdf(report_data)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_bytes(document)  # for a human to look at

    assert document.startswith(b"%PDF")
    text = text_of(document)
    patient = report_data.patient
    metrics = report_data.metrics
    assert metrics.pdc.percent is not None and metrics.pdc.band is not None
    assert "Imatinib adherence report" in text
    assert patient.display_name in text
    assert patient.medical_record_number in text
    assert patient.care_team.name in text
    pdc = f"{metrics.pdc.percent:g} %"
    assert pdc == "76.6 %"  # the fixture's pattern: 36 of 47 days
    assert f"{pdc} — {BAND_WORDS[metrics.pdc.band]}" in text
    assert f"taken {metrics.taken} " in text
    assert f"taken late {metrics.taken_late} " in text
    assert f"missed {metrics.missed} " in text
    assert f"skipped {metrics.skipped} (by reason: side effects {metrics.skipped})" in text
    assert f"on hold {metrics.on_hold} " in text
    assert f"Longest missed streak {metrics.longest_missed_streak} day" in text
    plan = report_data.plan
    assert plan is not None and plan.plan.planned_end_date is not None
    assert f"Planned end {day_words(plan.plan.planned_end_date)}" in text
    assert f"Day {plan.day_of_plan} of {plan.total_days}" in text
    assert "20 Oct 2026 to 22 Oct 2026: Grade 3 rash" in text
    assert report_data.reasons and report_data.reasons[0].sources
    code, title = report_data.reasons[0].sources[0]
    assert f"{code}: {title}" in text
    # The dose grid, not the monthly table, for a 50-day period.
    assert "Mon Tue Wed Thu Fri Sat Sun" in text
    assert "month by month" not in text
    assert "Nausea" in text
    assert "Nausea: patient scores and clinician grades" in text
    assert "Grade 2, 11 Nov 2026 10:00: seen" in text
    assert "all day" in text
    alert = report_data.alerts[-1]
    assert " ".join(alert.summary.split()) in text
    assert "Contacted the patient: Antiemetic" in text


def test_every_page_has_header_and_numbered_footer(report_data: PatientReportData) -> None:
    pages = pages_text(patient_report_pdf(report_data))
    assert len(pages) > 1
    patient = report_data.patient
    for number, page in enumerate(pages, start=1):
        assert f"{patient.display_name} · {patient.medical_record_number}" in page
        assert f"Page {number} of {len(pages)}" in page
    assert "Page 1 of" in pages[0]


def test_rendering_makes_no_database_queries(
    report_data: PatientReportData, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        patient_report_pdf(report_data)


def test_free_text_prints_as_typed(history: History) -> None:
    """Markup in a note, a name or a hold reason is text, not Paragraph markup."""
    history.patient.display_name = "Zoë O'Brien & <Co>"
    history.patient.save()
    history.plan.holds.update(reason="rash <i>itchy</i> & sore")
    note = "<b>bold</b> & <script>"
    assert history.patient.user is not None
    with time_machine.travel(local(date(2026, 11, 15), "12:00"), tick=False):
        SideEffectReport.objects.create(
            client_id=uuid4(),
            patient=history.patient,
            symptom="fatigue",
            patient_scores={"severity": 1},
            patient_level=1,
            note=f"{note}\nsecond line &amp; \x07bell",
            reported_by=history.patient.user,
        )
    with time_machine.travel(NOW, tick=False):
        data = patient_report_data(history.patient, REPORT_FIRST, REPORT_LAST)

    pages = pages_text(patient_report_pdf(data))
    text = " ".join(pages)
    assert note in text
    assert "second line &amp; bell" in text  # an entity stays literal; control chars dropped
    assert "rash <i>itchy</i> & sore" in text
    assert "Zoë O'Brien & <Co>" in text
    assert all("Zoë O'Brien & <Co> ·" in page for page in pages)  # the running header
    assert "Fatigue" in text


def test_patient_with_no_plan_reports_or_alerts(patient: Patient) -> None:
    with time_machine.travel(NOW, tick=False):
        data = patient_report_data(patient, REPORT_FIRST, REPORT_LAST)
    assert data.plan is None and not data.reports and not data.alerts and not data.calendar

    document = patient_report_pdf(data)

    assert document.startswith(b"%PDF")
    text = text_of(document)
    assert patient.display_name in text
    assert "No treatment plan in this period." in text
    assert "PDC (days covered) — (no figure yet: no day in this period" in text
    assert "Dose-level adherence — (no logged doses yet)" in text
    assert "No doses were scheduled in this period." in text
    assert "No side effects reported in this period." in text
    assert "No alerts in this period." in text
    assert "Page 1 of 1" in text


def five_years_of_doses(history: History) -> date:
    """Move the sample plan's start back five years and log every day since, as the fixture
    does for its own weeks. Returns the new start."""
    start = REPORT_LAST.replace(year=REPORT_LAST.year - 5)
    TreatmentPlan.objects.filter(pk=history.plan.pk).update(start_date=start)
    PlanRevision.objects.filter(plan=history.plan, number=1).update(effective_date=start)
    logs = []
    day = start
    while day < PLAN_START:
        status, late, reason = dose_status_for(day)
        logs.append(
            DoseRecord(
                history.plan,
                day,
                1,
                status,
                taken_at=local(day, "11:30" if late else "08:05")
                if status == DoseStatus.TAKEN
                else None,
                late=late,
                skip_reason=reason,
                recorded_by=history.patient.user,
            )
        )
        day += timedelta(days=1)
    doses_logged(logs)
    return start


def test_five_years_get_a_monthly_summary_quickly(history: History) -> None:
    first = five_years_of_doses(history)
    began = time.monotonic()
    with time_machine.travel(NOW, tick=False):
        data = patient_report_data(history.patient, first, REPORT_LAST)
    document = patient_report_pdf(data)
    elapsed = time.monotonic() - began

    assert elapsed < 10, f"{elapsed:.1f} s"
    assert (data.last - data.first).days + 1 > CALENDAR_GRID_MAX_DAYS
    assert len(data.calendar) > 1800
    text = text_of(document)
    assert "summarised month by month" in text
    assert "Mon Tue Wed Thu Fri Sat Sun" not in text
    # One row per month from the first to the last, then the whole period's totals.
    assert "Nov 2021" in text and "Jun 2024" in text and "Nov 2026" in text
    m = data.metrics
    totals = f"Whole period {m.taken} {m.taken_late} {m.skipped} {m.missed} {m.on_hold}"
    assert totals in text
    assert f"{m.pdc.percent:g} % {BAND_WORDS[str(m.pdc.band)]}" in text
    # October 2026 holds the three held days.
    assert re.search(r"Oct 2026 \d+ \d+ \d+ \d+ 3 0 ", text)


def test_fallback_fonts_still_draw_every_symbol(
    report_data: PatientReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DejaVu (the slim Docker image) Vera is used, and ✓ / ✗ come from ZapfDingbats."""
    family, paths = pdf_fonts.font_files(dirs=())
    assert family == "ReportVera"
    fonts = pdf_fonts.register_fonts(family, paths)
    assert ord("✓") not in fonts.glyphs
    assert pdf_fonts.symbol_markup("✓", fonts.glyphs) == '<font face="ZapfDingbats">✓</font>'
    assert pdf_fonts.symbol_markup("L", fonts.glyphs) == "L"
    monkeypatch.setattr(pdf_document, "report_fonts", lambda: fonts)

    document = patient_report_pdf(report_data)

    assert document.startswith(b"%PDF")
    assert b"ZapfDingbats" in document
    assert report_data.patient.display_name in text_of(document)


def test_month_spans_cut_the_period_at_month_ends() -> None:
    assert adherence_section.month_spans(date(2026, 11, 20), date(2027, 1, 3)) == [
        (date(2026, 11, 20), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 3)),
    ]


def test_a_long_name_is_cut_to_fit_the_header() -> None:
    fonts = pdf_fonts.report_fonts()
    name = "Maria " * 40
    cut = pdf_document.fit_text(name, fonts.bold, 9, 200)
    assert cut.endswith("…") and cut.startswith("Maria Maria")
    assert pdfmetrics.stringWidth(cut, fonts.bold, 9) <= 200
    assert pdf_document.fit_text("Ana", fonts.bold, 9, 200) == "Ana"


def test_a_long_name_keeps_the_record_number_in_every_header(
    report_data: PatientReportData,
) -> None:
    report_data.patient.display_name = "Maria " * 25  # 150 characters, the field's limit
    pages = pages_text(patient_report_pdf(report_data))
    record = report_data.patient.medical_record_number
    assert all(re.search(rf"Maria Maria[ a-zA-Z]*… · {record}", page) for page in pages)

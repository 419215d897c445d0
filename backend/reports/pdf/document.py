"""The per-patient adherence report as a PDF, for care coordinators and oncologists.

Everything shown comes from a PatientReportData (read once, see data.py); this module only lays
it out, so it makes no database queries. The dose calendar and the symptom charts are built by
backend.common.presentation.charts, so a printed report uses the same symbols, words and
geometry as the nurse's patient page, and the PDC bands and durations use the same words
(backend.common.presentation.wording).

It must read well printed in black and white: nothing relies on colour. Dose statuses have a
symbol and words, chart series differ by line style (solid / dashed) and marker shape (round /
square), and the only fills are light greys that repeat what a symbol already says.

Patient and clinician free text (notes, reasons, names) is escaped before it reaches
reportlab's Paragraph markup, so ``<b>`` or ``&`` in a note prints as typed.
"""

from functools import partial
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

from backend.common.presentation.wording import medium_date

from ..data import PatientReportData
from .adherence_section import adherence_section, calendar_section
from .alerts_section import alerts_section
from .fonts import Fonts, report_fonts
from .labs_section import lab_results_section
from .layout import (
    FRAME_PADDING,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    TITLE,
    local_moment,
    make_styles,
)
from .plan_section import plan_section, title_section
from .side_effects_section import side_effects_section


def fit_text(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut short with an ellipsis so it fits ``width`` (a long name in the header)."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


class NumberedCanvas(Canvas):
    """Holds every page back until the end, so each footer can say "Page N of M"."""

    def __init__(
        self,
        *args: Any,
        name: str,
        record: str,
        footer: str,
        fonts: Fonts,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._name = name
        self._record = f" · {record}"
        self._footer = footer
        self._fonts = fonts
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        self.saveState()
        self.setFillColor(INK)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        left, right = MARGIN_X + FRAME_PADDING, PAGE_WIDTH - MARGIN_X - FRAME_PADDING
        top = PAGE_HEIGHT - 12 * mm
        title_width = pdfmetrics.stringWidth(TITLE, self._fonts.regular, 8)
        self.setFont(self._fonts.bold, 9)
        # A long name is cut short, never the record number after it.
        room = right - left - title_width - 12
        room -= pdfmetrics.stringWidth(self._record, self._fonts.bold, 9)
        self.drawString(left, top, fit_text(self._name, self._fonts.bold, 9, room) + self._record)
        self.setFont(self._fonts.regular, 8)
        self.drawRightString(right, top, TITLE)
        self.line(left, top - 2.5 * mm, right, top - 2.5 * mm)
        bottom = 10 * mm
        self.line(left, bottom + 4 * mm, right, bottom + 4 * mm)
        self.setFont(self._fonts.regular, 7.5)
        self.drawString(left, bottom, self._footer)
        self.drawRightString(right, bottom, f"Page {number} of {total}")
        self.restoreState()


def patient_report_pdf(data: PatientReportData) -> bytes:
    """The report as PDF bytes: plan and reasons, adherence figures, dose calendar (or a
    monthly summary for long periods), symptom charts and reports, lab results with the
    label's thresholds, alerts."""
    fonts = report_fonts()
    styles = make_styles(fonts)
    zone = ZoneInfo(data.patient.time_zone)
    patient = data.patient
    footer = (
        f"Confidential patient information. {medium_date(data.first)} to "
        f"{medium_date(data.last)}. Generated {local_moment(data.generated_at, zone)} "
        f"({zone.key})."
    )
    story = [
        *title_section(data, zone, styles),
        *plan_section(data, styles),
        *adherence_section(data, styles),
        *calendar_section(data, styles),
        *side_effects_section(data, zone, styles),
        *lab_results_section(data, styles),
        *alerts_section(data, zone, styles),
    ]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=TITLE,
        author="",
        subject="",
        creator="GIST adherence",
    )
    document.build(
        story,
        canvasmaker=partial(
            NumberedCanvas,
            name=patient.display_name,
            record=patient.medical_record_number,
            footer=footer,
            fonts=fonts,
        ),
    )
    return buffer.getvalue()

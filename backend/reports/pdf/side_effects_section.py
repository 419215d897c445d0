"""The report's side effects: the symptom charts (patient and clinician series) and the
reports with their assessments."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from backend.common.presentation.charts import (
    MARKER_RADIUS,
    SCORE_WORDS,
    SymptomChart,
    build_symptom_chart,
)
from backend.common.presentation.wording import symptom_label
from backend.sideeffects.models import SideEffectReport

from ..data import PatientReportData
from .fonts import Fonts
from .layout import CONTENT_WIDTH, GRID, INK, SECOND_INK, Styles, esc, local_moment, table

CHART_HEIGHT: Final = 170
CHART_TOP_PAD: Final = 40  # above the chart's own box: the key (two rows), the y axis title
CHART_BOTTOM_PAD: Final = 12  # below it: the x axis title
CHART_DASH: Final = [4, 3]


def chart_drawing(
    chart: SymptomChart, start: datetime, end: datetime, zone: ZoneInfo, fonts: Fonts
) -> Drawing:
    """The dashboard's chart geometry redrawn for print. The geometry has y growing down (SVG);
    reportlab's grows up, hence ``flip``. ``start`` and ``end`` are the chart's window: over
    more than one year the tick labels ("19 Nov") get their year on a second line."""
    drawing = Drawing(chart.width, chart.height + CHART_TOP_PAD + CHART_BOTTOM_PAD)
    font = fonts.regular

    def flip(y: float) -> float:
        return chart.height - y + CHART_BOTTOM_PAD

    def text(x: float, y: float, value: str, anchor: str = "start", size: float = 7) -> None:
        drawing.add(String(x, y, value, fontName=font, fontSize=size, textAnchor=anchor))

    left, right = chart.plot_left, chart.plot_right
    top, bottom = flip(chart.plot_top), flip(chart.plot_bottom)
    for tick in chart.y_ticks:
        y = flip(tick.pos)
        drawing.add(Line(left, y, right, y, strokeColor=GRID, strokeWidth=0.5))
        text(left - 6, y - 2.5, tick.label, "end")
    drawing.add(Line(left, bottom, right, bottom, strokeColor=INK, strokeWidth=0.8))
    drawing.add(Line(left, bottom, left, top, strokeColor=INK, strokeWidth=0.8))
    years = start.astimezone(zone).year != end.astimezone(zone).year
    for tick in chart.x_ticks:
        drawing.add(Line(tick.pos, bottom, tick.pos, bottom - 4, strokeColor=INK, strokeWidth=0.8))
        text(tick.pos, bottom - 13, tick.label, "middle")
        if years:
            text(
                tick.pos,
                bottom - 21,
                str(tick_day(chart, tick.pos, start, end, zone).year),
                "middle",
            )
    text((left + right) / 2, 2, f"Date ({zone.key})", "middle")
    text(4, flip(0) + 6, chart.y_axis_label)

    def series(points: Sequence[Any], dashed: bool) -> None:
        coords = [(point.x, flip(point.y)) for point in points]
        if len(coords) > 1:
            drawing.add(
                PolyLine(
                    [value for xy in coords for value in xy],
                    strokeColor=SECOND_INK if dashed else INK,
                    strokeWidth=1.4,
                    strokeDashArray=CHART_DASH if dashed else None,
                )
            )
        for x, y in coords:
            drawing.add(marker(x, y, square=dashed))

    series(chart.patient_points, dashed=False)
    series(chart.clinician_points, dashed=True)

    # The key, on the chart itself so it is never separated from it by a page break.
    key_y = chart.height + CHART_BOTTOM_PAD + CHART_TOP_PAD - 8
    for label, dashed in (
        (
            "Patient-reported score, highest answer (0 none to 4 very severe): solid line, "
            "round markers",
            False,
        ),
        ("Clinician CTCAE grade (1 to 5): dashed line, square markers", True),
    ):
        x = left
        drawing.add(
            Line(
                x,
                key_y,
                x + 36,
                key_y,
                strokeColor=SECOND_INK if dashed else INK,
                strokeWidth=1.4,
                strokeDashArray=CHART_DASH if dashed else None,
            )
        )
        drawing.add(marker(x + 18, key_y, square=dashed))
        text(x + 42, key_y - 2.5, label)
        key_y -= 11
    return drawing


def tick_day(
    chart: SymptomChart, pos: float, start: datetime, end: datetime, zone: ZoneInfo
) -> date:
    """The local day an x tick stands for: ticks sit on local midnights, so the nearest one."""
    share = (pos - chart.plot_left) / (chart.plot_right - chart.plot_left)
    moment = (start + share * (end - start)).astimezone(zone)
    return (moment + timedelta(hours=12)).date()


def marker(x: float, y: float, *, square: bool) -> Any:
    """Filled black circle (patient) or white square with a dark outline (clinician)."""
    r = MARKER_RADIUS
    if square:
        return Rect(
            x - r,
            y - r,
            2 * r,
            2 * r,
            fillColor=colors.white,
            strokeColor=SECOND_INK,
            strokeWidth=1.3,
        )
    return Circle(x, y, r, fillColor=INK, strokeColor=INK, strokeWidth=0.5)


def grades_of(report: SideEffectReport) -> list[Any]:
    """The report's clinician assessments, as prefetched (no query)."""
    return list(report.assessments.all())


def symptom_charts(data: PatientReportData, zone: ZoneInfo, styles: Styles) -> list[list[Flowable]]:
    """One block (title, drawing, description) per symptom, in order of first report."""
    # The chart's end is inclusive and named in its description: the last instant of `last`.
    start = data.period_start
    end = datetime.combine(data.last, time.max, zone)
    by_symptom: dict[str, list[SideEffectReport]] = {}
    for report in data.reports:
        by_symptom.setdefault(report.symptom, []).append(report)
    blocks: list[list[Flowable]] = []
    for code, reports in by_symptom.items():
        chart = build_symptom_chart(
            symptom_label(code),
            start,
            end,
            [(report.reported_at, report.patient_level) for report in reports],
            sorted(
                (assessment.created_at, assessment.ctcae_grade)
                for report in reports
                for assessment in grades_of(report)
            ),
            width=int(CONTENT_WIDTH),
            height=CHART_HEIGHT,
            tz=zone,
        )
        blocks.append(
            [
                Paragraph(esc(chart.title), styles.h3),
                chart_drawing(chart, start, end, zone, styles.fonts),
                Paragraph(esc(chart.description), styles.small),
            ]
        )
    return blocks


def grade_words(report: SideEffectReport, zone: ZoneInfo) -> str:
    """The clinician's CTCAE v5.0 grades of a report, each with the term graded."""
    lines = []
    for assessment in grades_of(report):
        line = f"Grade {assessment.ctcae_grade}, {local_moment(assessment.created_at, zone)}"
        if assessment.note:
            line += f": {esc(assessment.note)}"
        if assessment.ctcae_term:
            line = f"{esc(assessment.ctcae_term)} — {line}"
        lines.append(line)
    return "<br/>".join(lines) or "—"


def patient_reported_words(report: SideEffectReport) -> str:
    """The patient-reported level of a report, named as such: the highest answer and the
    PRO-CTCAE composite grade (0-3), or the yes/no answer of a yes/no item. Never a CTCAE
    grade."""
    level = report.patient_level
    if report.composite_grade is None:
        return f"Answered {'yes' if level else 'no'} (yes/no question)"
    return (
        f"Highest answer {level} ({esc(SCORE_WORDS.get(level, '?'))})<br/>"
        f"Composite {report.composite_grade} of 3"
    )


def symptom_words(report: SideEffectReport) -> str:
    """The symptom, and the red flags the report raised (in words, marked)."""
    words = esc(symptom_label(report.symptom))
    if report.red_flags:
        flags = "; ".join(esc(symptom_label(code)) for code in report.red_flags)
        words += f"<br/><b>RED FLAG:</b> {flags}"
    return words


def side_effects_section(data: PatientReportData, zone: ZoneInfo, styles: Styles) -> list[Flowable]:
    heading = Paragraph("Side effects", styles.h2)
    if not data.reports:
        return [heading, Paragraph("No side effects reported in this period.", styles.body)]
    # The heading goes with the first chart, never alone at the foot of a page.
    first, *others = symptom_charts(data, zone, styles)
    flow: list[Flowable] = [KeepTogether([heading, *first])]
    flow += [KeepTogether(block) for block in others]
    flow.append(Paragraph("Reports", styles.h3))
    rows: list[list[Any]] = [
        [
            Paragraph(f"<b>{heading}</b>", styles.cell)
            for heading in (
                "Reported",
                "Symptom",
                "Patient-reported (not a CTCAE grade)",
                "Clinician CTCAE v5.0 grade(s) and term",
                "Note",
            )
        ]
    ]
    for report in data.reports:
        rows.append(
            [
                Paragraph(local_moment(report.reported_at, zone), styles.cell),
                Paragraph(symptom_words(report), styles.cell),
                Paragraph(patient_reported_words(report), styles.cell),
                Paragraph(grade_words(report, zone), styles.cell),
                Paragraph(esc(report.note) or "—", styles.cell),
            ]
        )
    widths = [26 * mm, 30 * mm, 30 * mm, 46 * mm]
    flow.append(table(rows, [*widths, CONTENT_WIDTH - sum(widths)]))
    flow.append(
        Paragraph(
            "Patient-reported: the highest of the patient's answers (0 to 4) in that report, "
            "and the PRO-CTCAE composite grade (0 to 3, Basch et al. 2021) computed from them; "
            "both are the patient's own report, not CTCAE grades. Red flags are yes/no "
            "questions whose 'yes' is always urgent. Clinician grades are CTCAE v5.0 (1 to 5), "
            "a different scale, each under the CTCAE term graded.",
            styles.small,
        )
    )
    return flow

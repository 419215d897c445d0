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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from io import BytesIO
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import reportlab
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from backend.adherence.metrics import AdherenceMetrics, Ratio
from backend.adherence.selectors.doses import CalendarDose, metrics_from_calendar
from backend.adherence.selectors.plans import PlanSummary
from backend.alerts.models import Alert
from backend.common.presentation.charts import (
    LAB_THRESHOLDS,
    MARKER_RADIUS,
    SCORE_WORDS,
    STATUS_SYMBOLS,
    STATUS_WORDS,
    DoseCalendar,
    SymptomChart,
    build_dose_calendar,
    build_symptom_chart,
)
from backend.common.presentation.labs import lab_line
from backend.common.presentation.wording import (
    MONTHS,
    band_words,
    duration,
    medium_date,
    percent,
    plan_state_words,
    plural,
    skip_reason_words,
    symptom_label,
)
from backend.labs.models import LabTest
from backend.sideeffects.models import SideEffectReport

from .data import PatientReportData, flag_sentences

TITLE: Final = "Imatinib adherence report"

# Longer periods get a month-by-month table instead of the day grid: 120 days is about 18 week
# rows, which still fits one page; five years would be 260 rows nobody can scan.
CALENDAR_GRID_MAX_DAYS: Final = 120

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X: Final = 16 * mm
MARGIN_TOP: Final = 22 * mm  # room for the running header
MARGIN_BOTTOM: Final = 18 * mm  # room for the footer
FRAME_PADDING: Final = 6  # reportlab's default frame padding, inside the margins
CONTENT_WIDTH: Final = PAGE_WIDTH - 2 * (MARGIN_X + FRAME_PADDING)

# Greys only: they print the same on any printer. Fills are light so text stays legible.
INK: Final = colors.black
SECOND_INK: Final = colors.Color(0.3, 0.3, 0.3)  # clinician series, captions
RULE: Final = colors.Color(0.55, 0.55, 0.55)
GRID: Final = colors.Color(0.82, 0.82, 0.82)
HEADER_FILL: Final = colors.Color(0.9, 0.9, 0.9)
OUTSIDE_FILL: Final = colors.Color(0.96, 0.96, 0.96)
# A day's worst status, shaded as well as symbolised: missed darkest, then skipped.
SUMMARY_FILL: Final = {
    "missed": colors.Color(0.78, 0.78, 0.78),
    "skipped": colors.Color(0.89, 0.89, 0.89),
}

# --------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------

# DejaVu Sans covers the dose symbols and most scripts a name or note may use. Where it is not
# installed, reportlab's own Bitstream Vera (always present) is used and the symbols it lacks
# (✓, ✗) come from the PDF's built-in ZapfDingbats, so every status still has its symbol.
_DEJAVU_DIRS: Final = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
)
_DEJAVU_FILES: Final = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
)
_VERA_DIR: Final = Path(reportlab.__file__).parent / "fonts"
_VERA_FILES: Final = ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")
_DINGBATS: Final = "ZapfDingbats"


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    glyphs: frozenset[int]  # code points the regular font can draw


def font_files(dirs: Sequence[Path] = _DEJAVU_DIRS) -> tuple[str, list[Path]]:
    """DejaVu Sans from the first directory that has all four faces, else Vera."""
    for directory in dirs:
        paths = [directory / name for name in _DEJAVU_FILES]
        if all(path.is_file() for path in paths):
            return "ReportDejaVu", paths
    return "ReportVera", [_VERA_DIR / name for name in _VERA_FILES]


def register_fonts(family: str, paths: Sequence[Path]) -> Fonts:
    """Register the four faces under ``family`` so Paragraph's <b> and <i> find them."""
    names = (family, f"{family}-Bold", f"{family}-Italic", f"{family}-BoldItalic")
    for name, path in zip(names, paths, strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        family, normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3]
    )
    face = pdfmetrics.getFont(names[0]).face
    return Fonts(regular=names[0], bold=names[1], glyphs=frozenset(face.charToGlyph))


@lru_cache(maxsize=1)
def report_fonts() -> Fonts:
    """Once per process: reportlab keeps fonts in a global registry."""
    return register_fonts(*font_files())


def symbol_markup(symbol: str, glyphs: frozenset[int]) -> str:
    """Paragraph markup for a status symbol: ZapfDingbats for what the text font cannot draw."""
    dingbats = pdfmetrics.getFont(_DINGBATS)
    parts = []
    for char in symbol:
        if ord(char) not in glyphs:
            try:
                char.encode(dingbats.encName)
            except UnicodeEncodeError:
                pass  # neither font has it: the text font's "missing glyph" box is honest
            else:
                parts.append(f'<font face="{_DINGBATS}">{escape(char)}</font>')
                continue
        parts.append(escape(char))
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_CONTROL_CHARS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: object) -> str:
    """Free text as Paragraph markup that shows exactly what was typed, line breaks kept."""
    text = _CONTROL_CHARS.sub("", str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return escape(text).replace("\n", "<br/>")


def local_moment(moment: datetime, zone: ZoneInfo) -> str:
    """Like "12 Nov 2026 09:30", in the patient's zone."""
    local = moment.astimezone(zone)
    return f"{medium_date(local.date())} {local.hour:02d}:{local.minute:02d}"


# --------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    fonts: Fonts
    title: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    day: ParagraphStyle


def make_styles(fonts: Fonts) -> Styles:
    body = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=12, spaceAfter=3)
    return Styles(
        fonts=fonts,
        title=ParagraphStyle(
            "title", parent=body, fontName=fonts.bold, fontSize=17, leading=21, spaceAfter=8
        ),
        h2=ParagraphStyle(
            "h2",
            parent=body,
            fontName=fonts.bold,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=5,
        ),
        h3=ParagraphStyle(
            "h3", parent=body, fontName=fonts.bold, fontSize=10, leading=13, spaceBefore=6
        ),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=SECOND_INK),
        cell=ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0),
        cell_bold=ParagraphStyle(
            "cell_bold", parent=body, fontName=fonts.bold, fontSize=8, leading=10, spaceAfter=0
        ),
        day=ParagraphStyle(
            "day", parent=body, fontSize=11, leading=12, alignment=TA_CENTER, spaceAfter=0
        ),
    )


def table(
    rows: list[list[Any]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Iterable[tuple[Any, ...]] = (),
) -> Table:
    """A ruled table; a header row repeats on every page the table runs over."""
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
    commands.extend(extra)
    result = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0)
    result.setStyle(TableStyle(commands))
    return result


def facts(pairs: list[tuple[str, str]], styles: Styles) -> Table:
    """Label / value rows. Values are markup: callers escape what came from people."""
    rows = [
        [Paragraph(esc(label), styles.cell_bold), Paragraph(value, styles.cell)]
        for label, value in pairs
    ]
    return table(rows, [48 * mm, CONTENT_WIDTH - 48 * mm], header=False)


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def title_section(data: PatientReportData, zone: ZoneInfo, styles: Styles) -> list[Flowable]:
    patient = data.patient
    return [
        Paragraph(esc(TITLE), styles.title),
        facts(
            [
                ("Patient", f"<b>{esc(patient.display_name)}</b>"),
                ("Record number", esc(patient.medical_record_number)),
                ("Care team", esc(patient.care_team.name)),
                (
                    "Period",
                    f"{medium_date(data.first)} to {medium_date(data.last)} "
                    f"({plural((data.last - data.first).days + 1, 'day')}; "
                    f"days and times in the patient's time zone, {esc(patient.time_zone)})",
                ),
                ("Generated", f"{local_moment(data.generated_at, zone)} ({esc(zone.key)})"),
            ],
            styles,
        ),
    ]


def override_words(override: dict[str, Any]) -> str:
    changes = []
    if "dose_mg_per_day" in override:
        changes.append(f"dose {override['dose_mg_per_day']} mg/day")
    if "doses_per_day" in override:
        changes.append(f"{override['doses_per_day']} dose(s) a day")
    if "duration_months" in override:
        changes.append(f"duration {override['duration_months']} months")
    what = "; ".join(esc(change) for change in changes) or "the guideline's decision"
    return f"{what}. Reason: {esc(override.get('reason') or 'not given')}"


def plan_section(data: PatientReportData, styles: Styles) -> list[Flowable]:
    flow: list[Flowable] = [Paragraph("Treatment plan", styles.h2)]
    summary = data.plan
    if summary is None:
        flow.append(Paragraph("No treatment plan in this period.", styles.body))
        return flow
    plan = summary.plan
    revision = summary.current_revision
    if summary.day_of_plan is None:
        day = f"— (outside the plan's dates on {medium_date(summary.today)})"
    elif summary.total_days is None:
        day = f"Day {summary.day_of_plan} (ongoing, on {medium_date(summary.today)})"
    else:
        day = f"Day {summary.day_of_plan} of {summary.total_days} (on {medium_date(summary.today)})"
    pairs = [
        ("Setting", esc(plan.setting)),
        (
            "Dose",
            f"{revision.dose_mg_per_day} mg/day at {esc(', '.join(revision.dose_times))}",
        ),
        ("Started", medium_date(plan.start_date)),
        (
            "Planned end",
            medium_date(plan.planned_end_date)
            if plan.planned_end_date
            else "ongoing (no end date)",
        ),
        ("Day of plan", day),
        ("Days on drug since start", str(summary.exposure.days_on_drug)),
        ("State", esc(plan_state_words(summary.state))),
        ("Guideline version", esc(plan.guideline_version)),
    ]
    if plan.override:
        pairs.append(("Clinician override", override_words(plan.override)))
    if summary.flags:
        pairs.append(("Flags", "<br/>".join(esc(words) for words in flag_sentences(summary.flags))))
    holds = [
        f"{medium_date(hold.start_date)} to "
        f"{medium_date(hold.end_date) if hold.end_date else 'until ended'}: {esc(hold.reason)}"
        for hold in summary.holds
    ]
    pairs.append(("Holds", "<br/>".join(holds) or "None"))
    pairs.append(
        (
            "Dose revisions",
            "<br/>".join(
                f"{r.number}. From {medium_date(r.effective_date)}: {r.dose_mg_per_day} mg/day "
                f"at {esc(', '.join(r.dose_times))}. {esc(r.reason)}"
                for r in summary.revisions
            ),
        )
    )
    flow.append(facts(pairs, styles))
    for earlier in data.plans[:-1]:
        flow.append(Paragraph(earlier_plan_words(earlier), styles.small))
    if data.reasons:
        flow.append(Paragraph("The guideline's reasons", styles.h3))
        for number, reason in enumerate(data.reasons, start=1):
            status = f" <i>({esc(reason.status_words)})</i>" if reason.status_words else ""
            flow.append(Paragraph(f"{number}. {esc(reason.text)}{status}", styles.body))
            if reason.sources:
                sources = "; ".join(f"{esc(code)}: {esc(title)}" for code, title in reason.sources)
                flow.append(Paragraph(f"Sources: {sources}", styles.small))
    return flow


def earlier_plan_words(summary: PlanSummary) -> str:
    plan = summary.plan
    end = medium_date(plan.planned_end_date) if plan.planned_end_date else "ongoing"
    state = plan_state_words(summary.state)
    return (
        f"Earlier plan in this period: {esc(plan.setting)}, {medium_date(plan.start_date)} to "
        f"{end}, {esc(state)}. The figures below cover every plan in the period."
    )


def ratio_words(ratio: Ratio, noun: str, what: str) -> str:
    """Like "83.33 % (30 of 36 taken doses on time)"; an em dash when nothing counts yet."""
    if not ratio.denominator:
        return f"— (no {noun}s yet)"
    return f"{percent(ratio)} ({ratio.numerator} of {plural(ratio.denominator, noun)} {what})"


def adherence_section(data: PatientReportData, styles: Styles) -> list[Flowable]:
    m = data.metrics
    glyphs = styles.fonts.glyphs

    def status(key: str) -> str:
        return f"{symbol_markup(STATUS_SYMBOLS[key], glyphs)}  {esc(STATUS_WORDS[key])}"

    skipped = str(m.skipped)
    if m.skipped_by_reason:
        reasons = ", ".join(
            f"{esc(skip_reason_words(reason))} {count}"
            for reason, count in sorted(m.skipped_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        skipped += f" (by reason: {reasons})"
    if m.pdc.denominator:
        pdc = (
            f"<b>{percent(m.pdc)}</b> — {esc(band_words(m.pdc.band))} ({m.pdc.numerator} of "
            f"{plural(m.pdc.denominator, 'day')} with every dose taken)"
        )
    else:
        pdc = f"— ({esc(band_words(None))}: no day in this period has all its doses logged)"
    pairs = [
        ("PDC (days covered)", pdc),
        (
            "Dose-level adherence",
            ratio_words(m.dose_adherence, "logged dose", "taken"),
        ),
        ("On-time rate", ratio_words(m.on_time, "taken dose", "on time")),
    ]
    rows = [
        [Paragraph(esc(label), styles.cell_bold), Paragraph(value, styles.cell)]
        for label, value in pairs
    ]
    counts = [
        ("taken", str(m.taken)),
        ("taken_late", str(m.taken_late)),
        ("skipped", skipped),
        ("missed", str(m.missed)),
        ("on_hold", str(m.on_hold)),
        ("pending", str(m.pending)),
    ]
    rows += [
        [Paragraph(f"<b>{status(key)}</b>", styles.cell), Paragraph(value, styles.cell)]
        for key, value in counts
    ]
    rows += [
        [
            Paragraph(esc(label), styles.cell_bold),
            Paragraph(value, styles.cell),
        ]
        for label, value in (
            ("Current missed streak", plural(m.current_missed_streak, "day")),
            ("Longest missed streak", plural(m.longest_missed_streak, "day")),
            ("Days on drug in this period", str(m.days_on_drug)),
        )
    ]
    return [
        Paragraph("Adherence in this period", styles.h2),
        table(rows, [48 * mm, CONTENT_WIDTH - 48 * mm], header=False),
        Spacer(0, 2),
        Paragraph(
            "PDC: days with every dose taken (late counts), over days whose doses are all "
            "logged; held days are left out. 90 % or more is adherent; 80 to 90 % "
            "sub-optimal; below 80 % non-adherent. Dose counts cover every scheduled dose "
            "in the period. A missed streak is days in a row with a missed dose; the current "
            "one ends on the period's last logged day.",
            styles.small,
        ),
    ]


def calendar_section(data: PatientReportData, styles: Styles) -> list[Flowable]:
    flow: list[Flowable] = [CondPageBreak(60 * mm), Paragraph("Doses", styles.h2)]
    if not data.calendar:
        flow.append(Paragraph("No doses were scheduled in this period.", styles.body))
        return flow
    days = (data.last - data.first).days + 1
    if days > CALENDAR_GRID_MAX_DAYS:
        flow.append(
            Paragraph(
                f"The period is longer than {CALENDAR_GRID_MAX_DAYS} days, so doses are "
                "summarised month by month instead of day by day.",
                styles.small,
            )
        )
        flow.append(monthly_summary(data, styles))
        return flow
    calendar = build_dose_calendar(
        data.first,
        data.last,
        [
            (item.dose.date, item.dose.slot, item.status, clock(item.dose.local_time))
            for item in data.calendar
        ],
    )
    # At most 19 week rows: the heading, key and grid fit one page, so keep them on one.
    return [KeepTogether([*flow[1:], legend(calendar, styles), week_grid(calendar, styles)])]


def clock(value: Any) -> str:
    """Like "8:00", as the dashboard labels doses."""
    return f"{value.hour}:{value.minute:02d}"


def legend(calendar: DoseCalendar, styles: Styles) -> Paragraph:
    glyphs = styles.fonts.glyphs
    entries = "    ".join(
        f"<b>{symbol_markup(entry.symbol, glyphs)}</b> {esc(entry.words)}"
        for entry in calendar.legend
    )
    return Paragraph(
        f"Key: {entries}    blank: no dose scheduled. Several symbols in a day: one per dose, "
        "in order of dose time. Shading repeats the day's worst status (darker: missed, "
        "lighter: skipped).",
        styles.small,
    )


def week_grid(calendar: DoseCalendar, styles: Styles) -> Table:
    glyphs = styles.fonts.glyphs
    header = [Paragraph("", styles.cell)] + [
        Paragraph(f"<b>{esc(name)}</b>", styles.cell) for name in calendar.weekdays
    ]
    rows: list[list[Any]] = [header]
    extra: list[tuple[Any, ...]] = []
    for row_index, week in enumerate(calendar.weeks, start=1):
        row: list[Any] = [Paragraph(esc(week.month_label), styles.cell_bold)]
        for col_index, day in enumerate(week.days, start=1):
            if not day.in_range:
                row.append("")
                extra.append(
                    ("BACKGROUND", (col_index, row_index), (col_index, row_index), OUTSIDE_FILL)
                )
                continue
            symbols = " ".join(symbol_markup(mark.symbol, glyphs) for mark in day.marks)
            row.append(
                Paragraph(
                    f'<font size="6.5" color="#444444">{esc(day.day_label)}</font><br/>'
                    f"{symbols or '&nbsp;'}",
                    styles.day,
                )
            )
            fill = SUMMARY_FILL.get(day.summary or "")
            if fill is not None:
                cell = (col_index, row_index)
                extra.append(("BACKGROUND", cell, cell, fill))
        rows.append(row)
    first_width = 22 * mm
    day_width = (CONTENT_WIDTH - first_width) / 7
    return table(
        rows,
        [first_width] + [day_width] * 7,
        extra=[("ALIGN", (1, 0), (-1, -1), "CENTER"), *extra],
    )


def month_spans(first: date, last: date) -> list[tuple[date, date]]:
    """[first, last] cut at month boundaries: one (first day, last day) per calendar month."""
    spans = []
    start = first
    while start <= last:
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = min(last, next_month - timedelta(days=1))
        spans.append((start, end))
        start = next_month
    return spans


def monthly_summary(data: PatientReportData, styles: Styles) -> Table:
    """Counts per month with the same definitions as the totals (metrics_from_calendar)."""
    glyphs = styles.fonts.glyphs
    by_month: dict[tuple[int, int], list[CalendarDose]] = {}
    for item in data.calendar:
        by_month.setdefault((item.dose.date.year, item.dose.date.month), []).append(item)
    keys = ("taken", "taken_late", "skipped", "missed", "on_hold", "pending")
    header = [Paragraph("<b>Month</b>", styles.cell)] + [
        Paragraph(
            f"<b>{symbol_markup(STATUS_SYMBOLS[key], glyphs)} {esc(STATUS_WORDS[key])}</b>",
            styles.cell,
        )
        for key in keys
    ]
    header.append(Paragraph("<b>PDC</b>", styles.cell))
    rows: list[list[Any]] = [header]

    def row(label: str, m: AdherenceMetrics, bold: bool = False) -> list[Any]:
        style = styles.cell_bold if bold else styles.cell
        values = [m.taken, m.taken_late, m.skipped, m.missed, m.on_hold, m.pending]
        pdc = percent(m.pdc)
        if m.pdc.band:
            pdc += f" {band_words(m.pdc.band)}"
        return [
            Paragraph(esc(label), style),
            *(Paragraph(str(value), style) for value in values),
            Paragraph(esc(pdc), style),
        ]

    for first, last in month_spans(data.first, data.last):
        items = by_month.get((first.year, first.month), [])
        label = f"{MONTHS[first.month - 1]} {first.year}"
        if first.day != 1 or (last + timedelta(days=1)).day != 1:
            label += f" (days {first.day} to {last.day})"  # a month the period only touches
        rows.append(row(label, metrics_from_calendar(items, first=first, last=last)))
    rows.append(row("Whole period", data.metrics, bold=True))
    month_width = 24 * mm
    pdc_width = 38 * mm
    count_width = (CONTENT_WIDTH - month_width - pdc_width) / len(keys)
    return table(
        rows,
        [month_width] + [count_width] * len(keys) + [pdc_width],
        extra=[("BACKGROUND", (0, -1), (-1, -1), HEADER_FILL)],
    )


# --------------------------------------------------------------------------------------------
# Side effects
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Lab results
# --------------------------------------------------------------------------------------------

HOLD_FLAG: Final = "HOLD THRESHOLD CROSSED"


def printable(text: str, fonts: Fonts) -> str:
    """A superscript 9 ("10\u2079/L") as "10^9/L" where the font cannot draw it."""
    if 0x2079 in fonts.glyphs:
        return text
    return text.replace("10\u2079", "10^9")


def lab_rules_words() -> str:
    """The label's hold and resume thresholds in one paragraph (the dashboard's words)."""
    bilirubin, alt = LAB_THRESHOLDS["bilirubin_total"], LAB_THRESHOLDS["alt"]
    anc, platelets = LAB_THRESHOLDS["anc"], LAB_THRESHOLDS["platelets"]
    return (
        "The label's thresholds for imatinib: withhold when bilirubin is "
        f"{bilirubin.hold_limit} or ALT or AST {alt.hold_limit}; resume when bilirubin is "
        f"{bilirubin.resume_limit} and ALT and AST {alt.resume_limit}, one dose level lower. "
        f"Withhold when ANC is {anc.hold_limit} or platelets {platelets.hold_limit}; resume "
        f"when ANC is {anc.resume_limit} and platelets {platelets.resume_limit}. ULN: the "
        "upper limit of normal the laboratory gave with the result; values in one unit per "
        "test (as entered, when entered in another unit, in the last column)."
    )


def lab_results_section(data: PatientReportData, styles: Styles) -> list[Flowable]:
    flow: list[Flowable] = [CondPageBreak(40 * mm), Paragraph("Lab results", styles.h2)]
    fonts = styles.fonts
    flow.append(Paragraph(esc(printable(lab_rules_words(), fonts)), styles.body))
    if not data.lab_results:
        flow.append(Paragraph("No lab results taken in this period.", styles.body))
        return flow
    headings = (
        "Taken on",
        "Test",
        "Value",
        "ULN",
        "\u00d7 ULN",
        "Label's thresholds (hold; resume)",
        "Entered as",
    )
    rows: list[list[Any]] = [[Paragraph(f"<b>{esc(h)}</b>", styles.cell) for h in headings]]
    crossed = []
    for index, result in enumerate(data.lab_results, start=1):
        line = lab_line(result)
        threshold = LAB_THRESHOLDS.get(result.test)
        limits = (
            f"hold {threshold.hold_limit}; resume {threshold.resume_limit}"
            if threshold is not None
            else "no hold rule on the label"
        )
        limits = esc(printable(limits, fonts))
        if line.beyond_hold and threshold is not None:
            limits = f"<b>{HOLD_FLAG}</b> ({esc(printable(threshold.hold_limit, fonts))})"
            limits += f"<br/>resume {esc(printable(threshold.resume_limit, fonts))}"
            crossed.append(index)
        value = esc(printable(line.value_words, fonts))
        if line.beyond_hold:
            value = f"<b>{value}</b>"
        rows.append(
            [
                Paragraph(medium_date(result.taken_on), styles.cell),
                Paragraph(esc(LabTest(result.test).label), styles.cell),
                Paragraph(value, styles.cell),
                Paragraph(esc(printable(line.uln_words, fonts)), styles.cell),
                Paragraph(esc(line.x_uln_words), styles.cell),
                Paragraph(limits, styles.cell),
                Paragraph(esc(line.entered_words) or "—", styles.cell),
            ]
        )
    widths = [21 * mm, 26 * mm, 24 * mm, 20 * mm, 18 * mm, 46 * mm]
    # A row beyond a hold threshold is shaded as well as flagged in words.
    shade = [("BACKGROUND", (0, i), (-1, i), SUMMARY_FILL["skipped"]) for i in crossed]
    flow.append(table(rows, [*widths, CONTENT_WIDTH - sum(widths)], extra=shade))
    flow.append(
        Paragraph(
            f"{HOLD_FLAG}: this one result is beyond the label's hold threshold for its test "
            "(the hold alert itself weighs the latest results of the panel). Exactly at a "
            "threshold is not beyond it.",
            styles.small,
        )
    )
    return flow


# --------------------------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------------------------


def alert_row(alert: Alert, zone: ZoneInfo, styles: Styles) -> list[Any]:
    acknowledge = alert.acknowledged_at - alert.opened_at if alert.acknowledged_at else None
    resolve = alert.resolved_at - alert.opened_at if alert.resolved_at else None
    priority = esc(alert.get_priority_display())
    if alert.escalated_at:
        priority += "<br/>escalated"
    outcome = "—"
    if alert.resolution_outcome:
        outcome = esc(alert.get_resolution_outcome_display())
        if alert.resolution_note:
            outcome += f": {esc(alert.resolution_note)}"
    return [
        Paragraph(local_moment(alert.opened_at, zone), styles.cell),
        Paragraph(priority, styles.cell),
        Paragraph(f"<b>{esc(alert.get_kind_display())}</b>: {esc(alert.summary)}", styles.cell),
        Paragraph(esc(alert.get_status_display()), styles.cell),
        Paragraph(esc(duration(acknowledge)), styles.cell),
        Paragraph(esc(duration(resolve)), styles.cell),
        Paragraph(outcome, styles.cell),
    ]


def alerts_section(data: PatientReportData, zone: ZoneInfo, styles: Styles) -> list[Flowable]:
    flow: list[Flowable] = [CondPageBreak(40 * mm), Paragraph("Alerts", styles.h2)]
    if not data.alerts:
        flow.append(Paragraph("No alerts in this period.", styles.body))
        return flow
    headings = (
        "Opened",
        "Priority",
        "What happened",
        "Status",
        "Time to acknowledge",
        "Time to resolve",
        "Outcome and note",
    )
    rows = [[Paragraph(f"<b>{esc(h)}</b>", styles.cell) for h in headings]]
    rows += [alert_row(alert, zone, styles) for alert in data.alerts]
    widths = [22 * mm, 16 * mm, 46 * mm, 19 * mm, 23 * mm, 18 * mm]
    flow.append(table(rows, [*widths, CONTENT_WIDTH - sum(widths)]))
    flow.append(
        Paragraph(
            "Alerts opened in the period, and any still unresolved whenever opened. Times "
            "are measured from when the alert opened.",
            styles.small,
        )
    )
    return flow


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


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

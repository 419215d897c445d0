"""The report's page geometry, greys and styles, and the text helpers every section uses
(escaping free text, local times)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from backend.common.presentation.wording import medium_date

from .fonts import Fonts

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

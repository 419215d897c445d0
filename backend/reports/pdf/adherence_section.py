"""The report's adherence figures and its dose calendar (a week grid, or a month-by-month
table for long periods)."""

from datetime import date, timedelta
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table

from backend.adherence.metrics import AdherenceMetrics, Ratio
from backend.adherence.selectors.doses import CalendarDose, metrics_from_calendar
from backend.common.presentation.charts import (
    STATUS_SYMBOLS,
    STATUS_WORDS,
    DoseCalendar,
    build_dose_calendar,
)
from backend.common.presentation.wording import (
    MONTHS,
    band_words,
    percent,
    plural,
    skip_reason_words,
)

from ..data import PatientReportData
from .fonts import symbol_markup
from .layout import (
    CALENDAR_GRID_MAX_DAYS,
    CONTENT_WIDTH,
    HEADER_FILL,
    OUTSIDE_FILL,
    SUMMARY_FILL,
    Styles,
    esc,
    table,
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

"""The report's alerts."""

from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph

from backend.alerts.models import Alert
from backend.common.presentation.wording import duration

from ..data import PatientReportData
from .layout import CONTENT_WIDTH, Styles, esc, local_moment, table


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

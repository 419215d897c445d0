"""The report's lab results, with the label's thresholds."""

from typing import Any, Final

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph

from backend.common.presentation.charts import LAB_THRESHOLDS
from backend.common.presentation.labs import lab_line
from backend.common.presentation.wording import medium_date
from backend.labs.models import LabTest

from ..data import PatientReportData
from .fonts import Fonts
from .layout import CONTENT_WIDTH, SUMMARY_FILL, Styles, esc, table

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

"""One stored lab result as the nurse's page and the reports show it: its value and ULN in the
canonical unit, its multiple of the ULN, as entered, and whether it is beyond the label's hold
line. Any object with a LabResult's fields will do (backend.labs.models is not imported here)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from backend.guidelines.labs import LabReading

from .charts import LAB_THRESHOLDS, TIMES, X_ULN, unit_words
from .wording import decimal_words


class StoredLabResult(Protocol):
    """The fields of backend.labs.models.LabResult read here."""

    test: str
    taken_on: date
    value: Decimal
    unit: str
    upper_limit_of_normal: Decimal | None
    value_entered: Decimal
    unit_entered: str
    upper_limit_of_normal_entered: Decimal | None


def lab_x_uln(result: StoredLabResult) -> float | None:
    """The result as a multiple of its ULN, by the guideline module's own arithmetic (so a
    value of exactly 3 x ULN is 3 here too)."""
    return LabReading(
        test=result.test, value=result.value, upper_limit_of_normal=result.upper_limit_of_normal
    ).x_uln


def lab_beyond_hold(result: StoredLabResult, x_uln: float | None) -> bool:
    """Whether this one result is beyond the label's hold threshold of its test."""
    threshold = LAB_THRESHOLDS.get(result.test)
    if threshold is None:
        return False
    figure = x_uln if threshold.basis == X_ULN else float(result.value)
    return figure is not None and threshold.crossed_hold(figure)


@dataclass(frozen=True)
class LabLine:
    result: StoredLabResult
    x_uln: float | None
    beyond_hold: bool
    value_words: str  # "250 U/L", in the canonical unit
    uln_words: str  # "40 U/L"; "—" without one
    x_uln_words: str  # "6.25 x ULN"; "—" without a ULN
    entered_words: str  # as entered, when another unit: "1.2 mg/dL (ULN 1.1)"; else ""


def lab_line(result: StoredLabResult) -> LabLine:
    x_uln = lab_x_uln(result)
    unit = unit_words(result.unit)
    entered = ""
    if result.unit_entered != result.unit:
        entered = f"{decimal_words(result.value_entered)} {result.unit_entered}"
        if result.upper_limit_of_normal_entered is not None:
            entered += f" (ULN {decimal_words(result.upper_limit_of_normal_entered)})"
    return LabLine(
        result=result,
        x_uln=x_uln,
        beyond_hold=lab_beyond_hold(result, x_uln),
        value_words=f"{decimal_words(result.value)} {unit}",
        uln_words=(
            f"{decimal_words(result.upper_limit_of_normal)} {unit}"
            if result.upper_limit_of_normal is not None
            else "—"
        ),
        x_uln_words=f"{decimal_words(x_uln)} {TIMES} ULN" if x_uln is not None else "—",
        entered_words=entered,
    )

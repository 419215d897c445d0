"""Units of lab results, converted both ways (backend/labs/units.py)."""

from decimal import Decimal

import pytest

from backend.guidelines.labs import CANONICAL_UNITS, TESTS
from backend.labs import units

D = Decimal

# (test, value, unit, value in the canonical unit)
KNOWN = [
    ("alt", D("40"), "U/L", D("40")),
    ("alt", D("40"), "IU/L", D("40")),
    ("ast", D("0.5"), "µkat/L", D("30")),
    ("ast", D("0.5"), "ukat/L", D("30")),
    ("alkaline_phosphatase", D("2"), "μkat/L", D("120")),  # Greek mu
    ("alkaline_phosphatase", D("120"), "[IU]/L", D("120")),
    ("bilirubin_total", D("17.1"), "µmol/L", D("17.1")),
    ("bilirubin_total", D("17.1"), "umol/L", D("17.1")),
    ("bilirubin_total", D("1"), "mg/dL", D("17.1")),
    ("bilirubin_total", D("3.2"), "mg/dl", D("54.72")),
    ("creatinine", D("1"), "mg/dL", D("88.4")),
    ("creatinine", D("80"), "µmol/L", D("80")),
    ("anc", D("1.5"), "10^9/L", D("1.5")),
    ("anc", D("1.5"), "10*9/L", D("1.5")),
    ("anc", D("1.5"), "x10^9/L", D("1.5")),
    ("anc", D("1.5"), "\u00d710\u2079/L", D("1.5")),  # multiplication sign, superscript 9
    ("anc", D("1.5"), "10^3/uL", D("1.5")),
    ("anc", D("1.5"), "10*3/uL", D("1.5")),
    ("anc", D("1500"), "/uL", D("1.5")),
    ("anc", D("1500"), "/µL", D("1.5")),
    ("platelets", D("250000"), "/mm3", D("250")),
    ("platelets", D("250000"), "cells/uL", D("250")),
    ("platelets", D("75"), "x 10^9 / L", D("75")),
    ("haemoglobin", D("13.5"), "g/dL", D("13.5")),
    ("haemoglobin", D("135"), "g/L", D("13.5")),
    ("haemoglobin", D("6.206"), "mmol/L", D("10")),
    ("creatinine_clearance", D("60"), "mL/min", D("60")),
    ("creatinine_clearance", D("1"), "mL/s", D("60")),
    ("creatinine_clearance", D("1"), "ml/s", D("60")),
]


@pytest.mark.parametrize(("test", "value", "unit", "canonical"), KNOWN)
def test_to_canonical_and_back(test: str, value: Decimal, unit: str, canonical: Decimal) -> None:
    assert units.to_canonical(test, value, unit) == canonical
    assert units.from_canonical(test, canonical, unit) == value


def test_every_accepted_unit_converts_both_ways_for_every_test() -> None:
    for test in TESTS:
        for unit in units.accepted_units(test):
            for value in (D("0.5"), D("1"), D("42.25"), D("1234")):
                there = units.to_canonical(test, value, unit)
                back = units.from_canonical(test, there, unit)
                assert abs(back - value) <= D("0.00001"), (test, unit, value, back)


def test_the_canonical_unit_is_accepted_first_with_factor_one() -> None:
    for test in TESTS:
        assert units.accepted_units(test)[0] == CANONICAL_UNITS[test] == units.canonical_unit(test)
        assert units.to_canonical(test, D("12.5"), CANONICAL_UNITS[test]) == D("12.5")


@pytest.mark.parametrize(
    ("test", "unit"),
    [
        ("alt", "mg/dL"),
        ("bilirubin_total", "g/L"),
        ("anc", "g/dL"),
        ("haemoglobin", "mg/dL"),
        ("creatinine_clearance", "mL/min/1.73m2"),
        ("alt", ""),
        ("alt", None),
    ],
)
def test_unknown_units_are_refused_with_the_accepted_ones(test: str, unit: object) -> None:
    with pytest.raises(units.UnknownUnit) as error:
        units.to_canonical(test, D("1"), unit)  # type: ignore[arg-type]
    assert error.value.test == test
    for accepted in units.accepted_units(test):
        assert accepted in str(error.value)
    assert not units.is_accepted(test, unit)


def test_spellings_are_matched_loosely() -> None:
    assert units.unit_key(" X10\u2079 / l ") == units.unit_key("x10^9/L")
    assert units.unit_key("\u00b5mol/L") == units.unit_key("\u03bcmol/l") == "umol/l"

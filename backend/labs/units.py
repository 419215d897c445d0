"""Units of lab results: one canonical unit per test (backend.guidelines.labs.CANONICAL_UNITS)
and the units accepted for it, with exact factors. Pure functions, no Django.

- ALT, AST, alkaline phosphatase: U/L; also IU/L, [IU]/L; µkat/L times 60.
- bilirubin: µmol/L; also umol/L; mg/dL times 17.1.
- creatinine: µmol/L; also umol/L; mg/dL times 88.4.
- ANC, platelets: 10^9/L; also 10*9/L (UCUM), x10^9/L (with the multiplication sign and a
  superscript 9 too), 10^3/µL, 10*3/uL, K/µL; per microlitre (/µL, /uL, /mm3, cells/µL,
  {cells}/uL) divided by 1000.
- haemoglobin: g/dL; g/L divided by 10; mmol/L divided by 0.6206.
- creatinine clearance: mL/min; mL/s times 60.

Spellings are matched without regard to case or spaces, with the micro sign, the Greek mu and
u alike, the multiplication sign and x alike, and superscripts read as powers.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from backend.guidelines.labs import CANONICAL_UNITS, TESTS

PLACES = Decimal("0.000001")  # canonical values are kept to six decimal places


@dataclass(frozen=True)
class Factor:
    """canonical = entered * multiply / divide."""

    multiply: Decimal = Decimal(1)
    divide: Decimal = Decimal(1)


_ONE = Factor()

_ENZYME = {"U/L": _ONE, "IU/L": _ONE, "[IU]/L": _ONE, "µkat/L": Factor(Decimal(60))}
_COUNTS = {
    "10^9/L": _ONE,
    "10*9/L": _ONE,
    "x10^9/L": _ONE,
    "x10*9/L": _ONE,
    "\u00d710\u2079/L": _ONE,  # the multiplication sign and a superscript 9
    "10^3/µL": _ONE,
    "10*3/uL": _ONE,
    "x10^3/µL": _ONE,
    "K/µL": _ONE,
    "/µL": Factor(divide=Decimal(1000)),
    "/uL": Factor(divide=Decimal(1000)),
    "/mm3": Factor(divide=Decimal(1000)),
    "/mm³": Factor(divide=Decimal(1000)),
    "cells/µL": Factor(divide=Decimal(1000)),
    "{cells}/uL": Factor(divide=Decimal(1000)),
}
# The display spelling first; the others are accepted the same way.
ACCEPTED: dict[str, dict[str, Factor]] = {
    "alt": _ENZYME,
    "ast": _ENZYME,
    "alkaline_phosphatase": _ENZYME,
    "bilirubin_total": {"µmol/L": _ONE, "umol/L": _ONE, "mg/dL": Factor(Decimal("17.1"))},
    "creatinine": {"µmol/L": _ONE, "umol/L": _ONE, "mg/dL": Factor(Decimal("88.4"))},
    "anc": _COUNTS,
    "platelets": _COUNTS,
    "haemoglobin": {
        "g/dL": _ONE,
        "g/L": Factor(divide=Decimal(10)),
        "mmol/L": Factor(divide=Decimal("0.6206")),
    },
    "creatinine_clearance": {"mL/min": _ONE, "mL/s": Factor(Decimal(60))},
}
assert set(ACCEPTED) == set(TESTS)

_SPELLINGS = {
    "\u2079": "^9",  # superscript 9
    "\u00b3": "^3",  # superscript 3
    "\u00b5": "u",  # micro sign
    "\u03bc": "u",  # Greek mu
    "\u00d7": "x",  # multiplication sign
    " ": "",
    "\u00a0": "",
}


class UnknownUnit(ValueError):
    """The unit is not one accepted for the test."""

    def __init__(self, test: str, unit: object) -> None:
        self.test = test
        self.unit = unit
        super().__init__(
            f"Unknown unit {unit!r} for {test}: use one of {', '.join(accepted_units(test))}."
        )


def unit_key(unit: str) -> str:
    """How spellings are compared: 'x10^9/l' and the same with the multiplication sign and a
    superscript 9 give the same key."""
    key = unit.strip()
    for old, new in _SPELLINGS.items():
        key = key.replace(old, new)
    return key.lower()


_BY_KEY: dict[str, dict[str, Factor]] = {
    test: {unit_key(unit): factor for unit, factor in units.items()}
    for test, units in ACCEPTED.items()
}


def canonical_unit(test: str) -> str:
    return CANONICAL_UNITS[test]


def accepted_units(test: str) -> tuple[str, ...]:
    """The units accepted for a test, as shown to people (canonical first)."""
    return tuple(ACCEPTED[test])


def factor_for(test: str, unit: object) -> Factor:
    """The factor from ``unit`` to the test's canonical unit; UnknownUnit when not accepted."""
    if test not in _BY_KEY:
        raise KeyError(test)
    if not isinstance(unit, str) or not unit.strip():
        raise UnknownUnit(test, unit)
    factor = _BY_KEY[test].get(unit_key(unit))
    if factor is None:
        raise UnknownUnit(test, unit)
    return factor


def is_accepted(test: str, unit: object) -> bool:
    try:
        factor_for(test, unit)
    except UnknownUnit:
        return False
    return True


def to_canonical(test: str, value: Decimal, unit: str) -> Decimal:
    """The value in the test's canonical unit, to six decimal places."""
    factor = factor_for(test, unit)
    return (Decimal(value) * factor.multiply / factor.divide).quantize(PLACES, ROUND_HALF_EVEN)


def from_canonical(test: str, value: Decimal, unit: str) -> Decimal:
    """The other way: a canonical value in ``unit``, to six decimal places."""
    factor = factor_for(test, unit)
    return (Decimal(value) * factor.divide / factor.multiply).quantize(PLACES, ROUND_HALF_EVEN)

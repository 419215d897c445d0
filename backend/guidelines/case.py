"""Strict reading of the clinical case (the input object of ``recommend``).

The case arrives as parsed JSON. Anything doubtful is refused with :class:`CaseInvalid`
naming the field, rather than guessed at: a wrong plan is worse than no plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from . import rules
from .errors import CaseInvalid

FIELDS = (
    "setting",
    "site",
    "size_cm",
    "mitoses_per_50hpf",
    "rupture",
    "mutation",
    "age_years",
    "start_date",
    "profile",
)
MAX_AGE_YEARS = 130  # data-entry sanity bound, not a clinical threshold

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ClinicalCase:
    """A validated case. ``size_cm`` and ``mitoses_per_50hpf`` may be None only if advanced."""

    setting: str
    site: str
    size_cm: float | None
    mitoses_per_50hpf: int | None
    rupture: bool
    mutation: str
    age_years: int | None
    start_date: date
    profile: str


def parse_case(case: Mapping[str, object]) -> ClinicalCase:
    """Validate the input object and return it typed; raise CaseInvalid on the first fault.

    Optional fields may be absent or JSON null. Unknown fields are refused (a misspelt
    ``rupture`` must not silently become "no rupture").
    """
    if not isinstance(case, Mapping):
        raise CaseInvalid("case", "must be an object with the case fields")
    for key in case:
        if not isinstance(key, str):
            raise CaseInvalid(str(key), "field names must be strings")
    unknown = sorted(set(case) - set(FIELDS))
    if unknown:
        raise CaseInvalid(unknown[0], "is not a known field")

    setting = check_choice("setting", _required(case, "setting"), rules.SETTINGS)
    site = check_choice("site", _required(case, "site"), rules.SITES)
    if setting == "advanced":
        size_raw = case.get("size_cm")
        mitoses_raw = case.get("mitoses_per_50hpf")
        size = None if size_raw is None else check_size_cm(size_raw)
        mitoses = None if mitoses_raw is None else check_mitoses(mitoses_raw)
    else:
        size = check_size_cm(_required(case, "size_cm", f"is required when setting is {setting}"))
        mitoses = check_mitoses(
            _required(case, "mitoses_per_50hpf", f"is required when setting is {setting}")
        )
    rupture_raw = case.get("rupture")
    rupture = False if rupture_raw is None else check_bool("rupture", rupture_raw)
    mutation = check_choice("mutation", _required(case, "mutation"), rules.MUTATIONS)
    age_raw = case.get("age_years")
    age = None if age_raw is None else _check_age(age_raw)
    start = _check_date("start_date", _required(case, "start_date"))
    profile_raw = case.get("profile")
    profile = (
        rules.DEFAULT_PROFILE
        if profile_raw is None
        else check_choice("profile", profile_raw, rules.PROFILES)
    )
    return ClinicalCase(
        setting=setting,
        site=site,
        size_cm=size,
        mitoses_per_50hpf=mitoses,
        rupture=rupture,
        mutation=mutation,
        age_years=age,
        start_date=start,
        profile=profile,
    )


def _required(case: Mapping[str, object], name: str, reason: str = "is required") -> object:
    value = case.get(name)
    if value is None:
        raise CaseInvalid(name, reason)
    return value


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """A string from a fixed vocabulary, matched exactly (no case folding)."""
    if not isinstance(value, str):
        raise CaseInvalid(name, f"must be a string, one of: {', '.join(choices)}")
    if value not in choices:
        raise CaseInvalid(name, f"'{value}' is not one of: {', '.join(choices)}")
    return value


def check_bool(name: str, value: object) -> bool:
    """A real boolean: 0, 1, "true" and "false" are refused."""
    if not isinstance(value, bool):
        raise CaseInvalid(name, "must be true or false")
    return value


def check_size_cm(value: object, name: str = "size_cm") -> float:
    """Largest tumour diameter in cm: a finite number above 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CaseInvalid(name, "must be a number of centimetres")
    try:
        size = float(value)
    except OverflowError:
        raise CaseInvalid(name, "must be a finite number") from None
    if not math.isfinite(size):
        raise CaseInvalid(name, "must be a finite number")
    if size <= 0:
        raise CaseInvalid(name, "must be greater than 0")
    return size


def check_mitoses(value: object, name: str = "mitoses_per_50hpf") -> int:
    """Mitotic count per 50 HPF: a whole number, 0 or more (3.0 and 3.5 are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseInvalid(name, "must be a whole number")
    if value < 0:
        raise CaseInvalid(name, "must be 0 or more")
    return value


def _check_age(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseInvalid("age_years", "must be a whole number of years")
    if not 0 <= value <= MAX_AGE_YEARS:
        raise CaseInvalid("age_years", f"must be between 0 and {MAX_AGE_YEARS}")
    return value


def _check_date(name: str, value: object) -> date:
    """An ISO calendar date, YYYY-MM-DD (a ``date`` object is accepted from Python callers)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise CaseInvalid(name, "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CaseInvalid(name, f"'{value}' is not a real calendar date") from None

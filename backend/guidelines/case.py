"""Strict reading of the clinical case (the input object of ``recommend``).

The case arrives as parsed JSON. Anything doubtful is refused with :class:`CaseInvalid`
naming the field, rather than guessed at: a wrong plan is worse than no plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

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
    # plan-time safety (issue 17): all optional
    "creatinine_clearance_ml_min",
    "hepatic_impairment",
    "comedications",
    "surgery_date",
    "resection_margin",
    "thyroidectomy",
    "hbv_status",
    "pregnant_or_planning",
)
MAX_AGE_YEARS = 130  # data-entry sanity bound, not a clinical threshold
# Data-entry sanity bounds for every date in a case (the same years as the API's
# INPUT_DATE_MIN_YEAR / INPUT_DATE_MAX_YEAR): a day near year 1 or 9999 overflows the moment a
# plan adds its months to it.
DATE_MIN_YEAR = 1900
DATE_MAX_YEAR = 2200

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
T = TypeVar("T")


@dataclass(frozen=True)
class ClinicalCase:
    """A validated case. ``size_cm`` may be None only if advanced; ``mitoses_per_50hpf`` also
    in the neoadjuvant setting (a biopsy often has no count). The plan-time safety fields are
    None when not given (``comedications`` an empty tuple only when given as ``[]``)."""

    setting: str
    site: str
    size_cm: float | None
    mitoses_per_50hpf: int | None
    rupture: bool
    mutation: str
    age_years: int | None
    start_date: date
    profile: str
    creatinine_clearance_ml_min: float | None = None
    hepatic_impairment: str | None = None
    comedications: tuple[str, ...] | None = None
    surgery_date: date | None = None
    resection_margin: str | None = None
    thyroidectomy: bool | None = None
    hbv_status: str | None = None
    pregnant_or_planning: bool | None = None


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
    elif setting == "neoadjuvant":
        size = check_size_cm(_required(case, "size_cm", f"is required when setting is {setting}"))
        mitoses_raw = case.get("mitoses_per_50hpf")
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
    surgery = _optional(case, "surgery_date", lambda v: _check_date("surgery_date", v))
    if surgery is not None and setting == "adjuvant" and surgery > start:
        raise CaseInvalid("surgery_date", "must not be after start_date in the adjuvant setting")
    if surgery is not None and setting == "neoadjuvant" and surgery < start:
        raise CaseInvalid(
            "surgery_date", "must not be before start_date in the neoadjuvant setting"
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
        creatinine_clearance_ml_min=_optional(
            case, "creatinine_clearance_ml_min", _check_creatinine_clearance
        ),
        hepatic_impairment=_optional(
            case,
            "hepatic_impairment",
            lambda v: check_choice("hepatic_impairment", v, rules.HEPATIC_IMPAIRMENT),
        ),
        comedications=_optional(case, "comedications", _check_comedications),
        surgery_date=surgery,
        resection_margin=_optional(
            case,
            "resection_margin",
            lambda v: check_choice("resection_margin", v, rules.RESECTION_MARGINS),
        ),
        thyroidectomy=_optional(case, "thyroidectomy", lambda v: check_bool("thyroidectomy", v)),
        hbv_status=_optional(
            case, "hbv_status", lambda v: check_choice("hbv_status", v, rules.HBV_STATUSES)
        ),
        pregnant_or_planning=_optional(
            case, "pregnant_or_planning", lambda v: check_bool("pregnant_or_planning", v)
        ),
    )


def _optional(case: Mapping[str, object], name: str, check: Callable[[object], T]) -> T | None:
    value = case.get(name)
    return None if value is None else check(value)


def _check_creatinine_clearance(value: object) -> float:
    """Creatinine clearance in mL/min: a finite number, 0 to a data-entry sanity bound."""
    name = "creatinine_clearance_ml_min"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CaseInvalid(name, "must be a number of mL/min")
    try:
        crcl = float(value)
    except OverflowError:
        raise CaseInvalid(name, "must be a finite number") from None
    if not math.isfinite(crcl):
        raise CaseInvalid(name, "must be a finite number")
    if not 0 <= crcl <= rules.MAX_CREATININE_CLEARANCE_ML_MIN:
        raise CaseInvalid(
            name, f"must be between 0 and {rules.MAX_CREATININE_CLEARANCE_ML_MIN:g} mL/min"
        )
    return crcl


def _check_comedications(value: object) -> tuple[str, ...]:
    """A list of medicine names (free text, kept as given; unknown names are not refused)."""
    name = "comedications"
    if not isinstance(value, list):
        raise CaseInvalid(name, "must be a list of medicine names")
    if len(value) > rules.MAX_COMEDICATIONS:
        raise CaseInvalid(name, f"must list at most {rules.MAX_COMEDICATIONS} medicines")
    names: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise CaseInvalid(name, f"item {index + 1} must be a medicine name (text)")
        if len(item) > rules.MAX_COMEDICATION_LENGTH:
            raise CaseInvalid(
                name, f"item {index + 1} must be at most {rules.MAX_COMEDICATION_LENGTH} characters"
            )
        names.append(item.strip())
    return tuple(names)


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
        return _check_date_years(name, value)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise CaseInvalid(name, "must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise CaseInvalid(name, f"'{value}' is not a real calendar date") from None
    return _check_date_years(name, parsed)


def _check_date_years(name: str, value: date) -> date:
    if not DATE_MIN_YEAR <= value.year <= DATE_MAX_YEAR:
        raise CaseInvalid(name, f"must be between the years {DATE_MIN_YEAR} and {DATE_MAX_YEAR}")
    return value

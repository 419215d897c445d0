"""FHIR R4 Observations from a lab system, read by hand into LabInput values (fhir.resources
is a test dependency only: the tests check that what is accepted here is valid R4).

Accepted: one ``Observation``, or a ``Bundle`` of type ``batch``, ``transaction`` or
``collection`` whose entries are all Observations. Per Observation:

- ``status``: ``final``, ``amended`` or ``corrected`` (anything else is refused: only
  results a lab has released count);
- ``code.coding``: a LOINC code of :data:`LOINC_TESTS` (the first one known decides);
- ``valueQuantity``: ``value`` (a JSON number, no ``comparator``) with ``unit`` and/or a UCUM
  ``code`` (``system`` http://unitsofmeasure.org, or none); the UCUM code is tried first;
- the day taken: ``effectiveDateTime``, else ``effectivePeriod.start``, else ``issued``; a full
  date is that date, a date-time (which must carry its UTC offset) is the patient's local date
  at that instant;
- ``referenceRange[0].high``: the upper limit of normal, in the value's unit (a ``unit`` or
  ``code`` on it must be that unit);
- ``subject.reference``, when present: this patient (``Patient/<id>``);
- ``id`` and ``identifier[0]`` (``system|value``): kept, so a resend is recognised.

Anything else is ignored. A malformed element raises :class:`FhirInvalid` with the path of the
element (``entry[2].resource.valueQuantity.value``) and the reason.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from backend.guidelines.labs import TEST_NAMES

from . import units
from .services import LabInput

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
STATUSES = ("final", "amended", "corrected")
BUNDLE_TYPES = ("batch", "transaction", "collection")
MAX_ENTRIES = 200

LOINC_TESTS: dict[str, str] = {
    # ALT
    "1742-6": "alt",
    "1743-4": "alt",
    "76625-3": "alt",
    # AST
    "1920-8": "ast",
    "30239-8": "ast",
    # bilirubin, total
    "1975-2": "bilirubin_total",
    "14631-6": "bilirubin_total",
    "42719-5": "bilirubin_total",
    # alkaline phosphatase
    "6768-6": "alkaline_phosphatase",
    # neutrophils (absolute count)
    "751-8": "anc",
    "753-4": "anc",
    "26499-4": "anc",
    # platelets
    "777-3": "platelets",
    "26515-7": "platelets",
    "778-1": "platelets",
    # haemoglobin
    "718-7": "haemoglobin",
    "59260-0": "haemoglobin",
    # creatinine
    "2160-0": "creatinine",
    "14682-9": "creatinine",
    "38483-4": "creatinine",
    # creatinine clearance
    "2164-2": "creatinine_clearance",
    "35591-7": "creatinine_clearance",
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


class FhirInvalid(ValueError):
    """A malformed or refused element: ``path`` says where, ``reason`` why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class FhirRequest:
    """What was sent: ``kind`` is ``Observation`` or the Bundle's type; one input per
    Observation, in order."""

    kind: str
    inputs: list[LabInput]


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FhirInvalid(path, "Must be a JSON object.")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FhirInvalid(path, "Must be a JSON array.")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FhirInvalid(path, "Must be a non-empty string.")
    return value.strip()


def _number(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise FhirInvalid(path, "Must be a JSON number.")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise FhirInvalid(path, "Must be a finite number.")
    return number


def observations_from(
    body: Any, *, patient_id: str, local_date: Callable[[datetime], date]
) -> FhirRequest:
    """Every Observation of the request, checked, as LabInputs (all or nothing: the first
    malformed element raises FhirInvalid). ``local_date`` turns an instant into the patient's
    calendar date."""
    resource = _object(body, "resourceType")
    kind = resource.get("resourceType")
    if kind == "Observation":
        return FhirRequest("Observation", [_observation(resource, "", patient_id, local_date)])
    if kind != "Bundle":
        raise FhirInvalid("resourceType", "Send an Observation or a Bundle of Observations.")
    bundle_type = resource.get("type")
    if bundle_type not in BUNDLE_TYPES:
        raise FhirInvalid("type", f"A Bundle must be of type {', '.join(BUNDLE_TYPES)}.")
    entries = _list(resource.get("entry"), "entry")
    if not entries:
        raise FhirInvalid("entry", "The Bundle has no entries.")
    if len(entries) > MAX_ENTRIES:
        raise FhirInvalid("entry", f"At most {MAX_ENTRIES} entries in one Bundle.")
    inputs = []
    for index, raw in enumerate(entries):
        path = f"entry[{index}]"
        entry = _object(raw, path)
        observation = _object(entry.get("resource"), f"{path}.resource")
        if observation.get("resourceType") != "Observation":
            raise FhirInvalid(
                f"{path}.resource.resourceType", "Only Observation resources are accepted."
            )
        inputs.append(_observation(observation, f"{path}.resource", patient_id, local_date))
    return FhirRequest(str(bundle_type), inputs)


def _observation(
    resource: dict[str, Any],
    path: str,
    patient_id: str,
    local_date: Callable[[datetime], date],
) -> LabInput:
    def at(name: str) -> str:
        return _join(path, name)

    status = resource.get("status")
    if status not in STATUSES:
        raise FhirInvalid(
            at("status"),
            f"Only released results are recorded ({', '.join(STATUSES)}); this one is {status!r}.",
        )
    _check_subject(resource, at, patient_id)
    test = _test(resource, at)
    value, unit, unit_path = _quantity(resource, at, test)
    uln = _upper_limit(resource, at, test, unit)
    taken_on, taken_on_path = _taken_on(resource, at, local_date)
    external_id = ""
    if "id" in resource:
        external_id = _string(resource["id"], at("id"))[:200]
    return LabInput(
        test=test,
        value=value,
        unit=unit,
        upper_limit_of_normal=uln,
        taken_on=taken_on,
        external_id=external_id,
        external_identifier=_identifier(resource, at),
        paths={
            "test": at("code.coding"),
            "value": at("valueQuantity.value"),
            "unit": unit_path,
            "upper_limit_of_normal": at("referenceRange[0].high"),
            "taken_on": taken_on_path,
            "external_id": at("id"),
            "external_identifier": at("identifier[0]"),
        },
    )


def _check_subject(resource: dict[str, Any], at: Callable[[str], str], patient_id: str) -> None:
    if "subject" not in resource:
        return
    subject = _object(resource["subject"], at("subject"))
    if "reference" not in subject:
        return
    reference = _string(subject["reference"], at("subject.reference"))
    expected = f"Patient/{patient_id}".lower()
    if reference.lower() != expected and not reference.lower().endswith("/" + expected):
        raise FhirInvalid(
            at("subject.reference"), f"Is not this patient (expected Patient/{patient_id})."
        )


def _test(resource: dict[str, Any], at: Callable[[str], str]) -> str:
    code = _object(resource.get("code"), at("code"))
    codings = _list(code.get("coding"), at("code.coding"))
    for index, raw in enumerate(codings):
        coding = _object(raw, at(f"code.coding[{index}]"))
        if coding.get("system") == LOINC_SYSTEM and coding.get("code") in LOINC_TESTS:
            return LOINC_TESTS[coding["code"]]
    raise FhirInvalid(
        at("code.coding"),
        "No LOINC code of a test recorded here (system http://loinc.org; codes: "
        f"{', '.join(LOINC_TESTS)}).",
    )


def _unit_of(
    quantity: dict[str, Any], at: Callable[[str], str], where: str, test: str
) -> tuple[str, str] | None:
    """(unit, path) of a Quantity: its UCUM code if accepted for the test, else its unit
    text; None when it has neither."""
    candidates: list[tuple[str, str]] = []
    system = quantity.get("system")
    if "code" in quantity and (system is None or system == UCUM_SYSTEM):
        candidates.append((_string(quantity["code"], at(f"{where}.code")), at(f"{where}.code")))
    if "unit" in quantity:
        candidates.append((_string(quantity["unit"], at(f"{where}.unit")), at(f"{where}.unit")))
    if not candidates:
        return None
    for unit, unit_path in candidates:
        if units.is_accepted(test, unit):
            return unit, unit_path
    unit, unit_path = candidates[0]
    raise FhirInvalid(
        unit_path,
        f"Unknown unit {unit!r} for {TEST_NAMES[test]}: use one of "
        f"{', '.join(units.accepted_units(test))}.",
    )


def _quantity(
    resource: dict[str, Any], at: Callable[[str], str], test: str
) -> tuple[Decimal, str, str]:
    if "valueQuantity" not in resource:
        raise FhirInvalid(at("valueQuantity"), "A numeric result (valueQuantity) is required.")
    quantity = _object(resource["valueQuantity"], at("valueQuantity"))
    if "comparator" in quantity:
        raise FhirInvalid(
            at("valueQuantity.comparator"),
            "A value with a comparator (<, >) is not an exact result: record it by hand.",
        )
    if "value" not in quantity:
        raise FhirInvalid(at("valueQuantity.value"), "The value is required.")
    value = _number(quantity["value"], at("valueQuantity.value"))
    found = _unit_of(quantity, at, "valueQuantity", test)
    if found is None:
        raise FhirInvalid(at("valueQuantity.unit"), "A unit (unit or a UCUM code) is required.")
    unit, unit_path = found
    return value, unit, unit_path


def _upper_limit(
    resource: dict[str, Any], at: Callable[[str], str], test: str, value_unit: str
) -> Decimal | None:
    if "referenceRange" not in resource:
        return None
    ranges = _list(resource["referenceRange"], at("referenceRange"))
    if not ranges:
        return None
    first = _object(ranges[0], at("referenceRange[0]"))
    if "high" not in first:
        return None
    where = "referenceRange[0].high"
    high = _object(first["high"], at(where))
    if "value" not in high:
        raise FhirInvalid(at(f"{where}.value"), "The value is required.")
    uln = _number(high["value"], at(f"{where}.value"))
    found = _unit_of(high, at, where, test)
    if found is not None:
        unit, unit_path = found
        if units.factor_for(test, unit) != units.factor_for(test, value_unit):
            raise FhirInvalid(unit_path, f"Must be in the same unit as the value ({value_unit}).")
    return uln


def _day(raw: Any, path: str, local_date: Callable[[datetime], date]) -> date:
    text = _string(raw, path)
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FhirInvalid(path, "Not a valid date.") from None
    if _PARTIAL_DATE.match(text):
        raise FhirInvalid(path, "Needs a full date (YYYY-MM-DD), not only a year or month.")
    match = _DATE_TIME.match(text)
    if not match:
        raise FhirInvalid(path, "Not a FHIR date or dateTime (e.g. 2026-05-04T08:30:00+02:00).")
    if match.group(3) is None:
        raise FhirInvalid(path, "A time needs its UTC offset (e.g. +02:00 or Z).")
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirInvalid(path, "Not a valid date and time.") from None
    return local_date(instant)


def _taken_on(
    resource: dict[str, Any], at: Callable[[str], str], local_date: Callable[[datetime], date]
) -> tuple[date, str]:
    if "effectiveDateTime" in resource:
        path = at("effectiveDateTime")
        return _day(resource["effectiveDateTime"], path, local_date), path
    if "effectivePeriod" in resource:
        period = _object(resource["effectivePeriod"], at("effectivePeriod"))
        if "start" in period:
            path = at("effectivePeriod.start")
            return _day(period["start"], path, local_date), path
    if "issued" in resource:
        path = at("issued")
        return _day(resource["issued"], path, local_date), path
    raise FhirInvalid(
        at("effectiveDateTime"),
        "When the sample was taken is required (effectiveDateTime, effectivePeriod.start or "
        "issued).",
    )


def _identifier(resource: dict[str, Any], at: Callable[[str], str]) -> str:
    if "identifier" not in resource:
        return ""
    identifiers = _list(resource["identifier"], at("identifier"))
    if not identifiers:
        return ""
    first = _object(identifiers[0], at("identifier[0]"))
    if "value" not in first:
        return ""
    value = _string(first["value"], at("identifier[0].value"))
    system = first.get("system", "")
    if system != "":
        system = _string(system, at("identifier[0].system"))
    return f"{system}|{value}"[:400]

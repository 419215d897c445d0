"""Writes for lab results: check, convert to the canonical unit, store once, and raise or update
the label's hold alerts in the same transaction (backend.labs.triggers)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patient_local_today
from backend.alerts.models import Alert
from backend.audit.services import audit_record
from backend.common.errors import Conflict, ServiceValidationError
from backend.guidelines.labs import CANONICAL_UNITS, TEST_NAMES, TESTS, ULN_REQUIRED

from . import triggers, units
from .models import LabResult, LabSource

MAX_RESULTS_PER_REQUEST = 200
DECIMAL_PLACES = 6

# Above these (canonical unit) a value is taken for a typing or unit mistake, not a result.
PLAUSIBLE_MAX: dict[str, Decimal] = {
    "alt": Decimal(50000),
    "ast": Decimal(50000),
    "alkaline_phosphatase": Decimal(20000),
    "bilirubin_total": Decimal(1500),
    "creatinine": Decimal(5000),
    "anc": Decimal(500),
    "platelets": Decimal(5000),
    "haemoglobin": Decimal(30),
    "creatinine_clearance": Decimal(400),
}
# A count of 0 is a real result (no neutrophils seen); every other test is more than 0.
ZERO_ALLOWED = frozenset({"anc"})


@dataclass(frozen=True)
class LabInput:
    """One result as sent, before checks. ``paths`` names each input's place in the request
    (``results[0].unit``, ``entry[2].resource.valueQuantity.unit``) for error messages."""

    test: str
    value: Decimal | int | float
    unit: str
    upper_limit_of_normal: Decimal | int | float | None
    taken_on: date
    external_id: str = ""
    external_identifier: str = ""
    paths: Mapping[str, str] = field(default_factory=dict)

    def where(self, name: str) -> str:
        return self.paths.get(name, name)


def panel_inputs(taken_on: date, results: Sequence[Mapping[str, Any]]) -> list[LabInput]:
    """Results of one day as the API and the dashboard send them:
    ``[{test, value, unit, upper_limit_of_normal?}]``; errors name ``results[i].<field>``."""
    inputs = []
    for index, item in enumerate(results):
        prefix = f"results[{index}]"
        inputs.append(
            LabInput(
                test=item["test"],
                value=item["value"],
                unit=item["unit"],
                upper_limit_of_normal=item.get("upper_limit_of_normal"),
                taken_on=taken_on,
                paths={
                    "test": f"{prefix}.test",
                    "value": f"{prefix}.value",
                    "unit": f"{prefix}.unit",
                    "upper_limit_of_normal": f"{prefix}.upper_limit_of_normal",
                    "taken_on": "taken_on",
                },
            )
        )
    return inputs


@dataclass(frozen=True)
class _Checked:
    """An input that passed the checks: as entered (a decimal, the unit trimmed) and in the
    test's canonical unit."""

    item: LabInput
    value_entered: Decimal
    unit_entered: str
    upper_limit_of_normal_entered: Decimal | None
    value: Decimal
    upper_limit_of_normal: Decimal | None


@dataclass(frozen=True)
class LabRecordResult:
    """``items``: (stored result, created now) per input, in order (a resend within the same
    request points at the same row). ``alerts``: hold alerts raised or updated."""

    items: list[tuple[LabResult, bool]]
    alerts: list[Alert]

    @property
    def created(self) -> bool:
        return any(created for _, created in self.items)

    @property
    def results(self) -> list[LabResult]:
        """Each stored result once, in the order of the request."""
        seen: dict[object, LabResult] = {}
        for result, _ in self.items:
            seen.setdefault(result.pk, result)
        return list(seen.values())


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _check_number(item: LabInput, name: str, raw: object, zero_allowed: bool) -> Decimal:
    """A number as a decimal (the API and FHIR give decimals; a form may give int or float)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise ServiceValidationError(item.where(name), "Must be a number.")
    value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    if not value.is_finite():
        raise ServiceValidationError(item.where(name), "Must be a number.")
    if value < 0 or (value == 0 and not zero_allowed):
        raise ServiceValidationError(
            item.where(name), "Must be 0 or more." if zero_allowed else "Must be more than 0."
        )
    if _decimal_places(value) > DECIMAL_PLACES:
        raise ServiceValidationError(item.where(name), f"At most {DECIMAL_PLACES} decimal places.")
    return value


def _plausible(item: LabInput, name: str, canonical: Decimal) -> None:
    top = PLAUSIBLE_MAX[item.test]
    if canonical > top:
        unit = CANONICAL_UNITS[item.test]
        raise ServiceValidationError(
            item.where(name),
            f"{canonical.normalize():f} {unit} is not a plausible {TEST_NAMES[item.test]} result "
            f"(more than {top} {unit}): check the value and its unit ({item.unit}).",
        )


def lab_input_checked(item: LabInput, today: date) -> _Checked:
    """Test, unit, value, ULN and date checked, each error naming its field; values converted
    to the canonical unit."""
    if item.test not in TESTS:
        raise ServiceValidationError(item.where("test"), f"Must be one of: {', '.join(TESTS)}.")
    try:
        units.factor_for(item.test, item.unit)
    except units.UnknownUnit:
        raise ServiceValidationError(
            item.where("unit"),
            f"Unknown unit {item.unit!r} for {TEST_NAMES[item.test]}: use one of "
            f"{', '.join(units.accepted_units(item.test))}.",
        ) from None
    entered = _check_number(item, "value", item.value, item.test in ZERO_ALLOWED)
    value = units.to_canonical(item.test, entered, item.unit)
    _plausible(item, "value", value)
    uln_entered = uln = None
    if item.upper_limit_of_normal is None:
        if item.test in ULN_REQUIRED:
            raise ServiceValidationError(
                item.where("upper_limit_of_normal"),
                f"Required for {TEST_NAMES[item.test]}: the label's rules are in multiples of "
                f"the upper limit of normal (give it in the same unit as the value, {item.unit}).",
            )
    else:
        uln_entered = _check_number(
            item, "upper_limit_of_normal", item.upper_limit_of_normal, False
        )
        uln = units.to_canonical(item.test, uln_entered, item.unit)
        if uln == 0:
            raise ServiceValidationError(
                item.where("upper_limit_of_normal"), "Too small to be an upper limit of normal."
            )
        _plausible(item, "upper_limit_of_normal", uln)
    if not isinstance(item.taken_on, date):
        raise ServiceValidationError(item.where("taken_on"), "Must be a date.")
    if item.taken_on > today:
        raise ServiceValidationError(
            item.where("taken_on"),
            f"Must not be in the future (the patient's date is {today.isoformat()}).",
        )
    return _Checked(item, entered, item.unit.strip(), uln_entered, value, uln)


def lab_results_record(
    *,
    patient: Patient,
    recorded_by: User,
    items: Sequence[LabInput],
    source: str,
    client_id: UUID | None = None,
) -> LabRecordResult:
    """Store lab results once each and raise or update the patient's hold alerts.

    All or nothing: every input is checked before any is stored (a ServiceValidationError
    names the first wrong field). A resend (the same ``client_id``; or per result the same
    FHIR id or identifier, or the same test, day, value and unit as entered) returns the stored
    result and changes nothing; a FHIR id stored with other content is a Conflict (409).
    """
    if source not in LabSource.values:
        raise ValueError(f"unknown source {source!r}")
    if not items:
        raise ServiceValidationError("results", "Give at least one result.")
    if len(items) > MAX_RESULTS_PER_REQUEST:
        raise ServiceValidationError(
            "results", f"At most {MAX_RESULTS_PER_REQUEST} results in one request."
        )
    with transaction.atomic():
        if client_id is not None:
            stored = list(LabResult.objects.filter(client_id=client_id).order_by("recorded_at"))
            if stored:
                if any(result.patient_id != patient.pk for result in stored):
                    raise ServiceValidationError(
                        "client_id", "This client_id has already been used."
                    )
                return LabRecordResult([(result, False) for result in stored], [])
        today = patient_local_today(patient)
        checked = [lab_input_checked(item, today) for item in items]
        stored_items = [
            _stored(patient, recorded_by, entry, source, client_id) for entry in checked
        ]
        new = [result for result, created in stored_items if created]
        alerts: list[Alert] = []
        if new:
            audit_record(
                actor=recorded_by,
                action="labs.record",
                patient=patient,
                detail={
                    "results": [str(result.pk) for result in new],
                    "tests": sorted({result.test for result in new}),
                    "source": source,
                },
            )
            alerts = triggers.alerts_after_lab_results(
                patient=patient, new_results=new, now=timezone.now()
            )
    return LabRecordResult(stored_items, alerts)


def _same_content(result: LabResult, entry: _Checked) -> bool:
    item = entry.item
    return (
        result.test == item.test
        and result.taken_on == item.taken_on
        and result.value_entered == entry.value_entered
        and result.unit_entered == entry.unit_entered
        and result.upper_limit_of_normal_entered == entry.upper_limit_of_normal_entered
    )


def _existing(patient: Patient, entry: _Checked) -> LabResult | None:
    item = entry.item
    for name, value in (
        ("external_identifier", item.external_identifier),
        ("external_id", item.external_id),
    ):
        if not value:
            continue
        stored = LabResult.objects.filter(patient=patient, **{name: value}).first()
        if stored is not None:
            if not _same_content(stored, entry):
                raise Conflict(
                    item.where(name),
                    f"This Observation ({value}) was stored before with other content; a "
                    "corrected result is not applied automatically: record the correction by "
                    "hand.",
                )
            return stored
    return LabResult.objects.filter(
        patient=patient,
        test=item.test,
        taken_on=item.taken_on,
        value_entered=entry.value_entered,
        unit_entered=entry.unit_entered,
    ).first()


def _stored(
    patient: Patient,
    recorded_by: User,
    entry: _Checked,
    source: str,
    client_id: UUID | None,
) -> tuple[LabResult, bool]:
    stored = _existing(patient, entry)
    if stored is not None:
        return stored, False
    item = entry.item
    try:
        with transaction.atomic():
            result = LabResult.objects.create(
                patient=patient,
                taken_on=item.taken_on,
                test=item.test,
                value=entry.value,
                unit=CANONICAL_UNITS[item.test],
                upper_limit_of_normal=entry.upper_limit_of_normal,
                value_entered=entry.value_entered,
                unit_entered=entry.unit_entered,
                upper_limit_of_normal_entered=entry.upper_limit_of_normal_entered,
                source=source,
                external_id=item.external_id,
                external_identifier=item.external_identifier,
                client_id=client_id,
                recorded_by=recorded_by,
            )
    except IntegrityError:
        # A concurrent request stored the same result first.
        stored = _existing(patient, entry)
        if stored is None:  # pragma: no cover - the constraints name what is stored
            raise
        return stored, False
    return result, True

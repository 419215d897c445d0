"""Writes for side-effect reports, clinician grades and weights. Alerts they cause are raised
in the same transaction (backend.alerts.triggers)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.roles import Role
from backend.accounts.selectors import patient_local_today
from backend.alerts import triggers
from backend.alerts.models import Alert
from backend.audit.services import audit_record
from backend.common.errors import ServiceValidationError
from backend.guidelines import (
    CaseInvalid,
    checked_answers,
    checked_clinician_grade,
    checked_ctcae_term,
    composite_grade,
    patient_instruction,
    red_flags_in,
    summary_level,
)

from .models import ClinicianAssessment, SideEffectReport, WeightMeasurement, WeightSource
from .selectors import previous_report, rash_history, weight_baseline, weights_since

NOTE_MAX_CHARACTERS = 2000
WEIGHT_MIN_KG = Decimal("20")
WEIGHT_MAX_KG = Decimal("400")


@dataclass(frozen=True)
class ReportResult:
    report: SideEffectReport
    created: bool


def side_effect_report_record(
    *,
    patient: Patient,
    reported_by: User,
    client_id: UUID,
    symptom: str,
    answers: dict[str, Any],
    onset_date: date | None = None,
    note: str = "",
    weight_kg: Decimal | None = None,
) -> ReportResult:
    """Store a report once per client_id; a resend returns the stored one, unchanged."""
    with transaction.atomic():
        stored = SideEffectReport.objects.filter(client_id=client_id).first()
        if stored is not None:
            return _replayed(stored, patient)
        try:
            scores = checked_answers(symptom, answers)
        except CaseInvalid as error:
            raise ServiceValidationError(error.field, error.reason) from None
        if onset_date is not None and onset_date > patient_local_today(patient):
            raise ServiceValidationError("onset_date", "Must not be in the future.")
        if len(note) > NOTE_MAX_CHARACTERS:
            raise ServiceValidationError("note", f"At most {NOTE_MAX_CHARACTERS} characters.")
        if weight_kg is not None:
            _check_weight(weight_kg)
        level = summary_level(scores)
        red_flags = list(red_flags_in(symptom, scores))
        try:
            with transaction.atomic():
                report = SideEffectReport.objects.create(
                    client_id=client_id,
                    patient=patient,
                    symptom=symptom,
                    patient_scores=scores,
                    patient_level=level,
                    composite_grade=composite_grade(symptom, scores),
                    red_flags=red_flags,
                    onset_date=onset_date,
                    note=note,
                    weight_kg=weight_kg,
                    reported_by=reported_by,
                )
        except IntegrityError:
            stored = SideEffectReport.objects.filter(client_id=client_id).first()
            if stored is None:  # pragma: no cover - only client_id is unique
                raise
            return _replayed(stored, patient)
        previous = previous_report(patient, symptom, report.reported_at, report.pk)
        raised = triggers.alerts_after_symptom_report(
            patient=patient,
            symptom=symptom,
            scores=scores,
            level=level,
            red_flags=red_flags,
            previous=(
                triggers.PreviousReport(
                    previous.patient_scores, (report.reported_at - previous.reported_at).days
                )
                if previous
                else None
            ),
            rash=rash_history(patient, report) if symptom == "rash" and level else None,
            report_id=report.pk,
            now=report.reported_at,
        )
        if weight_kg is not None:
            # The weight that came with the report is a measurement like any other.
            weight = _weight_store(
                patient=patient,
                recorded_by=reported_by,
                client_id=uuid5(client_id, "weight"),
                weight_kg=weight_kg,
                measured_on=patient_local_today(patient),
                source=WeightSource.PATIENT,
                baseline=False,
                report=report,
            )
            raised += _weight_alerts(patient, weight)
        # The phone tells the patient "your care team has been told" only when it is true.
        report.care_team_alerted = bool(raised)
        report.patient_instruction = patient_instruction(
            symptom=symptom,
            red_flags=red_flags,
            care_team_alerted=bool(raised),
            language=patient.language,
            phone=patient.care_team.phone,
            emergency_number=patient.care_team.emergency_number,
        ).as_dict()
        report.save(update_fields=["care_team_alerted", "patient_instruction"])
    return ReportResult(report, True)


def _replayed(stored: SideEffectReport, patient: Patient) -> ReportResult:
    if stored.patient_id != patient.pk:
        raise ServiceValidationError("client_id", "This client_id has already been used.")
    return ReportResult(stored, False)


@dataclass(frozen=True)
class AssessmentResult:
    assessment: ClinicianAssessment
    advice: dict[str, Any]


def clinician_assessment_record(
    *,
    report: SideEffectReport,
    assessed_by: User,
    grade: Any,
    note: str = "",
    ctcae_term: Any = None,
) -> AssessmentResult:
    """A nurse's CTCAE v5.0 grade for a report (kept beside, never over, the patient's scores).
    The advice on the patient's open alerts about the symptom then rests on this grade."""
    try:
        checked = checked_clinician_grade(report.symptom, grade, ctcae_term)
        term = checked_ctcae_term(report.symptom, ctcae_term, checked)
    except CaseInvalid as error:
        raise ServiceValidationError(error.field, error.reason) from None
    with transaction.atomic():
        assessment = ClinicianAssessment.objects.create(
            report=report,
            ctcae_grade=checked,
            ctcae_term=term,
            note=note.strip(),
            assessed_by=assessed_by,
        )
        audit_record(
            actor=assessed_by,
            action="side_effect.assess",
            patient=report.patient,
            detail={"report": str(report.pk), "grade": checked, "ctcae_term": term},
        )
        _, advice = triggers.alerts_after_clinician_grade(
            patient=report.patient,
            symptom=report.symptom,
            grade=checked,
            ctcae_term=term,
            report_id=report.pk,
            now=timezone.now(),
            red_flags=list(report.red_flags or []),
        )
    return AssessmentResult(assessment, advice)


# ---------------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class WeightResult:
    weight: WeightMeasurement
    created: bool


def _check_weight(weight_kg: Decimal) -> None:
    if not WEIGHT_MIN_KG <= weight_kg <= WEIGHT_MAX_KG:
        raise ServiceValidationError(
            "weight_kg", f"Must be from {WEIGHT_MIN_KG} to {WEIGHT_MAX_KG} kg."
        )


def weight_record(
    *,
    patient: Patient,
    recorded_by: User,
    client_id: UUID,
    weight_kg: Decimal,
    measured_on: date | None = None,
    baseline: bool = False,
) -> WeightResult:
    """Store a weight once per client_id and check it for fluid retention. A nurse may mark
    it as the new baseline; a patient's first weight is the baseline."""
    with transaction.atomic():
        stored = WeightMeasurement.objects.filter(client_id=client_id).first()
        if stored is not None:
            if stored.patient_id != patient.pk:
                raise ServiceValidationError("client_id", "This client_id has already been used.")
            return WeightResult(stored, False)
        _check_weight(weight_kg)
        today = patient_local_today(patient)
        measured_on = measured_on or today
        if measured_on > today:
            raise ServiceValidationError("measured_on", "Must not be in the future.")
        source = WeightSource.PATIENT if recorded_by.role == Role.PATIENT else WeightSource.NURSE
        if baseline and source != WeightSource.NURSE:
            raise ServiceValidationError("baseline", "Only a nurse can set the baseline.")
        try:
            with transaction.atomic():
                weight = _weight_store(
                    patient=patient,
                    recorded_by=recorded_by,
                    client_id=client_id,
                    weight_kg=weight_kg,
                    measured_on=measured_on,
                    source=source,
                    baseline=baseline,
                )
        except IntegrityError:
            stored = WeightMeasurement.objects.filter(client_id=client_id).first()
            if stored is None or stored.patient_id != patient.pk:  # pragma: no cover
                raise
            return WeightResult(stored, False)
        if source == WeightSource.NURSE:
            audit_record(
                actor=recorded_by,
                action="weight.record",
                patient=patient,
                detail={"weight": str(weight.pk), "baseline": weight.is_baseline},
            )
        _weight_alerts(patient, weight)
    return WeightResult(weight, True)


def _weight_store(
    *,
    patient: Patient,
    recorded_by: User,
    client_id: UUID,
    weight_kg: Decimal,
    measured_on: date,
    source: str,
    baseline: bool,
    report: SideEffectReport | None = None,
) -> WeightMeasurement:
    # The first weight ever recorded is the baseline until a nurse sets another.
    first = not WeightMeasurement.objects.filter(patient=patient).exists()
    return WeightMeasurement.objects.create(
        client_id=client_id,
        patient=patient,
        weight_kg=weight_kg,
        measured_on=measured_on,
        source=source,
        is_baseline=baseline or first,
        recorded_by=recorded_by,
        report=report,
    )


def _weight_alerts(patient: Patient, weight: WeightMeasurement) -> list[Alert]:
    if weight.is_baseline:
        return []
    baseline = weight_baseline(patient)

    def earlier_weights_within(days: int) -> list[float]:
        return [
            float(w.weight_kg)
            for w in weights_since(patient, weight.measured_on, days)
            if w.pk != weight.pk
        ]

    return triggers.alerts_after_weight(
        patient=patient,
        weight_kg=float(weight.weight_kg),
        baseline_kg=float(baseline.weight_kg) if baseline and baseline.pk != weight.pk else None,
        earlier_weights_within=earlier_weights_within,
        measurement_id=weight.pk,
        now=weight.measured_at,
    )

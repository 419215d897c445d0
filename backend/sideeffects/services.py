"""Writes for side-effect reports and clinician grades. Alerts they cause are raised in the
same transaction (backend.alerts.triggers)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patient_local_today
from backend.alerts import triggers
from backend.audit.services import audit_record
from backend.common.errors import ServiceValidationError
from backend.guidelines import (
    CaseInvalid,
    checked_answers,
    checked_clinician_grade,
    summary_level,
)

from .models import ClinicianAssessment, SideEffectReport
from .selectors import previous_report

NOTE_MAX_CHARACTERS = 2000


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
        level = summary_level(scores)
        try:
            with transaction.atomic():
                report = SideEffectReport.objects.create(
                    client_id=client_id,
                    patient=patient,
                    symptom=symptom,
                    patient_scores=scores,
                    patient_level=level,
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
        days_apart = (report.reported_at - previous.reported_at).days if previous else None
        raised = triggers.alerts_after_symptom_report(
            patient=patient,
            symptom=symptom,
            scores=scores,
            level=level,
            previous_level=previous.patient_level if previous else None,
            days_since_previous=days_apart,
            report_id=report.pk,
            now=report.reported_at,
        )
        if raised:
            # The phone tells the patient "your care team has been told" only when it is true.
            report.care_team_alerted = True
            report.save(update_fields=["care_team_alerted"])
    return ReportResult(report, True)


def _replayed(stored: SideEffectReport, patient: Patient) -> ReportResult:
    if stored.patient_id != patient.pk:
        raise ServiceValidationError("client_id", "This client_id has already been used.")
    return ReportResult(stored, False)


def clinician_assessment_record(
    *, report: SideEffectReport, assessed_by: User, grade: Any, note: str = ""
) -> ClinicianAssessment:
    """A nurse's CTCAE v5.0 grade for a report (kept beside, never over, the patient's scores)."""
    try:
        checked = checked_clinician_grade(report.symptom, grade)
    except CaseInvalid as error:
        raise ServiceValidationError(error.field, error.reason) from None
    with transaction.atomic():
        assessment = ClinicianAssessment.objects.create(
            report=report, ctcae_grade=checked, note=note.strip(), assessed_by=assessed_by
        )
        audit_record(
            actor=assessed_by,
            action="side_effect.assess",
            patient=report.patient,
            detail={"report": str(report.pk), "grade": checked},
        )
        triggers.alerts_after_clinician_grade(
            patient=report.patient,
            symptom=report.symptom,
            grade=checked,
            report_id=report.pk,
            now=timezone.now(),
        )
    return assessment

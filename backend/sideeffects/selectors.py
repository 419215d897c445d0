"""Reads for side-effect reports. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to."""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from backend.accounts.models import Patient

from .models import SideEffectReport


def reports_of_patient(patient: Patient) -> QuerySet[SideEffectReport]:
    return SideEffectReport.objects.filter(patient=patient).prefetch_related("assessments")


def previous_report(
    patient: Patient, symptom: str, before: datetime, exclude_id: object
) -> SideEffectReport | None:
    return (
        SideEffectReport.objects.filter(patient=patient, symptom=symptom, reported_at__lte=before)
        .exclude(pk=exclude_id)
        .order_by("-reported_at")
        .first()
    )


def recent_symptom_levels(patient: Patient, now: datetime, days: int) -> dict[str, int]:
    """Each symptom's level in the patient's latest report of it within `days` (the recall
    period): what 'a symptom is at level N' means for the combined alert."""
    levels: dict[str, int] = {}
    recent = SideEffectReport.objects.filter(
        patient=patient, reported_at__gte=now - timedelta(days=days)
    ).order_by("-reported_at")
    for report in recent:
        levels.setdefault(report.symptom, report.patient_level)
    return levels

"""Reads for side-effect reports. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to."""

from collections.abc import Collection
from datetime import datetime, timedelta

from django.db.models import Max, Prefetch, QuerySet

from backend.accounts.models import Patient

from .models import ClinicianAssessment, SideEffectReport


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


def symptom_maxima(
    patient_ids: Collection[object], start: datetime, end: datetime
) -> dict[tuple[object, str], tuple[int | None, int | None]]:
    """(patient id, symptom) -> (highest patient-reported level, highest clinician grade) over
    reports made in [start, end), for a cohort in two queries. The two scales stay apart."""
    reports = SideEffectReport.objects.filter(
        patient_id__in=patient_ids, reported_at__gte=start, reported_at__lt=end
    )
    maxima: dict[tuple[object, str], tuple[int | None, int | None]] = {}
    for patient_id, symptom, level in (
        reports.values_list("patient_id", "symptom").annotate(level=Max("patient_level")).order_by()
    ):
        maxima[(patient_id, symptom)] = (level, None)
    grades = (
        ClinicianAssessment.objects.filter(report__in=reports)
        .values_list("report__patient_id", "report__symptom")
        .annotate(grade=Max("ctcae_grade"))
        .order_by()
    )
    for patient_id, symptom, grade in grades:
        level, _ = maxima.get((patient_id, symptom), (None, None))
        maxima[(patient_id, symptom)] = (level, grade)
    return maxima


def reports_in_period(patient: Patient, start: datetime, end: datetime) -> list[SideEffectReport]:
    """Reports made in [start, end), oldest first, each with the clinician grades given before
    `end` (a report of a past period shows what was known then)."""
    grades = ClinicianAssessment.objects.filter(created_at__lt=end).order_by("created_at", "id")
    return list(
        SideEffectReport.objects.filter(
            patient=patient, reported_at__gte=start, reported_at__lt=end
        )
        .prefetch_related(Prefetch("assessments", queryset=grades))
        .order_by("reported_at", "id")
    )

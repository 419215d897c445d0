"""Reads for side-effect reports. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to; report_visible_to scopes a report by its id itself."""

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Max, Prefetch, QuerySet

from backend.accounts.models import Patient, User
from backend.accounts.selectors import patients_visible_to
from backend.alerts.selectors import last_alert_seen_at
from backend.alerts.triggers import RashHistory

from .models import ClinicianAssessment, SideEffectReport, WeightMeasurement


def reports_of_patient(patient: Patient) -> QuerySet[SideEffectReport]:
    return SideEffectReport.objects.filter(patient=patient).prefetch_related("assessments")


def report_visible_to(user: User, report_id: Any) -> SideEffectReport | None:
    """The report, with its patient's care team, if its patient is one `user` may see; else
    None (another team's report is as unknown as one that does not exist)."""
    return (
        SideEffectReport.objects.filter(pk=report_id, patient__in=patients_visible_to(user))
        .select_related("patient__care_team")
        .first()
    )


def report_with_assessments(report_id: UUID) -> SideEffectReport:
    """A report just written, read back with its assessments for the answer."""
    return SideEffectReport.objects.prefetch_related("assessments").get(pk=report_id)


def previous_report(
    patient: Patient, symptom: str, before: datetime, exclude_id: UUID
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
    patient_ids: Collection[UUID], start: datetime, end: datetime
) -> dict[tuple[UUID, str], tuple[int | None, int | None]]:
    """(patient id, symptom) -> (highest patient-reported level, highest clinician grade) over
    reports made in [start, end), for a cohort in two queries. The two scales stay apart."""
    reports = SideEffectReport.objects.filter(
        patient_id__in=patient_ids, reported_at__gte=start, reported_at__lt=end
    )
    maxima: dict[tuple[UUID, str], tuple[int | None, int | None]] = {}
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


def rash_history(patient: Patient, report: SideEffectReport) -> RashHistory:
    """How long a rash reported present has been present without a "no" in between, and how
    long since the care team was last alerted about it."""
    first_yes = report.reported_at
    earlier = (
        SideEffectReport.objects.filter(
            patient=patient, symptom="rash", reported_at__lte=report.reported_at
        )
        .exclude(pk=report.pk)
        .order_by("-reported_at")
        .values_list("reported_at", "patient_level")
    )
    for reported_at, level in earlier.iterator():
        if not level:
            break
        first_yes = reported_at
    last_alert = last_alert_seen_at(patient, "rash")
    return RashHistory(
        days_present=(report.reported_at - first_yes).days,
        days_since_last_alert=(
            (report.reported_at - last_alert).days if last_alert is not None else None
        ),
    )


def weight_baseline(patient: Patient) -> WeightMeasurement | None:
    """The latest weight marked as baseline (the first weight, or a nurse's)."""
    return (
        WeightMeasurement.objects.filter(patient=patient, is_baseline=True)
        .order_by("-measured_on", "-measured_at")
        .first()
    )


def weights_since(patient: Patient, day: date, days: int) -> list[WeightMeasurement]:
    """Weights measured in the `days` days up to and including `day` (local dates)."""
    return list(
        WeightMeasurement.objects.filter(
            patient=patient, measured_on__gte=day - timedelta(days=days), measured_on__lte=day
        )
    )


def weights_of_patient(patient: Patient) -> QuerySet[WeightMeasurement]:
    return WeightMeasurement.objects.filter(patient=patient).order_by(
        "-measured_on", "-measured_at"
    )

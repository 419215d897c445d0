"""Side effects as patients report them (PRO-CTCAE-style scores), kept apart from the grades a
clinician gives (CTCAE v5.0): the two are never stored in the same field."""

import uuid

from django.conf import settings
from django.db import models

from backend.common.models import TimeStampedModel


class SideEffectReport(models.Model):
    """One patient report of one symptom over the recall period ("the last 7 days")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.UUIDField(unique=True)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")
    symptom = models.CharField(max_length=40)
    patient_scores = models.JSONField(help_text="Attribute -> 0..4, as the patient answered")
    patient_level = models.PositiveSmallIntegerField(help_text="Highest attribute score")
    composite_grade = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="PRO-CTCAE composite grade 0-3 (Basch 2021); null for yes/no items. "
        "Patient-reported: never a CTCAE grade.",
    )
    red_flags = models.JSONField(
        default=list, blank=True, help_text="Red-flag codes this report raised (urgent)"
    )
    onset_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    reported_at = models.DateTimeField(auto_now_add=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Kept, not recomputed: a resend of the report (a phone that lost the answer) must say the
    # same thing, and later reports change the alert's own details.
    care_team_alerted = models.BooleanField(
        default=False,
        db_default=False,
        help_text="This report opened or added to an alert for the care team",
    )

    # What the patient was told to do (level, text, phone, emergency number), kept so that a
    # resend shows the same words.
    patient_instruction = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["patient", "symptom", "reported_at"])]

    def __str__(self) -> str:
        return f"{self.symptom} level {self.patient_level}"


class ClinicianAssessment(TimeStampedModel):
    """A nurse's CTCAE v5.0 grade for a report. A re-assessment is a new row (history kept);
    the latest is the current grade."""

    report = models.ForeignKey(
        SideEffectReport, on_delete=models.PROTECT, related_name="assessments"
    )
    ctcae_grade = models.PositiveSmallIntegerField()
    ctcae_term = models.CharField(
        max_length=80,
        blank=True,
        db_default="",
        help_text="The CTCAE v5.0 term graded; blank: the usual one",
    )
    note = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["report", "created_at", "id"]

    def __str__(self) -> str:
        return f"grade {self.ctcae_grade} for {self.report_id}"


class WeightSource(models.TextChoices):
    PATIENT = "patient", "Patient"
    NURSE = "nurse", "Nurse"


class WeightMeasurement(models.Model):
    """A body weight, for fluid retention. The patient's first weight, or a nurse's weight
    marked as baseline, is the baseline that later gains are measured from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.UUIDField(unique=True)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    measured_on = models.DateField(help_text="The patient's local date")
    measured_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=WeightSource.choices)
    is_baseline = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    report = models.ForeignKey(
        SideEffectReport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The side-effect report it came with, if any",
    )

    class Meta:
        ordering = ["-measured_on", "-measured_at"]
        indexes = [models.Index(fields=["patient", "measured_on"])]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on}"

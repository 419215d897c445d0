"""Lab results: one row per test result, stored once, in one canonical unit per test (and as
entered). The label's hold rules (backend.guidelines.labs) read them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class LabTest(models.TextChoices):
    ALT = "alt", "ALT"
    AST = "ast", "AST"
    BILIRUBIN_TOTAL = "bilirubin_total", "Bilirubin (total)"
    ALKALINE_PHOSPHATASE = "alkaline_phosphatase", "Alkaline phosphatase"
    ANC = "anc", "Absolute neutrophil count"
    PLATELETS = "platelets", "Platelets"
    HAEMOGLOBIN = "haemoglobin", "Haemoglobin"
    CREATININE = "creatinine", "Creatinine"
    CREATININE_CLEARANCE = "creatinine_clearance", "Creatinine clearance"


class LabSource(models.TextChoices):
    MANUAL = "manual", "Entered through the API"
    DASHBOARD = "dashboard", "Entered on the dashboard"
    FHIR = "fhir", "FHIR Observation from a lab system"


class LabResult(models.Model):
    """One result. ``value`` and ``upper_limit_of_normal`` are in the test's canonical unit
    (``unit``); the ``*_entered`` fields keep what was sent. A resend (same patient, test, date,
    value and unit as entered, or the same FHIR Observation id or identifier) is the same row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")
    taken_on = models.DateField(help_text="The day the sample was taken, the patient's local date")
    test = models.CharField(max_length=30, choices=LabTest.choices)
    value = models.DecimalField(max_digits=16, decimal_places=6, help_text="Canonical unit")
    unit = models.CharField(max_length=20, help_text="The test's canonical unit")
    upper_limit_of_normal = models.DecimalField(
        max_digits=16, decimal_places=6, null=True, blank=True, help_text="Canonical unit"
    )
    value_entered = models.DecimalField(max_digits=18, decimal_places=6)
    unit_entered = models.CharField(max_length=40)
    upper_limit_of_normal_entered = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True
    )
    source = models.CharField(max_length=10, choices=LabSource.choices)
    external_id = models.CharField(
        max_length=200, blank=True, default="", help_text="FHIR Observation.id"
    )
    external_identifier = models.CharField(
        max_length=400,
        blank=True,
        default="",
        help_text="FHIR Observation.identifier[0] as system|value",
    )
    client_id = models.UUIDField(
        null=True, blank=True, help_text="The client's id for the request that sent it"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "-recorded_at", "test"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "test", "taken_on", "value_entered", "unit_entered"],
                name="lab_result_stored_once",
            ),
            models.UniqueConstraint(
                fields=["patient", "external_id"],
                condition=~Q(external_id=""),
                name="lab_result_fhir_id_once",
            ),
            models.UniqueConstraint(
                fields=["patient", "external_identifier"],
                condition=~Q(external_identifier=""),
                name="lab_result_fhir_identifier_once",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "test", "taken_on"]),
            models.Index(fields=["client_id"], name="lab_result_client_id"),
        ]

    def __str__(self) -> str:
        return f"{self.test} {self.value} {self.unit} on {self.taken_on}"


class OverdueReviewPoint(models.Model):
    """A plan's liver-test or blood-count review point that went overdue and alerted the care
    team (backend.labs.overdue). Written in the transaction that raised or updated the alert, so
    a point alerts once, even after its alert is resolved or a late result does it."""

    plan = models.ForeignKey("adherence.TreatmentPlan", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(help_text="The review point's date")
    kind = models.CharField(max_length=20, help_text="liver_tests or blood_counts")
    what = models.CharField(max_length=300, help_text="What the point asked for, as in the plan")
    overdue_since = models.DateField()
    alert = models.ForeignKey("alerts.Alert", on_delete=models.PROTECT, related_name="+")
    alerted_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "date", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "date", "kind"], name="overdue_review_point_alerts_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.date.isoformat()} overdue (plan {self.plan_id})"

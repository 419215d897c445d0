"""A count of the tablets a patient has on hand. Counts are never edited or counted down: the
tablets left are the latest count minus the tablets of the doses the ledger has as taken since
(backend.adherence.selectors.tablets), so an undone or corrected log is reflected at once."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.models import TimeStampedModel


class SupplySource(models.TextChoices):
    PATIENT = "patient", "Patient"
    NURSE = "nurse", "Care team"


class TabletSupply(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(help_text="When the tablets were counted (UTC)")
    # {"100": 30, "400": 60}: tablets on hand per strength in mg (JSON keys are text).
    counts = models.JSONField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=SupplySource.choices)
    # The phone's UUID for the count: a retry returns the stored count, never a second one.
    client_id = models.UUIDField(null=True, blank=True)
    # Set with the refill reminder's outbox row: the reminder job looks only at counts without.
    reminder_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-counted_at", "-created_at"]
        indexes = [models.Index(fields=["patient", "-counted_at"], name="supply_patient_counted")]
        constraints = [
            models.UniqueConstraint(
                fields=["client_id"],
                condition=Q(client_id__isnull=False),
                name="tablet_supply_client_id_unique",
            )
        ]
        verbose_name_plural = "tablet supplies"

    def __str__(self) -> str:
        return f"{self.counts} at {self.counted_at:%Y-%m-%d %H:%M}"

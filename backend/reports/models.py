"""Background exports of large cohorts: the file a worker writes, its progress, and when the
download link (and the file) expire."""

import uuid

from django.conf import settings
from django.db import models

from backend.common.models import TimeStampedModel


class ExportKind(models.TextChoices):
    ADHERENCE_CSV = "adherence_csv", "Adherence summary (CSV)"
    ADHERENCE_XLSX = "adherence_xlsx", "Adherence summary (XLSX)"
    DOSES_CSV = "doses_csv", "Doses (CSV)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJob(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    first = models.DateField()
    last = models.DateField()
    # None: every team the requester covers (as when the export was asked for).
    care_team = models.ForeignKey(
        "accounts.CareTeam", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default="queued")
    patients_total = models.PositiveIntegerField(default=0)
    patients_done = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True, help_text="Under EXPORT_DIR")
    error = models.TextField(blank=True)
    # When the job's message last went to the broker (None: never, the broker was down).
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.first}..{self.last} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == ExportStatus.READY:
            return 100
        if not self.patients_total:
            return 0
        return min(99, int(100 * self.patients_done / self.patients_total))

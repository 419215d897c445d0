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
    # Study ids in place of the patients' ids, names and record numbers (pseudonyms.py).
    pseudonymised = models.BooleanField(default=False)
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
    # The patients whose rows the worker wrote into the file (the cohort at build time, not
    # when it was asked for): the download checks the requester may still see each of them.
    patients = models.ManyToManyField(
        "accounts.Patient", through="ExportJobPatient", related_name="+", blank=True
    )
    # True once the worker has recorded every patient of the file. A job built before the
    # patients were recorded (or still building) has no complete set, so it is not given out.
    patients_recorded = models.BooleanField(default=False)

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


class ExportJobPatient(models.Model):
    """One patient whose rows are in a background export's file. Written by the worker a
    chunk at a time as it writes the file; a rerun of the job starts the set again."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="contained")
    # PROTECT as the audit log does: the evidence of who received a patient's data stays.
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "patient"], name="one_row_per_export_patient")
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.patient_id}"

"""Base model and the worker heartbeat row that /healthz reads."""

from django.db import models


class TimeStampedModel(models.Model):
    """Every table records when a row was made and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerHeartbeat(models.Model):
    """One row per worker host name, touched by the periodic health ping task."""

    worker_name = models.CharField(max_length=200, unique=True)
    last_seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_name} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"

"""Writes for notifications. Callers run inside their cause's transaction."""

from typing import Any

from django.utils import timezone

from backend.accounts.models import User

from .models import OutboxMessage


def outbox_enqueue(
    *, recipient: User, kind: str, payload: dict[str, Any], dedupe_key: str
) -> OutboxMessage:
    """One row per (dedupe_key): enqueueing the same notification again changes nothing."""
    message, _ = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "recipient": recipient,
            "kind": kind,
            "payload": payload,
            "next_attempt_at": timezone.now(),
        },
    )
    return message

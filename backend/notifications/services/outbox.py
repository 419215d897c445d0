"""The outbox's writes: enqueue (one row per dedupe key), enqueue many, retry the failed.

Callers of `outbox_enqueue` run inside their cause's transaction, so a notification exists
exactly when its cause does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from backend.accounts.models import User

from ..models import OutboxMessage, OutboxStatus


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


@dataclass(frozen=True)
class OutboxItem:
    recipient_id: int  # the user's id: the reminder job reads ids, not User instances
    kind: str
    payload: dict[str, Any]
    dedupe_key: str


def outbox_enqueue_many(items: list[OutboxItem]) -> int:
    """outbox_enqueue for many rows in one statement (a reminder minute queues thousands):
    a dedupe key already queued is skipped, as there. Returns how many rows were offered."""
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                dedupe_key=item.dedupe_key,
                recipient_id=item.recipient_id,
                kind=item.kind,
                payload=item.payload,
                next_attempt_at=now,
            )
            for item in items
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return len(items)


def outbox_cancel_pending(*, recipient_id: int, kind: str) -> int:
    """Drop what still waits for one recipient of one kind (a caregiver the patient removed
    must get nothing more); rows already sent stay as the record. Returns how many."""
    deleted, _ = OutboxMessage.objects.filter(
        recipient_id=recipient_id, kind=kind, status=OutboxStatus.PENDING
    ).delete()
    return deleted


def outbox_retry_failed(*, messages: list[OutboxMessage], now: datetime) -> int:
    """An admin sends failed messages again (after fixing credentials, say): attempts restart."""
    return OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], status=OutboxStatus.FAILED
    ).update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, last_error="")

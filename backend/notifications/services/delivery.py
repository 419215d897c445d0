"""The outbox's delivery: the worker sends due rows to FCM with `outbox_deliver_batch`; the web
process never talks to FCM.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import traceback
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from backend.accounts.models import Patient

from ..models import (
    DeactivationReason,
    Device,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
)
from ..texts import push_actions, push_text
from .devices import devices_deactivate

if TYPE_CHECKING:
    from ..fcm import PushMessage, PushSender, SendOutcome

logger = logging.getLogger(__name__)

NO_DEVICE = "no device"
# Our payloads stay well inside FCM's 4 KB, so an INVALID_ARGUMENT can only mean the token.
MAX_DATA_BYTES = 2048
# FCM refuses these data keys (and any starting with "google" or "gcm").
_RESERVED_DATA_KEYS = {"from", "notification", "message_type", "collapse_key"}
_jitter = random.Random()  # noqa: S311 (spreads retries in time; not a secret)


@dataclass
class DeliveryReport:
    """What one delivery run did. Rows: picked = sent + no_device + retried + failed."""

    picked: int = 0
    sent: int = 0  # rows accepted by FCM for at least one of the recipient's devices
    no_device: int = 0  # rows closed as sent with last_error "no device": nothing to send to
    retried: int = 0  # rows scheduled again after a transient error
    failed: int = 0  # rows given up after OUTBOX_MAX_ATTEMPTS
    pushes_sent: int = 0  # device messages accepted
    devices_deactivated: int = 0  # tokens FCM called dead

    def add(self, other: DeliveryReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def outbox_retry_delay(*, attempts: int, min_seconds: float = 0.0) -> timedelta:
    """Exponential backoff with jitter after the `attempts`-th failed send: the ceiling is
    OUTBOX_RETRY_BASE_SECONDS doubled per attempt (at most OUTBOX_RETRY_MAX_SECONDS) and the
    delay a random point in its upper half, so rows that failed together come back spread out.
    Never below `min_seconds` (QUOTA_EXCEEDED's minute, a Retry-After), plus up to 25 %."""
    exponent = max(0, min(attempts, 32) - 1)
    ceiling = min(
        float(settings.OUTBOX_RETRY_MAX_SECONDS),
        float(settings.OUTBOX_RETRY_BASE_SECONDS) * 2**exponent,
    )
    delay = ceiling / 2 + _jitter.uniform(0, ceiling / 2)
    if delay < min_seconds:
        delay = min_seconds * _jitter.uniform(1.0, 1.25)
    return timedelta(seconds=delay)


def outbox_deliver_batch(now: datetime, batch_size: int = 500) -> DeliveryReport:
    """Deliver up to `batch_size` pending rows whose next attempt has come.

    The rows are locked with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL), so two workers
    never send one row twice; SQLite has no row locks and runs one writer at a time. Each
    recipient's active devices get one push each, in the recipient's language (texts.py). The
    outcome per row: sent when any device accepted it; "no device" (status sent, last_error
    "no device", sent_at empty) when the recipient has no active device or FCM rejected every
    token as dead; else retried with backoff, and failed after OUTBOX_MAX_ATTEMPTS sends.
    Sending happens inside the transaction, so a crash half-way leaves the rows pending and
    they are sent again (at least once; the notification tag collapses a repeat on the phone).
    """
    from .. import fcm  # only the worker loads firebase_admin

    sender = fcm.get_sender()
    report = DeliveryReport()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING)
            .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
            .order_by(F("next_attempt_at").asc(nulls_first=True), "pk")[:batch_size]
        )
        report.picked = len(rows)
        if not rows:
            return report
        user_ids = {row.recipient_id for row in rows}
        devices = _active_devices(user_ids)
        recipients = _recipient_settings(user_ids)

        pushes: list[PushMessage] = []
        targets: list[tuple[OutboxMessage, Device]] = []
        for row in rows:
            row_devices = devices.get(row.recipient_id, [])
            if not row_devices:
                _close_without_device(row, NO_DEVICE)
                report.no_device += 1
                continue
            language, show_name = recipients[row.recipient_id]
            text = push_text(
                kind=row.kind,
                payload=row.payload,
                language=language,
                show_medication_name=show_name,
            )
            data = _push_data(row, push_actions(kind=row.kind, language=language))
            for device in row_devices:
                pushes.append(
                    fcm.PushMessage(
                        token=device.token,
                        platform=device.platform,
                        title=text.title,
                        body=text.body,
                        data=data,
                        tag=_tag(row),
                        device_id=device.pk,
                    )
                )
                targets.append((row, device))

        outcomes = _send(sender, pushes)
        results: dict[int, list[tuple[Device, SendOutcome]]] = defaultdict(list)
        dead: dict[str, list[int]] = defaultdict(list)
        for (row, device), outcome in zip(targets, outcomes, strict=True):
            results[row.pk].append((device, outcome))
            if outcome.sent:
                report.pushes_sent += 1
            elif outcome.dead_token:
                dead[_reason(outcome.error_code)].append(device.pk)
        for row in rows:
            if row.pk in results:
                _settle(row, results[row.pk], now, report)
        for reason, device_ids in dead.items():
            report.devices_deactivated += devices_deactivate(
                device_ids=device_ids, reason=reason, now=now
            )
        OutboxMessage.objects.bulk_update(
            rows, ["status", "attempts", "next_attempt_at", "sent_at", "last_error"]
        )
    if report.failed or report.devices_deactivated:
        logger.warning("outbox delivery: %s", report)
    return report


def outbox_deliver_due(
    now: datetime, *, batch_size: int = 500, max_batches: int = 20
) -> DeliveryReport:
    """Batches until nothing due is left (or max_batches): for a task to call. Each batch is
    its own transaction, so rows are committed as they go."""
    total = DeliveryReport()
    for _ in range(max_batches):
        report = outbox_deliver_batch(now, batch_size=batch_size)
        total.add(report)
        if report.picked < batch_size:
            break
    return total


_DEAD_REASONS = {
    "UNREGISTERED": DeactivationReason.UNREGISTERED,
    "SENDER_ID_MISMATCH": DeactivationReason.SENDER_ID_MISMATCH,
    "INVALID_ARGUMENT": DeactivationReason.INVALID_ARGUMENT,
}


def _reason(error_code: str) -> str:
    return _DEAD_REASONS.get(error_code, DeactivationReason.INVALID_ARGUMENT)


def _active_devices(user_ids: set[int]) -> dict[int, list[Device]]:
    """Active devices of active accounts: a disabled account's phones get nothing."""
    found: dict[int, list[Device]] = defaultdict(list)
    devices = Device.objects.filter(user_id__in=user_ids, active=True, user__is_active=True)
    for device in devices.order_by("-last_seen_at", "pk"):
        found[device.user_id].append(device)
    return found


def _recipient_settings(user_ids: set[int]) -> dict[int, tuple[str, bool]]:
    """(language, show the medication's name) per user. The name is shown only to a patient
    who opted in; staff texts never contain it anyway."""
    preferences = {
        p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)
    }
    patient_languages = dict(
        Patient.objects.filter(user_id__in=user_ids).values_list("user_id", "language")
    )
    settings_by_user = {}
    for user_id in user_ids:
        preference = preferences.get(user_id)
        language = (
            (preference.language if preference else "")
            or patient_languages.get(user_id)
            or settings.LANGUAGE_CODE
        )
        show_name = bool(
            preference
            and preference.show_medication_name_on_lock_screen
            and user_id in patient_languages
        )
        settings_by_user[user_id] = (language, show_name)
    return settings_by_user


def _push_data(row: OutboxMessage, extra: dict[str, str]) -> dict[str, str]:
    """The data the app reads when the push is tapped: kind, row id and the payload (which
    callers keep free of clinical detail), and `extra` (a dose reminder's button titles).
    FCM wants every value a string."""
    data = {"kind": row.kind, "outbox_id": str(row.pk)}
    for key, value in [*(row.payload or {}).items(), *extra.items()]:
        if key in _RESERVED_DATA_KEYS or key.startswith(("google", "gcm")) or key in data:
            continue
        data[key] = value if isinstance(value, str) else json.dumps(value)
    if len(json.dumps(data)) > MAX_DATA_BYTES:  # keep the payload valid: FCM's limit is 4 KB
        data = {"kind": row.kind, "outbox_id": str(row.pk)}
    return data


def _tag(row: OutboxMessage) -> str:
    """The same notification sent twice shows once. A hash: the key itself names its cause."""
    return "n" + hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32]


def _send(sender: PushSender, pushes: list[PushMessage]) -> list[SendOutcome]:
    """The sender's outcomes; if the sender itself breaks, every push counts as a transient
    failure, so a poison batch cannot stop the outbox (it fails after the attempts run out)."""
    from ..fcm import Outcome, SendOutcome, redact_tokens

    if not pushes:
        return []
    try:
        outcomes = sender.send_batch(pushes)
        if len(outcomes) != len(pushes):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(pushes)} messages")
    except Exception as error:  # noqa: BLE001 (any sender failure is retried, then failed)
        # The exception's message may quote a registration token (a library's error about the
        # request it sent): log its type and where it came from, never its text.
        logger.error(
            "push sender %s failed with %s for %s message(s):\n%s",
            getattr(sender, "name", type(sender).__name__),
            type(error).__name__,
            len(pushes),
            "".join(traceback.format_tb(error.__traceback__)),
        )
        detail = redact_tokens(repr(error), [push.token for push in pushes])[:500]
        failure = SendOutcome(Outcome.TRANSIENT, error_code="SENDER_ERROR", detail=detail)
        return [failure] * len(pushes)
    return outcomes


def _describe(device: Device, outcome: SendOutcome) -> str:
    return f"{device.platform} device {device.pk}: {outcome.error_code or outcome.outcome}"


def _close_without_device(row: OutboxMessage, reason: str) -> None:
    row.status = OutboxStatus.SENT
    row.next_attempt_at = None
    row.sent_at = None
    row.last_error = reason


def _settle(
    row: OutboxMessage,
    results: list[tuple[Device, SendOutcome]],
    now: datetime,
    report: DeliveryReport,
) -> None:
    row.attempts += 1
    failures = [(device, outcome) for device, outcome in results if not outcome.sent]
    summary = "; ".join(_describe(device, outcome) for device, outcome in failures)
    transient = [o for _, o in failures if o.transient]
    if len(failures) < len(results):
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.next_attempt_at = None
        row.last_error = f"not delivered to {summary}" if summary else ""
        report.sent += 1
    elif not transient:
        _close_without_device(row, f"{NO_DEVICE}: every device was rejected ({summary})")
        report.no_device += 1
    elif row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        row.next_attempt_at = None
        row.last_error = f"failed after {row.attempts} attempts: {summary}"
        report.failed += 1
    else:
        floor = max(o.min_backoff_seconds for o in transient)
        row.next_attempt_at = now + outbox_retry_delay(attempts=row.attempts, min_seconds=floor)
        row.last_error = f"attempt {row.attempts}: {summary}"
        report.retried += 1

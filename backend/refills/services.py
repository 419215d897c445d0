"""Writes for tablet supply: record a count (idempotent on the phone's client_id) and queue
the refill reminders (one per count, the worker's job)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.adherence.selectors.tablets import active_regimens, tablets_taken_since
from backend.audit.services import audit_record
from backend.common.errors import Conflict, ServiceValidationError
from backend.guidelines.tablets import TABLET_STRENGTHS_MG
from backend.notifications.services import OutboxItem, outbox_enqueue_many

from .models import SupplySource, TabletSupply
from .selectors import supply_compute, supply_counts

MAX_TABLETS = 10_000  # a count above this is a typing slip, not a supply
FUTURE_SKEW = timedelta(minutes=5)  # a phone's clock may run a little ahead
REFILL_REMINDER_KIND = "refill_reminder"


@dataclass(frozen=True)
class SupplyRecordResult:
    supply: TabletSupply
    created: bool  # False: this client_id's count was already stored (a retry)


def tablet_supply_record(
    *,
    patient: Patient,
    recorded_by: User,
    source: str,
    counts: Any,
    counted_at: datetime | None = None,
    client_id: UUID | None = None,
) -> SupplyRecordResult:
    """Store a count of the tablets on hand, per strength of the patient's regimen. A retry
    with the same client_id returns the stored count; the latest counted_at is the one used."""
    if client_id is not None:
        stored = _replay(patient, client_id)
        if stored is not None:
            return SupplyRecordResult(stored, created=False)
    now = timezone.now()
    if counted_at is None:
        counted_at = now
    elif counted_at > now + FUTURE_SKEW:
        raise ServiceValidationError("counted_at", "Must not be in the future.")
    regimen = active_regimens([patient.pk], now).get(patient.pk)
    if regimen is None:
        raise ServiceValidationError(
            "counts", "There is no active plan to count tablets for; ask your care team."
        )
    checked = checked_counts(counts, regimen.strengths_mg)
    try:
        with transaction.atomic():
            supply = TabletSupply.objects.create(
                patient=patient,
                counted_at=counted_at,
                counts={str(strength): count for strength, count in sorted(checked.items())},
                recorded_by=recorded_by,
                source=SupplySource(source),
                client_id=client_id,
            )
            if source == SupplySource.NURSE:
                audit_record(
                    actor=recorded_by,
                    action="supply.record",
                    patient=patient,
                    detail={"supply": str(supply.pk), "counts": supply.counts},
                )
    except IntegrityError:
        stored = _replay(patient, client_id) if client_id is not None else None
        if stored is None:
            raise
        return SupplyRecordResult(stored, created=False)
    return SupplyRecordResult(supply, created=True)


def _replay(patient: Patient, client_id: UUID) -> TabletSupply | None:
    stored = TabletSupply.objects.filter(client_id=client_id).first()
    if stored is not None and stored.patient_id != patient.pk:
        raise Conflict("client_id", "This client_id was already used; make a new one per count.")
    return stored


def checked_counts(counts: Any, strengths_mg: tuple[int, ...]) -> dict[int, int]:
    """{strength mg: tablets} for exactly the strengths of the regimen (one count each, whole
    numbers from 0 to MAX_TABLETS); anything else is refused naming the field and why."""
    if not isinstance(counts, dict) or not counts:
        raise ServiceValidationError("counts", "Give the tablets on hand per strength in mg.")
    plan = " and ".join(f"{s} mg" for s in strengths_mg)
    checked: dict[int, int] = {}
    for key, value in counts.items():
        try:
            strength = int(str(key))
        except ValueError:
            raise ServiceValidationError("counts", f"{key!r} is not a strength in mg.") from None
        field = f"counts.{strength}"
        if strength not in TABLET_STRENGTHS_MG:
            known = " and ".join(f"{s} mg" for s in TABLET_STRENGTHS_MG)
            raise ServiceValidationError(field, f"Imatinib tablets are {known}.")
        if strength not in strengths_mg:
            raise ServiceValidationError(field, f"The plan's tablets are {plan}.")
        if strength in checked:
            raise ServiceValidationError(field, "Each strength once.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ServiceValidationError(field, "Must be a whole number of tablets.")
        if value < 0:
            raise ServiceValidationError(field, "Must not be negative.")
        if value > MAX_TABLETS:
            raise ServiceValidationError(field, f"Must be at most {MAX_TABLETS}.")
        checked[strength] = value
    missing = [s for s in strengths_mg if s not in checked]
    if missing:
        raise ServiceValidationError(
            f"counts.{missing[0]}", f"Count the {missing[0]} mg tablets too (0 if none)."
        )
    return checked


def refill_reminders_enqueue(now: datetime) -> int:
    """One refill reminder push per count (the latest of each patient with an active plan)
    whose supply lasts REFILL_REMINDER_DAYS_LEFT days or less. Set-based: a few statements
    whatever the number of patients. Idempotent: the count is marked in the same transaction
    as its outbox row (dedupe key ``refill:<count>``); a new count re-arms the reminder."""
    latest = TabletSupply.objects.filter(patient=OuterRef("patient")).order_by(
        "-counted_at", "-created_at"
    )
    candidates = list(
        TabletSupply.objects.filter(
            pk=Subquery(latest.values("pk")[:1]), reminder_queued_at__isnull=True
        ).select_related("patient")
    )
    regimens = active_regimens([s.patient_id for s in candidates], now)
    candidates = [s for s in candidates if s.patient_id in regimens]
    taken = tablets_taken_since({s.patient_id: s.counted_at for s in candidates})
    due: list[TabletSupply] = []
    for supply in candidates:
        _, days_left = supply_compute(
            supply_counts(supply), taken.get(supply.patient_id, {}), regimens[supply.patient_id]
        )
        if days_left is not None and days_left <= settings.REFILL_REMINDER_DAYS_LEFT:
            due.append(supply)
    if not due:
        return 0
    with transaction.atomic():
        marked = list(
            TabletSupply.objects.select_for_update()
            .filter(pk__in=[s.pk for s in due], reminder_queued_at__isnull=True)
            .values_list("pk", flat=True)
        )
        outbox_enqueue_many(
            [
                OutboxItem(
                    recipient_id=supply.patient.user_id,
                    kind=REFILL_REMINDER_KIND,
                    payload={"supply": str(supply.pk)},
                    dedupe_key=f"refill:{supply.pk}",
                )
                for supply in due
                if supply.pk in set(marked) and supply.patient.user_id is not None
            ]
        )
        TabletSupply.objects.filter(pk__in=marked).update(reminder_queued_at=now)
    return len(marked)

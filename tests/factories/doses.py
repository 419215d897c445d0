"""Dose logs written straight into the database for a test's history, around the services.

Every fixture that needs logged doses goes through `doses_logged`, the one place that knows
how a log is stored: today the DoseLog row, mirrored onto its dose ledger row (ScheduledDose)
as the services do, so readers (which read the ledger) and the DoseLog stay consistent. When
the ledger row becomes the log (issue 20, phase 2), only this module's body changes."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import reduce
from operator import or_
from uuid import UUID, uuid4

from django.db.models import Q
from django.utils import timezone

from backend.accounts.models import User
from backend.adherence.models import DoseLog, DoseState, ScheduledDose, TreatmentPlan
from backend.adherence.services.ledger import ledger_mirror_logs


@dataclass(frozen=True)
class DoseRecord:
    """What was logged for one scheduled dose (plan, local day, slot)."""

    plan: TreatmentPlan
    day: date
    slot: int
    status: str  # taken, skipped or missed
    taken_at: datetime | None = None
    late: bool = False
    skip_reason: str = ""
    note: str = ""
    recorded_by: User | None = None
    client_id: UUID | None = field(default_factory=uuid4)


def dose_logged(plan: TreatmentPlan, day: date, slot: int, status: str, **facts: object) -> None:
    """One dose log (see doses_logged)."""
    doses_logged([DoseRecord(plan, day, slot, status, **facts)])  # type: ignore[arg-type]


def doses_logged(doses: Iterable[DoseRecord]) -> None:
    """Store the logs in bulk and mirror them onto the patients' ledger rows, as the services
    do. A log whose day has no ledger row (a plan moved around the services) gets one
    (ledger_mirror_logs); a log on a held day leaves its row on hold."""
    doses = list(doses)
    keys = {(dose.plan.patient_id, dose.day, dose.slot) for dose in doses}
    held = [
        key
        for key in ScheduledDose.objects.filter(
            patient_id__in={patient_id for patient_id, _, _ in keys},
            local_date__in={day for _, day, _ in keys},
            state=DoseState.ON_HOLD,
        ).values_list("patient_id", "local_date", "slot")
        if key in keys
    ]
    DoseLog.objects.bulk_create(
        [
            DoseLog(
                client_id=dose.client_id,
                patient_id=dose.plan.patient_id,
                plan=dose.plan,
                scheduled_date=dose.day,
                slot=dose.slot,
                status=dose.status,
                taken_at=dose.taken_at,
                late=dose.late,
                skip_reason=dose.skip_reason,
                note=dose.note,
                recorded_by=dose.recorded_by,
            )
            for dose in doses
        ]
    )
    now = timezone.now()
    for patient_id in {dose.plan.patient_id for dose in doses}:
        ledger_mirror_logs(patient_id)
        # As a log written by the service: the row changed now (alert rules read updated_at).
        days = {dose.day for dose in doses if dose.plan.patient_id == patient_id}
        ScheduledDose.objects.filter(
            patient_id=patient_id, local_date__in=days, state__in=("taken", "skipped", "missed")
        ).update(updated_at=now)
    if held:
        # Neither the dose POST nor the sweep writes a log on a held day, and the schedule
        # says a hold wins over any log: such a fixture log leaves its row on hold.
        ScheduledDose.objects.filter(
            reduce(
                or_,
                (Q(patient_id=patient, local_date=day, slot=slot) for patient, day, slot in held),
            )
        ).update(
            state=DoseState.ON_HOLD,
            client_id=None,
            taken_at=None,
            late=False,
            skip_reason="",
            note="",
            recorded_by=None,
        )

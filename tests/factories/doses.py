"""Dose logs written straight into the database for a test's history, around the services.

Every fixture that needs logged doses goes through `doses_logged` (or DoseLogFactory, one log
at a time), the one place that knows how a log is stored: on the dose's ledger row
(ScheduledDose), as the services write it."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from uuid import UUID, uuid4

import factory
from django.utils import timezone

from backend.accounts.models import User
from backend.adherence.dose_schedule import dose_due_at
from backend.adherence.models import DoseState, ScheduledDose, TreatmentPlan
from tests.factories.plans import TreatmentPlanFactory


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


_LOG_FIELDS = [
    "plan",
    "state",
    "client_id",
    "taken_at",
    "late",
    "skip_reason",
    "note",
    "recorded_by",
    "logged_at",
    "next_reminder_at",
    "updated_at",
]


def doses_logged(doses: Iterable[DoseRecord]) -> None:
    """Write the logs onto the patients' ledger rows in bulk, as the services do. A log whose
    day has no row (a plan moved around the services, a day after its end) gets one, with
    the dose time of the plan's latest revision; a log on a held day leaves its row on hold
    (neither the dose POST nor the sweep writes there, and a hold wins over any log)."""
    doses = list(doses)
    rows = {
        (row.patient_id, row.local_date, row.slot): row
        for row in ScheduledDose.objects.filter(
            patient_id__in={dose.plan.patient_id for dose in doses},
            local_date__in={dose.day for dose in doses},
        )
    }
    now = timezone.now()
    changed, added = [], []
    for dose in doses:
        key = (dose.plan.patient_id, dose.day, dose.slot)
        row = rows.get(key)
        if row is not None and row.state == DoseState.ON_HOLD:
            continue
        if row is None:
            row = rows[key] = _row_for_unscheduled_day(dose)
            added.append(row)
        else:
            changed.append(row)
        row.plan = dose.plan
        row.state = dose.status
        row.client_id = None if dose.status == DoseState.MISSED else dose.client_id
        row.taken_at = dose.taken_at
        row.late = dose.late
        row.skip_reason = dose.skip_reason
        row.note = dose.note
        row.recorded_by = dose.recorded_by
        row.logged_at = row.updated_at = now
        row.next_reminder_at = None
    ScheduledDose.objects.bulk_update(changed, _LOG_FIELDS, batch_size=500)
    ScheduledDose.objects.bulk_create(added, batch_size=500)


def _row_for_unscheduled_day(dose: DoseRecord) -> ScheduledDose:
    revision = dose.plan.revisions.order_by("-number").first()
    times = revision.dose_times if revision is not None else []
    local_time = time.fromisoformat(times[dose.slot - 1]) if dose.slot <= len(times) else None
    zone = dose.plan.patient.time_zone
    return ScheduledDose(
        patient_id=dose.plan.patient_id,
        plan=dose.plan,
        revision=revision,
        local_date=dose.day,
        slot=dose.slot,
        local_time=local_time,
        time_zone=zone,
        due_at=dose_due_at(dose.day, local_time, zone) if local_time else None,
    )


class DoseLogFactory(factory.Factory[ScheduledDose]):
    """One dose log on its ledger row (see doses_logged), returned as that row. Defaults: the
    plan's first day, slot 1, taken at the slot's due time, by the patient."""

    class Meta:
        model = ScheduledDose

    plan = factory.SubFactory(TreatmentPlanFactory)
    day = factory.LazyAttribute(lambda log: log.plan.start_date)
    slot = 1
    status = DoseState.TAKEN
    taken_at = factory.LazyAttribute(
        lambda log: _due_at(log.plan, log.day, log.slot) if log.status == DoseState.TAKEN else None
    )
    late = False
    skip_reason = ""
    note = ""
    recorded_by = factory.LazyAttribute(lambda log: log.plan.patient.user)
    client_id = factory.LazyFunction(uuid4)

    @classmethod
    def _create(cls, model_class: type[ScheduledDose], *args: Any, **fields: Any) -> ScheduledDose:
        record = DoseRecord(**fields)
        doses_logged([record])
        return model_class.objects.get(
            patient_id=record.plan.patient_id, local_date=record.day, slot=record.slot
        )


def _due_at(plan: TreatmentPlan, day: date, slot: int) -> datetime | None:
    row = ScheduledDose.objects.filter(
        patient_id=plan.patient_id, local_date=day, slot=slot
    ).first()
    return row.due_at if row is not None else None

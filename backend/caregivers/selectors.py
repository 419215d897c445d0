"""Reads for caregivers. A caregiver sees one thing: whether their patient's doses of today are
logged (the drug's name only when the patient allowed it). `caregiver_link_for` is the one rule
for which patient that is; a patient sees their own caregivers."""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.roles import Role
from backend.accounts.selectors import patient_local_today
from backend.adherence.models import DoseState
from backend.adherence.selectors.doses import calendar_rows

from .models import CaregiverLink


def caregivers_of_patient(patient: Patient) -> QuerySet[CaregiverLink]:
    """The patient's current caregivers, oldest first."""
    return CaregiverLink.objects.filter(patient=patient, removed_at__isnull=True).order_by(
        "created_at", "id"
    )


def caregiver_links_of(user: User) -> QuerySet[CaregiverLink]:
    """The current links of a caregiver account (none for anyone else, or once removed)."""
    if not user.is_authenticated or not user.is_active or user.role != Role.CAREGIVER:
        return CaregiverLink.objects.none()
    return CaregiverLink.objects.filter(user=user, removed_at__isnull=True)


def caregiver_link_for(user: User, patient_id: Any) -> CaregiverLink | None:
    """The caregiver's link to this patient, or None (callers answer 404): another patient,
    a removed link or a user who is not this patient's caregiver see nothing."""
    return caregiver_links_of(user).filter(patient_id=patient_id).first()


@dataclass(frozen=True)
class CaregiverDose:
    """One dose of the day as a caregiver sees it: its time and whether it is logged."""

    local_time: time
    due_at: datetime
    status: str  # "logged", "not_logged" or "on_hold"


@dataclass(frozen=True)
class CaregiverDay:
    patient_name: str
    date: date
    show_medication_name: bool
    doses: list[CaregiverDose]


def caregiver_day(link: CaregiverLink, now: datetime | None = None) -> CaregiverDay:
    """The patient's today (in their zone) for their caregiver: each dose's time and whether
    it is logged. Nothing else of the ledger row (taken or skipped, notes, reasons) leaves."""
    today = patient_local_today(link.patient, now or timezone.now())
    doses = []
    for row in calendar_rows(link.patient_id, today, today).only("local_time", "due_at", "state"):
        assert row.local_time is not None and row.due_at is not None  # calendar rows have them
        # Logged means taken, skipped or missed (dealt with); which one is the patient's own.
        if row.state == DoseState.PENDING:
            status = "not_logged"
        elif row.state == DoseState.ON_HOLD:
            status = "on_hold"
        else:
            status = "logged"
        doses.append(CaregiverDose(local_time=row.local_time, due_at=row.due_at, status=status))
    return CaregiverDay(
        patient_name=link.patient_name,
        date=today,
        show_medication_name=link.show_medication_name,
        doses=doses,
    )

"""Reads for a patient's dose reminders: those the app shows as its in-app banner."""

from dataclasses import dataclass
from datetime import date, datetime

from backend.accounts.models import Patient
from backend.notifications.selectors import reminders_unseen

from ..models import DoseState, ScheduledDose
from ..services.reminders import reminder_window


@dataclass(frozen=True, slots=True)
class BannerReminder:
    id: int
    date: date
    slot: int
    local_time: str
    attempt: int
    created_at: datetime


def reminders_for_banner(patient: Patient, now: datetime) -> list[BannerReminder]:
    """The latest reminder of each of the patient's doses still pending, queued within the
    reminder window and not closed in the app: what the reminder job produced (offsets,
    follow-ups, snoozes), so the app shows it as it would have been pushed."""
    if patient.user is None:
        return []
    latest: dict[tuple[str, int], BannerReminder] = {}
    for message in reminders_unseen(patient.user, now - reminder_window()):
        payload = message.payload
        key = (str(payload.get("date")), int(payload.get("slot", 0)))
        if key in latest:
            continue  # newest first: this dose's latest is kept
        latest[key] = BannerReminder(
            id=message.pk,
            date=date.fromisoformat(key[0]),
            slot=key[1],
            local_time=str(payload.get("local_time", "")),
            attempt=int(payload.get("attempt", 0)),
            created_at=message.created_at,
        )
    if not latest:
        return []
    pending = set(
        ScheduledDose.objects.filter(
            patient=patient,
            state=DoseState.PENDING,
            local_date__in={reminder.date for reminder in latest.values()},
        ).values_list("local_date", "slot")
    )
    return [r for r in latest.values() if (r.date, r.slot) in pending]

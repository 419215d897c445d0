"""A user's own push preferences, and a patient's dose reminder settings."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.common.errors import ServiceValidationError

from ..models import NotificationPreference, OutboxMessage
from ..selectors import reminder_preference_from

# Sentinel: "not given" (None means "clear" for the quiet hours).
UNCHANGED: Any = object()

# The shortest follow-up interval a patient may choose (minutes); the longest is
# REMINDER_FOLLOW_UP_MINUTES, so every follow-up stays within the dose's reminder window.
MIN_FOLLOW_UP_MINUTES = 5


def notification_preference_update(
    *,
    user: User,
    show_medication_name_on_lock_screen: bool | None = None,
    language: str | None = None,
    reminder_offset_minutes: int | None = None,
    follow_up_enabled: bool | None = None,
    follow_up_minutes: int | None = None,
    quiet_start: time | None = UNCHANGED,
    quiet_end: time | None = UNCHANGED,
    now: datetime | None = None,
) -> NotificationPreference:
    """Change the user's own push preferences; fields left None (quiet hours: not given) stay
    as they are. A change of a patient's reminder settings rewrites the first reminder of
    their doses not yet reminded, in the same transaction."""
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        before = reminder_preference_from(preference)
        if show_medication_name_on_lock_screen is not None:
            preference.show_medication_name_on_lock_screen = show_medication_name_on_lock_screen
        if language is not None:
            preference.language = language
        if reminder_offset_minutes is not None:
            if not 0 <= reminder_offset_minutes <= settings.REMINDER_MAX_OFFSET_MINUTES:
                raise ServiceValidationError(
                    "reminder_offset_minutes",
                    f"Between 0 and {settings.REMINDER_MAX_OFFSET_MINUTES} minutes.",
                )
            preference.reminder_offset_minutes = reminder_offset_minutes
        if follow_up_enabled is not None:
            preference.follow_up_enabled = follow_up_enabled
        if follow_up_minutes is not None:
            longest = settings.REMINDER_FOLLOW_UP_MINUTES
            if not MIN_FOLLOW_UP_MINUTES <= follow_up_minutes <= longest:
                raise ServiceValidationError(
                    "follow_up_minutes",
                    f"Between {MIN_FOLLOW_UP_MINUTES} and "
                    f"{settings.REMINDER_FOLLOW_UP_MINUTES} minutes.",
                )
            preference.follow_up_minutes = follow_up_minutes
        if quiet_start is not UNCHANGED:
            preference.quiet_start = quiet_start
        if quiet_end is not UNCHANGED:
            preference.quiet_end = quiet_end
        if (preference.quiet_start is None) != (preference.quiet_end is None):
            field = "quiet_end" if preference.quiet_end is None else "quiet_start"
            raise ServiceValidationError(
                field, "Quiet hours need both a start and an end (or neither)."
            )
        preference.save()
        after = reminder_preference_from(preference)
        patient = getattr(user, "patient_profile", None)
        if after != before and patient is not None:
            # The dose ledger's owner rewrites its rows (imported here: adherence imports this
            # package for the outbox).
            from backend.adherence.services.reminders import reminders_reschedule

            reminders_reschedule(patient_id=patient.pk, preference=after, now=now)
    return preference


def reminders_mark_seen(*, user_id: int, date: date, slot: int, now: datetime | None = None) -> int:
    """The dose's reminders shown in the app are done with (snoozed, closed): not listed
    again."""
    return OutboxMessage.objects.filter(
        recipient_id=user_id,
        kind="dose_reminder",
        seen_in_app_at__isnull=True,
        payload__date=date.isoformat(),
        payload__slot=slot,
    ).update(seen_in_app_at=now or timezone.now())

"""Reads for notifications: a user's own devices and preferences (push and dose reminder
settings), and the reminders the app shows as its in-app banner."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Max, QuerySet

from backend.accounts.models import User

from .models import Device, NotificationPreference, OutboxMessage


def devices_of(user: User) -> QuerySet[Device]:
    """The user's active devices, most recently seen first."""
    return Device.objects.filter(user=user, active=True).order_by("-last_seen_at", "-pk")


def device_of_user(user: User, device_id: int) -> Device | None:
    """One of the user's own devices, by id. Another user's device is None, exactly like one
    that does not exist (the API answers 404 for both)."""
    if not 0 < device_id < 2**63:
        return None
    return Device.objects.filter(user=user, pk=device_id).first()


def device_of_user_by_token(user: User, token: str) -> Device | None:
    """One of the user's own devices, by its registration token (which the phone sends in a
    request body, never in a URL). Another user's device is None, like an unknown token."""
    return Device.objects.filter(user=user, token=token).first()


def notification_preference_of(user: User) -> NotificationPreference:
    """The stored preferences, or an unsaved row with the defaults (the private ones)."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found if found is not None else NotificationPreference(user=user)


@dataclass(frozen=True, slots=True)
class ReminderPreference:
    """A patient's dose reminder settings as the reminder job uses them (the defaults when the
    user has no NotificationPreference row)."""

    offset_minutes: int = 0
    follow_up_enabled: bool = True
    follow_up_minutes: int | None = None  # None: REMINDER_FOLLOW_UP_MINUTES
    quiet_start: time | None = None
    quiet_end: time | None = None


DEFAULT_REMINDER_PREFERENCE = ReminderPreference()


def reminder_preference_from(preference: NotificationPreference) -> ReminderPreference:
    return ReminderPreference(
        offset_minutes=preference.reminder_offset_minutes,
        follow_up_enabled=preference.follow_up_enabled,
        follow_up_minutes=preference.follow_up_minutes,
        quiet_start=preference.quiet_start,
        quiet_end=preference.quiet_end,
    )


def reminder_preferences_of(user_ids: Iterable[int | None]) -> dict[int, ReminderPreference]:
    """The reminder settings of the users that have any (one query); the others use
    DEFAULT_REMINDER_PREFERENCE."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return {
        preference.user_id: reminder_preference_from(preference)
        for preference in NotificationPreference.objects.filter(user_id__in=wanted)
    }


def reminder_offset_max_in_use() -> int:
    """The largest reminder offset any patient chose (minutes): how far ahead of the dose times
    the reminder claim must look."""
    found = NotificationPreference.objects.aggregate(most=Max("reminder_offset_minutes"))["most"]
    return int(found or 0)


def reminders_unseen(user: User, since: datetime) -> QuerySet[OutboxMessage]:
    """The user's dose reminders queued since `since` that the app has not yet shown and had
    acted on (its in-app banner), newest first."""
    return OutboxMessage.objects.filter(
        recipient=user, kind="dose_reminder", created_at__gte=since, seen_in_app_at__isnull=True
    ).order_by("-created_at", "-pk")

"""Reads for notifications: a user's own devices and preferences."""

from django.db.models import QuerySet

from backend.accounts.models import User

from .models import Device, NotificationPreference


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

"""Reads for notifications: a user's own devices and preferences."""

from django.db.models import QuerySet

from backend.accounts.models import User

from .models import Device, NotificationPreference


def devices_of(user: User) -> QuerySet[Device]:
    """The user's active devices, most recently seen first."""
    return Device.objects.filter(user=user, active=True).order_by("-last_seen_at", "-pk")


def device_of_user(user: User, reference: str) -> Device | None:
    """One of the user's own devices, by registration token or by id. Another user's device
    is None, exactly like one that does not exist (the API answers 404 for both)."""
    own = Device.objects.filter(user=user)
    device = own.filter(token=reference).first()
    if device is None and reference.isdigit() and len(reference) < 19:
        device = own.filter(pk=int(reference)).first()
    return device


def notification_preference_of(user: User) -> NotificationPreference:
    """The stored preferences, or an unsaved row with the defaults (the private ones)."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found if found is not None else NotificationPreference(user=user)

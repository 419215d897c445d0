"""A user's own push preferences."""

from __future__ import annotations

from django.db import transaction

from backend.accounts.models import User

from ..models import NotificationPreference


def notification_preference_update(
    *,
    user: User,
    show_medication_name_on_lock_screen: bool | None = None,
    language: str | None = None,
) -> NotificationPreference:
    """Change the user's own push preferences; fields left None stay as they are."""
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        if show_medication_name_on_lock_screen is not None:
            preference.show_medication_name_on_lock_screen = show_medication_name_on_lock_screen
        if language is not None:
            preference.language = language
        preference.save()
    return preference

"""Access ends with its reason, whichever way the change is made.

A password change or reset, a deactivation, a role change and a removal from a care team each
end every session and token of the user (services.user_access_revoke). These are model signals,
not calls in one service, because Django's own password forms, `manage.py changepassword`, the
admin's user and care-team pages and a cascade all save the models directly: a rule that only
one code path remembered would be skipped by the others.
"""

from typing import Any

from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from backend.audit.context import current_actor

from .models import CareTeamMembership, User
from .services import AccessRevokedReason, user_access_revoke
from .session_timeout import stamp_new_session

_WATCHED_USER_FIELDS = {"password", "is_active", "role"}


def _could_sign_in_with(encoded_password: str) -> bool:
    """False for an account's first password (none, or an unusable one, before it): no one
    could have signed in with the old one, so there is nothing to end."""
    return bool(encoded_password) and is_password_usable(encoded_password)


@receiver(pre_save, sender=User)
def _note_access_change(sender: type[User], instance: User, raw: bool, **kwargs: Any) -> None:
    instance._access_revoked_reason = None  # type: ignore[attr-defined]
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED_USER_FIELDS & set(update_fields):
        return  # e.g. last_login at every sign-in: no extra query
    before = User.objects.filter(pk=instance.pk).values("password", "is_active", "role").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        reason = AccessRevokedReason.DEACTIVATED
    elif before["password"] != instance.password and _could_sign_in_with(before["password"]):
        reason = AccessRevokedReason.PASSWORD_CHANGED
    elif before["role"] != instance.role:
        reason = AccessRevokedReason.ROLE_CHANGED
    else:
        return
    instance._access_revoked_reason = reason  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def _end_access_after_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    reason = getattr(instance, "_access_revoked_reason", None)
    if reason:
        instance._access_revoked_reason = None  # type: ignore[attr-defined]
        user_access_revoke(user=instance, reason=reason, actor=current_actor())


@receiver(pre_save, sender=CareTeamMembership)
def _membership_moved(
    sender: type[CareTeamMembership], instance: CareTeamMembership, raw: bool, **kwargs: Any
) -> None:
    if raw or instance.pk is None:
        return
    before = (
        CareTeamMembership.objects.filter(pk=instance.pk).values("user_id", "care_team_id").first()
    )
    if before and (before["user_id"], before["care_team_id"]) != (
        instance.user_id,
        instance.care_team_id,
    ):
        former = User.objects.filter(pk=before["user_id"]).first()
        if former is not None:
            user_access_revoke(
                user=former,
                reason=AccessRevokedReason.CARE_TEAM_REMOVED,
                actor=current_actor(),
                detail={"care_team": before["care_team_id"]},
            )


@receiver(post_delete, sender=CareTeamMembership)
def _membership_removed(
    sender: type[CareTeamMembership], instance: CareTeamMembership, **kwargs: Any
) -> None:
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        user_access_revoke(
            user=user,
            reason=AccessRevokedReason.CARE_TEAM_REMOVED,
            actor=current_actor(),
            detail={"care_team": instance.care_team_id},
        )


@receiver(user_logged_in)
def _start_staff_session_clocks(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """The idle and absolute limits of a staff session count from sign-in."""
    if request is not None and hasattr(request, "session") and user.is_care_staff:
        stamp_new_session(request)

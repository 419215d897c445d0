"""Writes for caregivers: a patient invites (a one-time code), a family member accepts it with
an account of their own, the patient removes them; and the periodic alert of a dose still not
logged. The code is as a patient's own activation code: random, shown once, only its hash
kept, single use, expiring (CAREGIVER_INVITATION_VALID_HOURS)."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.roles import Role
from backend.accounts.services import (
    AccessRevokedReason,
    AlreadyExists,
    invitation_code_hash,
    invitation_code_new,
    invitation_usable_checked,
    password_validate,
    user_access_revoke,
)
from backend.adherence.selectors.doses import doses_not_logged_due_between
from backend.audit.services import audit_record
from backend.common.errors import Conflict, ServiceValidationError
from backend.notifications.services import (
    OutboxItem,
    notification_preference_update,
    outbox_cancel_pending,
    outbox_enqueue_many,
)

from .models import CaregiverInvitation, CaregiverLink

ALERT_KIND = "caregiver_dose_not_logged"
# Doses due longer ago than this before the alert time are not alerted (the worker was down
# for a day): a caregiver is told of today's worries, not of last week's.
ALERT_LOOK_BACK = timedelta(hours=12)
NAME_MAX = 60
# A PostgreSQL advisory lock between the alert run (shared) and a removal (exclusive): a
# removal waits for a run already under way to commit, then drops what it queued; a run that
# starts meanwhile waits for the removal and no longer reads the removed caregiver. (SQLite,
# `make run`: one writer at a time already.) The key is "CRGV" in ASCII.
ALERT_LOCK_KEY = 0x43524756


def _alert_lock(*, shared: bool) -> None:
    """Held to the end of the current transaction."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ALERT_LOCK_KEY])


class TooManyCaregivers(Conflict):
    pass


def _name_checked(value: str, field: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ServiceValidationError(field, "A name is needed.")
    if len(value) > NAME_MAX or not value.isprintable():
        raise ServiceValidationError(field, f"At most {NAME_MAX} printable characters.")
    return value


def _limit_checked(patient: Patient) -> None:
    active = CaregiverLink.objects.filter(patient=patient, removed_at__isnull=True).count()
    if active >= settings.CAREGIVERS_PER_PATIENT_MAX:
        raise TooManyCaregivers(
            "caregivers",
            f"At most {settings.CAREGIVERS_PER_PATIENT_MAX} caregivers: remove one first.",
            code="too_many_caregivers",
        )


def caregiver_invitation_issue(
    *, patient: Patient, patient_name: str, show_medication_name: bool = False
) -> tuple[CaregiverInvitation, str]:
    """A fresh code for a family member (shown once); an earlier unused code of this patient
    stops working. Refused when the patient already has CAREGIVERS_PER_PATIENT_MAX."""
    patient_name = _name_checked(patient_name, "patient_name")
    now = timezone.now()
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        _limit_checked(patient)
        CaregiverInvitation.objects.filter(
            patient=patient, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now, updated_at=now)
        code = invitation_code_new()
        invitation = CaregiverInvitation.objects.create(
            patient=patient,
            code_hash=invitation_code_hash(code),
            expires_at=now + timedelta(hours=settings.CAREGIVER_INVITATION_VALID_HOURS),
            patient_name=patient_name,
            show_medication_name=show_medication_name,
        )
        audit_record(
            actor=patient.user,
            action="caregiver.invite",
            patient=patient,
            detail={
                "invitation": invitation.pk,
                "expires_at": invitation.expires_at.isoformat(),
                "show_medication_name": show_medication_name,
            },
        )
    return invitation, code


def caregiver_accept(
    *,
    invitation_code: str,
    username: str,
    password: str,
    display_name: str,
    language: str = "en",
) -> User:
    """A family member turns a valid, unused, unexpired code into their own caregiver account
    (never staff, never a patient), linked to that patient only. Works once."""
    display_name = _name_checked(display_name, "display_name")
    if language not in dict(settings.LANGUAGES):
        raise ServiceValidationError("language", f"'{language}' is not a supported language.")
    username = username.strip()
    with transaction.atomic():
        invitation = (
            CaregiverInvitation.objects.select_for_update()
            .filter(code_hash=invitation_code_hash(invitation_code))
            .first()
        )
        invitation = invitation_usable_checked(invitation, ask_for_new="Ask for a new one.")
        patient = Patient.objects.select_for_update().get(pk=invitation.patient_id)
        _limit_checked(patient)
        if User.objects.filter(username__iexact=username).exists():
            raise AlreadyExists("username", "This username is taken. Choose another.")
        candidate = User(username=username, first_name=display_name, role=Role.CAREGIVER)
        password_validate(password, candidate)
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    role=Role.CAREGIVER,
                    first_name=display_name[:150],
                    is_staff=False,
                    is_superuser=False,
                )
        except IntegrityError:
            raise AlreadyExists("username", "This username is taken. Choose another.") from None
        link = CaregiverLink.objects.create(
            patient=patient,
            user=user,
            invitation=invitation,
            display_name=display_name,
            patient_name=invitation.patient_name,
            show_medication_name=invitation.show_medication_name,
        )
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at", "updated_at"])
        # Their pushes come in the language they chose (notifications' delivery reads it).
        notification_preference_update(user=user, language=language)
        audit_record(
            actor=user, action="caregiver.accept", patient=patient, detail={"link": link.pk}
        )
    return user


def caregiver_remove(*, patient: Patient, link_id: Any, removed_by: User | None) -> bool:
    """The patient removes a caregiver, effective at once: the link shows nothing more, every
    token and session of the caregiver's account ends, no push is sent any more (those still
    waiting in the outbox are dropped). False when this patient has no such current caregiver
    (another patient's, or removed already): the caller answers 404."""
    with transaction.atomic():
        _alert_lock(shared=False)
        link = (
            CaregiverLink.objects.select_for_update()
            .select_related("user")
            .filter(pk=link_id, patient=patient, removed_at__isnull=True)
            .first()
        )
        if link is None:
            return False
        link.removed_at = timezone.now()
        link.save(update_fields=["removed_at", "updated_at"])
        user_access_revoke(
            user=link.user,
            reason=AccessRevokedReason.CAREGIVER_REMOVED,
            actor=removed_by,
            detail={"link": link.pk},
        )
        outbox_cancel_pending(recipient_id=link.user_id, kind=ALERT_KIND)
        audit_record(
            actor=removed_by, action="caregiver.remove", patient=patient, detail={"link": link.pk}
        )
    return True


def caregiver_alerts_enqueue(now: datetime) -> int:
    """One push per caregiver per dose still not logged CAREGIVER_ALERT_AFTER_MINUTES after its
    due time (pending in the ledger, of an active plan; due after the caregiver was linked and
    within ALERT_LOOK_BACK before that). One statement reads every such (dose, caregiver)
    pair; each push is an outbox row with a (link, date, slot) dedupe key, so a rerun or a
    crash half-way never sends one twice. Runs under the shared ALERT_LOCK_KEY, so a removal
    never races it. Returns how many pushes were offered."""
    latest = now - timedelta(minutes=settings.CAREGIVER_ALERT_AFTER_MINUTES)
    with transaction.atomic():
        _alert_lock(shared=True)
        rows = list(
            doses_not_logged_due_between(latest - ALERT_LOOK_BACK, latest)
            .filter(
                patient__caregiver_links__removed_at__isnull=True,
                patient__caregiver_links__created_at__lt=F("due_at"),
                patient__caregiver_links__user__is_active=True,
            )
            .values_list(
                "patient__caregiver_links__id",
                "patient__caregiver_links__user_id",
                "patient__caregiver_links__patient_name",
                "patient__caregiver_links__show_medication_name",
                "local_date",
                "local_time",
                "slot",
            )
        )
        items = [
            OutboxItem(
                recipient_id=user_id,
                kind=ALERT_KIND,
                payload={
                    "patient_name": patient_name,
                    "local_time": local_time.strftime("%H:%M") if local_time else "",
                    "date": day.isoformat(),
                    "show_medication_name": show_name,
                },
                dedupe_key=f"caregiver:{link_id}:{day.isoformat()}:{slot}",
            )
            for link_id, user_id, patient_name, show_name, day, local_time, slot in rows
        ]
        return outbox_enqueue_many(items) if items else 0

"""Writes for accounts: care teams, staff, enrolment, invitations, activation, tokens."""

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from knox.models import AuthToken

from backend.audit.services import audit_record
from backend.common.errors import Conflict, ServiceValidationError
from backend.common.time import is_valid_time_zone

from .models import (
    CareTeam,
    CareTeamMembership,
    Patient,
    PatientInvitation,
    PatientTimeZoneChange,
    User,
)
from .roles import Role
from .selectors import care_teams_of, patient_local_today, patient_time_zone_at
from .session_timeout import staff_idle_timeout

# No 0/O or 1/I/L: codes are read aloud and typed from paper.
INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITATION_LENGTH = 12  # 31**12 ≈ 2**59 possibilities


class AlreadyExists(Conflict):
    pass


def phone_number_checked(phone: str, field: str = "phone") -> str:
    """A phone number as people write it: digits, spaces and + ( ) - . only, at most 32."""
    phone = phone.strip()
    if len(phone) > 32 or any(ch not in "+0123456789 ()-." for ch in phone):
        raise ServiceValidationError(field, "Digits, spaces, + ( ) - . only; at most 32.")
    if phone and not any(ch.isdigit() for ch in phone):
        raise ServiceValidationError(field, "A phone number needs digits.")
    return phone


def care_team_contact_update(
    *, care_team: CareTeam, phone: str, hours: str, emergency_number: str, changed_by: User
) -> CareTeam:
    """What a team's patients are told to call, and when (an administrator's setting)."""
    phone = phone_number_checked(phone)
    hours = hours.strip()
    if len(hours) > 120:
        raise ServiceValidationError("hours", "At most 120 characters.")
    emergency_number = emergency_number.strip()
    if not emergency_number or not emergency_number.isdigit() or len(emergency_number) > 16:
        raise ServiceValidationError("emergency_number", "Digits only, e.g. 112, 999 or 911.")
    before = {
        "phone": care_team.phone,
        "hours": care_team.hours,
        "emergency_number": care_team.emergency_number,
    }
    care_team.phone, care_team.hours, care_team.emergency_number = phone, hours, emergency_number
    care_team.save(update_fields=["phone", "hours", "emergency_number", "updated_at"])
    audit_record(
        actor=changed_by,
        action="care_team.contact",
        detail={
            "care_team": care_team.pk,
            "changed": sorted(k for k, v in before.items() if getattr(care_team, k) != v),
        },
    )
    return care_team


def care_team_create(*, name: str, phone: str = "", emergency_number: str = "112") -> CareTeam:
    """A care team; `phone` is what its patients are told to call after a red flag."""
    name = name.strip()
    if not name:
        raise ServiceValidationError("name", "A care team needs a name.")
    phone, emergency_number = phone_number_checked(phone), emergency_number.strip()
    if not emergency_number or not emergency_number.isdigit() or len(emergency_number) > 16:
        raise ServiceValidationError("emergency_number", "Digits only, e.g. 112, 999 or 911.")
    if CareTeam.objects.filter(name__iexact=name).exists():
        raise AlreadyExists("name", f"A care team named '{name}' already exists.")
    try:
        with transaction.atomic():
            return CareTeam.objects.create(
                name=name, phone=phone, emergency_number=emergency_number
            )
    except IntegrityError:
        raise AlreadyExists("name", f"A care team named '{name}' already exists.") from None


def staff_create(
    *, username: str, role: str, password: str, care_team_name: str | None = None
) -> User:
    """A nurse or coordinator joins a care team; an admin needs none."""
    if role not in Role.staff_roles():
        raise ServiceValidationError("role", f"'{role}' is not a staff role.")
    if User.objects.filter(username__iexact=username).exists():
        raise AlreadyExists("username", f"A user named '{username}' already exists.")
    care_team = None
    if role in Role.care_team_roles():
        if not care_team_name:
            raise ServiceValidationError("care_team", "Nurses and coordinators need a care team.")
        care_team = CareTeam.objects.filter(name__iexact=care_team_name).first()
        if care_team is None:
            raise ServiceValidationError("care_team", f"No care team named '{care_team_name}'.")
    candidate = User(username=username, role=role)
    password_validate(password, candidate)
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            role=role,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        if care_team is not None:
            CareTeamMembership.objects.create(care_team=care_team, user=user)
    return user


def care_team_member_add(*, care_team: CareTeam, user: User) -> CareTeamMembership:
    if user.role not in Role.care_team_roles():
        raise ServiceValidationError("user", "Only nurses and coordinators join care teams.")
    membership, _ = CareTeamMembership.objects.get_or_create(care_team=care_team, user=user)
    return membership


def patient_enrol(
    *,
    enrolled_by: User,
    display_name: str,
    medical_record_number: str,
    time_zone: str,
    language: str = "en",
    care_team_id: int | None = None,
    phone: str = "",
) -> tuple[Patient, str]:
    """Create a patient in the staff member's care team; returns the patient and a one-time
    invitation code to hand to them (it is never retrievable again)."""
    care_team = _care_team_for_enrolment(enrolled_by, care_team_id)
    if not is_valid_time_zone(time_zone):
        raise ServiceValidationError(
            "time_zone", f"'{time_zone}' is not an IANA time zone (e.g. Europe/Madrid)."
        )
    if language not in dict(settings.LANGUAGES):
        raise ServiceValidationError("language", f"'{language}' is not a supported language.")
    if not display_name.strip():
        raise ServiceValidationError("display_name", "A patient needs a name.")
    phone = phone_number_checked(phone)
    medical_record_number = medical_record_number.strip()
    if not medical_record_number or not medical_record_number.isprintable():
        raise ServiceValidationError(
            "medical_record_number",
            "Use letters, digits, spaces and punctuation only (no tabs, line breaks or "
            "other control characters).",
        )
    duplicate = Patient.objects.filter(
        care_team=care_team, medical_record_number=medical_record_number
    )
    duplicate_message = (
        "A patient with this medical record number is already enrolled in this care team."
    )
    if duplicate.exists():
        raise AlreadyExists("medical_record_number", duplicate_message)
    with transaction.atomic():
        try:
            with transaction.atomic():
                patient = Patient.objects.create(
                    care_team=care_team,
                    display_name=display_name.strip(),
                    medical_record_number=medical_record_number,
                    time_zone=time_zone,
                    language=language,
                    phone=phone,
                    enrolled_by=enrolled_by,
                )
        except IntegrityError:
            raise AlreadyExists("medical_record_number", duplicate_message) from None
        audit_record(
            actor=enrolled_by,
            action="patient.enrol",
            patient=patient,
            detail={"care_team": care_team.pk},
        )
        code = patient_invitation_issue(patient=patient, issued_by=enrolled_by)
    return patient, code


def _care_team_for_enrolment(staff: User, care_team_id: int | None) -> CareTeam:
    teams = care_teams_of(staff)
    if care_team_id is None:
        only_teams = list(teams[:2])
        if len(only_teams) == 1:
            return only_teams[0]
        if not only_teams:
            raise ServiceValidationError("care_team", "You are not a member of any care team.")
        raise ServiceValidationError(
            "care_team", "You belong to several care teams: say which one."
        )
    team = teams.filter(pk=care_team_id).first()
    if team is None:
        raise ServiceValidationError("care_team", "Not one of your care teams.")
    return team


def invitation_code_hash(code: str) -> str:
    """What is stored of a one-time code (SHA-256 of its letters and digits, upper case): a
    code is typed from paper, with or without its dashes. Caregiver codes use it too."""
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def invitation_code_new() -> str:
    """A fresh one-time code, 12 characters of INVITATION_ALPHABET in groups of four."""
    raw = "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, INVITATION_LENGTH, 4))


def patient_invitation_issue(*, patient: Patient, issued_by: User | None) -> str:
    """A fresh code; any earlier unused code of this patient stops working. For a patient who
    has an account and lost access to it (a forgotten password, a lost phone), the code lets
    them set a new password, and every session and token of the account ends now."""
    now = timezone.now()
    with transaction.atomic():
        if patient.user is not None:
            user_access_revoke(
                user=patient.user,
                reason=AccessRevokedReason.NEW_INVITATION,
                actor=issued_by,
            )
        PatientInvitation.objects.filter(
            patient=patient, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        code = invitation_code_new()
        invitation = PatientInvitation.objects.create(
            patient=patient,
            code_hash=invitation_code_hash(code),
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
            issued_by=issued_by,
        )
        audit_record(
            actor=issued_by,
            action="patient.invite",
            patient=patient,
            detail={"invitation": invitation.pk, "expires_at": invitation.expires_at.isoformat()},
        )
    return code


class OneTimeCode(Protocol):
    revoked_at: datetime | None
    used_at: datetime | None
    expires_at: datetime


CodeT = TypeVar("CodeT", bound=OneTimeCode)


def invitation_usable_checked(invitation: CodeT | None, *, ask_for_new: str) -> CodeT:
    """Refuse a one-time code (a patient's or a caregiver's invitation, looked up by its hash)
    that is unknown, revoked, used or expired, naming the field and why."""
    if invitation is None or invitation.revoked_at is not None:
        raise ServiceValidationError("invitation_code", "This invitation code is not recognised.")
    if invitation.used_at is not None:
        raise ServiceValidationError(
            "invitation_code", "This invitation code has already been used. Sign in instead."
        )
    if invitation.expires_at <= timezone.now():
        raise ServiceValidationError(
            "invitation_code", f"This invitation code has expired. {ask_for_new}"
        )
    return invitation


def patient_activate(*, invitation_code: str, password: str, username: str | None = None) -> User:
    """Turn a valid, unused, unexpired invitation into the patient's account (once)."""
    with transaction.atomic():
        invitation = (
            PatientInvitation.objects.select_for_update()
            .select_related("patient")
            .filter(code_hash=invitation_code_hash(invitation_code))
            .first()
        )
        invitation = invitation_usable_checked(
            invitation, ask_for_new="Ask your care team for a new one."
        )
        patient = invitation.patient
        if patient.user_id is not None:
            return _patient_reactivate(
                invitation, user_id=patient.user_id, password=password, username=username
            )
        username = (username or "").strip() or _generate_patient_username()
        if User.objects.filter(username__iexact=username).exists():
            raise AlreadyExists("username", "This username is taken. Choose another.")
        candidate = User(username=username, first_name=patient.display_name, role=Role.PATIENT)
        password_validate(password, candidate)
        user = User.objects.create_user(
            username=username,
            password=password,
            role=Role.PATIENT,
            first_name=patient.display_name[:150],
        )
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at", "updated_at"])
        audit_record(actor=user, action="patient.activate", patient=patient)
    return user


def _patient_reactivate(
    invitation: PatientInvitation, *, user_id: int, password: str, username: str | None
) -> User:
    """A new code for an existing account: a new password (and, if asked, a new username)
    for the same account, its history kept. Its sessions and tokens ended at issue."""
    patient = invitation.patient
    user = User.objects.select_for_update().get(pk=user_id)
    username = (username or "").strip()
    if username and username.lower() != user.username.lower():
        if User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
            raise AlreadyExists("username", "This username is taken. Choose another.")
        user.username = username
    password_validate(password, user)
    user.set_password(password)
    user.is_active = True
    user.save()
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at", "updated_at"])
    audit_record(actor=user, action="patient.reactivate", patient=patient)
    return user


def _generate_patient_username() -> str:
    while True:
        username = f"patient-{secrets.randbelow(10**8):08d}"
        if not User.objects.filter(username=username).exists():
            return username


def password_validate(password: str, user: User) -> None:
    """The site's password rules (AUTH_PASSWORD_VALIDATORS), as a 400 naming `password`."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise ServiceValidationError("password", " ".join(error.messages)) from None


def auth_token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new per-device bearer token. The oldest are dropped past the per-user limit."""
    limit = settings.AUTH_TOKENS_PER_USER
    if limit:
        now = timezone.now()
        live = AuthToken.objects.filter(user=user).exclude(expiry__lt=now).order_by("-created")
        stale = list(live.values_list("digest", flat=True)[limit - 1 :])
        if stale:
            AuthToken.objects.filter(digest__in=stale).delete()
    issued: tuple[AuthToken, str]  # knox is untyped: create() is Any to mypy
    if user.is_care_staff:  # held to the staff session limits (session_timeout.py)
        issued = AuthToken.objects.create(user=user, expiry=staff_idle_timeout())
    else:
        issued = AuthToken.objects.create(user=user)
    return issued


def auth_token_revoke(*, token: AuthToken) -> None:
    token.delete()


EXPIRED_TOKENS_BATCH_SIZE = 1000


def auth_tokens_delete_expired(
    now: datetime, *, batch_size: int = EXPIRED_TOKENS_BATCH_SIZE
) -> int:
    """Deletes bearer tokens whose expiry has passed; returns how many. Authentication refuses
    them but no longer deletes them per request (knox's housekeeping, a query on every API
    request): this hourly task does. A batch per statement, each its own transaction, so a
    backlog never holds locks on many rows at once; a token renewed meanwhile is kept (the
    expiry is checked again in the DELETE)."""
    deleted_total = 0
    while True:
        batch = list(
            AuthToken.objects.filter(expiry__lt=now).values_list("digest", flat=True)[:batch_size]
        )
        if not batch:
            return deleted_total
        deleted: int  # knox is untyped: delete() is Any to mypy
        deleted, _ = AuthToken.objects.filter(digest__in=batch, expiry__lt=now).delete()
        deleted_total += deleted
        if len(batch) < batch_size:
            return deleted_total


def user_tokens_revoke(*, user: User) -> int:
    deleted: int  # knox is untyped: delete() is Any to mypy
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


class AccessRevokedReason:
    """Why every session and token of a user ended (the audit row's `reason`)."""

    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    DEACTIVATED = "deactivated"
    ROLE_CHANGED = "role_changed"
    CARE_TEAM_REMOVED = "care_team_removed"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    NEW_INVITATION = "new_invitation"  # a patient who lost access gets a new code
    CAREGIVER_REMOVED = "caregiver_removed"  # the patient removed their caregiver


def user_access_revoke(
    *, user: User, reason: str, actor: User | None = None, detail: dict[str, Any] | None = None
) -> int:
    """End every session (dashboard, admin, API session) and every bearer token of `user` at
    once: the reason someone had access is gone. Sessions end because the generation is part
    of the session hash Django checks on each request; tokens are deleted. Returns how many
    tokens were deleted."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.session_generation = (
            User.objects.filter(pk=user.pk).values_list("session_generation", flat=True).first()
            or 0
        )
        tokens = user_tokens_revoke(user=user)
        audit_record(
            actor=actor,
            action="auth.access_revoked",
            detail={
                "user": user.pk,
                "username": user.username,
                "reason": reason,
                "tokens_deleted": tokens,
                **(detail or {}),
            },
        )
    return tokens


def user_deactivate(*, user: User) -> None:
    """Sign a user out of every device at once and stop them signing in again."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        # The account signals (signals.py) see the change and call user_access_revoke.


def patient_time_zone_change(
    *, patient: Patient, time_zone: str, changed_by: User | None
) -> PatientTimeZoneChange | None:
    """Move the patient to another zone from their next local day (so today's doses keep
    today's times). Returns None when the zone is already the one in force from then."""
    if not is_valid_time_zone(time_zone):
        raise ServiceValidationError(
            "time_zone", f"'{time_zone}' is not an IANA time zone (e.g. Europe/Madrid)."
        )
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if patient.time_zone == time_zone:
            return None
        today = patient_local_today(patient)
        effective = today + timedelta(days=1)
        # A change made twice on one day replaces the first (both start tomorrow).
        PatientTimeZoneChange.objects.filter(patient=patient, effective_date=effective).delete()
        previous = patient_time_zone_at(patient)
        patient.time_zone = time_zone
        patient.save(update_fields=["time_zone", "updated_at"])
        if previous == time_zone:
            # Back to today's zone: the pending change was all there was to undo.
            _dose_ledger_rewrite(patient, effective)
            return None
        change = PatientTimeZoneChange.objects.create(
            patient=patient,
            previous_time_zone=previous,
            time_zone=time_zone,
            effective_date=effective,
            changed_by=changed_by,
        )
        _dose_ledger_rewrite(patient, effective)
        audit_record(
            actor=changed_by,
            action="patient.time_zone",
            patient=patient,
            detail={"from": previous, "to": time_zone, "effective_date": effective.isoformat()},
        )
    return change


def _dose_ledger_rewrite(patient: Patient, effective: date) -> None:
    """The doses from the change's first day move to the new zone's clock, in this
    transaction (adherence's ledger; imported here, as adherence depends on accounts)."""
    from backend.adherence.services.ledger import ledger_rewrite_patient

    ledger_rewrite_patient(patient.pk, from_day=effective)

"""Users, care teams, patients and the invitations that let a patient create an account."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from backend.common.models import TimeStampedModel

from .roles import Role


class AccountManager(UserManager["User"]):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """Anyone who signs in. New users are patients unless made otherwise (least privilege)."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    # Raised to end every session of this user at once (services.user_access_revoke): it is
    # part of the session hash Django checks on every request, like the password is.
    session_generation = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects: ClassVar[AccountManager] = AccountManager()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        key_salt = "backend.accounts.models.User.get_session_auth_hash"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_care_staff(self) -> bool:
        return self.role in Role.staff_roles()


class CareTeam(TimeStampedModel):
    """A clinic's group of nurses and coordinators who look after the same patients."""

    name = models.CharField(max_length=120)
    # What a patient is told to call after a red flag (the patient app shows both).
    phone = models.CharField(
        max_length=32,
        blank=True,
        db_default="",
        help_text="The number patients call, e.g. +34 600 000 000",
    )
    emergency_number = models.CharField(
        max_length=16,
        default="112",
        db_default="112",
        help_text="The local emergency number patients are told to call (112, 999, 911...)",
    )
    # When the team answers that number, in its own words (the patient app shows it).
    hours = models.CharField(
        max_length=120,
        blank=True,
        db_default="",
        help_text="When the phone is answered, e.g. Mon-Fri 08:00-15:00",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CareTeamMembership", related_name="care_teams"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="care_team_name_unique_ignoring_case")
        ]

    def __str__(self) -> str:
        return self.name


class CareTeamMembership(TimeStampedModel):
    care_team = models.ForeignKey(CareTeam, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["care_team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.care_team}"


class Patient(TimeStampedModel):
    """A person on imatinib, enrolled by their care team; the account comes at activation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient_profile",
    )
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="patients")
    display_name = models.CharField(max_length=150)
    medical_record_number = models.CharField(max_length=64)
    time_zone = models.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/Madrid")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    # Where the care team calls the patient (the nurse's patient page shows it as a tel: link).
    phone = models.CharField(max_length=32, blank=True, db_default="")
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["care_team", "medical_record_number"],
                name="medical_record_number_unique_per_care_team",
            )
        ]

    def __str__(self) -> str:
        return self.display_name


class PatientInvitation(TimeStampedModel):
    """A one-time code a nurse hands a patient. Only its SHA-256 is stored."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"invitation for {self.patient} until {self.expires_at:%Y-%m-%d}"


class PatientTimeZoneChange(models.Model):
    """A move to another time zone. It applies from `effective_date` (the patient's next local
    day when it was made), so a day is never split between two zones."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="zone_changes")
    previous_time_zone = models.CharField(max_length=64)
    time_zone = models.CharField(max_length=64)
    effective_date = models.DateField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "effective_date", "id"]

    def __str__(self) -> str:
        return f"{self.previous_time_zone} -> {self.time_zone} from {self.effective_date}"

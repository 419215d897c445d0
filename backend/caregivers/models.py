"""A patient's caregivers (the "Medfriend" idea, issue 22): a family member the patient invites
with a one-time code. The caregiver sees only whether today's doses are logged, and gets one
push when a dose is still not logged a while after it was due; nothing else of the patient."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.accounts.models import Patient
from backend.common.models import TimeStampedModel


class CaregiverInvitation(TimeStampedModel):
    """A one-time code a patient gives a family member. Only its SHA-256 is stored (as a
    patient's own invitation: accounts.services.invitation_code_hash); it works once, until
    `expires_at`, and a newer invitation of the same patient replaces it."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="caregiver_invitations"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the patient chose to share: how the caregiver sees their name, and whether the
    # drug's name may appear (default no: "a dose", never "imatinib").
    patient_name = models.CharField(max_length=60)
    show_medication_name = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"caregiver invitation of {self.patient_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class CaregiverLink(TimeStampedModel):
    """A caregiver's account watching one patient. Removal sets `removed_at` (the row stays,
    so the dedupe keys of pushes already sent stay unique); a removed link shows nothing and
    sends nothing."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="caregiver_links")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caregiver_link"
    )
    invitation = models.OneToOneField(
        CaregiverInvitation, on_delete=models.PROTECT, related_name="link"
    )
    display_name = models.CharField(
        max_length=60, help_text="The caregiver's name, as they gave it"
    )
    patient_name = models.CharField(max_length=60)
    show_medication_name = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["patient", "created_at", "id"]
        indexes = [
            models.Index(
                fields=["patient"], condition=Q(removed_at__isnull=True), name="caregiver_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} for {self.patient_id}"

    @property
    def active(self) -> bool:
        return self.removed_at is None

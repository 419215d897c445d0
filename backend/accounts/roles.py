"""The roles. A user has exactly one; what each may see is in accounts.selectors. A caregiver
(a patient's family member, backend/caregivers) is never staff and never a patient: they see
only the minimal view of the one patient who invited them (caregivers.selectors)."""

from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    NURSE = "nurse", "Nurse"
    COORDINATOR = "coordinator", "Care coordinator"
    ADMIN = "admin", "Administrator"
    CAREGIVER = "caregiver", "Caregiver"

    @classmethod
    def staff_roles(cls) -> frozenset[str]:
        return frozenset({cls.NURSE, cls.COORDINATOR, cls.ADMIN})

    @classmethod
    def care_team_roles(cls) -> frozenset[str]:
        """Roles that belong to care teams and see only those teams' patients."""
        return frozenset({cls.NURSE, cls.COORDINATOR})

"""Role checks. Which patients a user may see is decided by accounts.selectors, not here."""

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from backend.accounts.roles import Role

# A view that a caregiver may use says so with this attribute set to True: their minimal view
# and their own account (who am I, sign out, this phone's push registration). Every other view
# refuses a caregiver (403) before its own permissions run: `refuse_caregiver_outside`, called
# by both authentication classes, so a view that forgets a role check still refuses them.
CAREGIVER_MAY_USE = "caregiver_may_use"


def refuse_caregiver_outside(user: Any, view: Any) -> None:
    """403 for a caregiver on any view not marked CAREGIVER_MAY_USE (deny by default)."""
    if getattr(user, "role", None) == Role.CAREGIVER and not getattr(
        view, CAREGIVER_MAY_USE, False
    ):
        raise PermissionDenied("A caregiver may only open the view their patient shares.")


class IsStaffMember(BasePermission):
    """Nurses, coordinators and admins."""

    message = "Only care-team staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in Role.staff_roles())


class IsCaregiver(BasePermission):
    """A patient's family member, on the views marked CAREGIVER_MAY_USE."""

    message = "Only caregivers may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.CAREGIVER)


class IsPatient(BasePermission):
    message = "Only patients may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.PATIENT)


class IsNurseOrAdmin(BasePermission):
    """Clinical changes (plans, holds, dose changes) are made by nurses and admins."""

    message = "Only nurses and admins may change treatment plans."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in (Role.NURSE, Role.ADMIN))


class IsCoordinatorOrAdmin(BasePermission):
    """Cohort exports are for care coordinators and admins."""

    message = "Only care coordinators and admins may export cohorts."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in (Role.COORDINATOR, Role.ADMIN))

"""Role checks. Which patients a user may see is decided by accounts.selectors, not here."""

from rest_framework.permissions import BasePermission

from backend.accounts.roles import Role


class IsStaffMember(BasePermission):
    """Nurses, coordinators and admins."""

    message = "Only care-team staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in Role.staff_roles())


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

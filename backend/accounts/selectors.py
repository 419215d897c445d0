"""Reads. `patients_visible_to` is THE rule for which patients a user may see; every read of
patient data in every app starts from it."""

from collections.abc import Callable
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from backend.common.time import local_date

from .models import CareTeam, Patient, User
from .roles import Role


def _patients_for_patient(user: User) -> QuerySet[Patient]:
    return Patient.objects.filter(user=user)


def _patients_for_care_team_member(user: User) -> QuerySet[Patient]:
    return Patient.objects.filter(care_team__members=user)


def _patients_for_admin(user: User) -> QuerySet[Patient]:
    return Patient.objects.all()


_PATIENT_SCOPE_BY_ROLE: dict[str, Callable[[User], QuerySet[Patient]]] = {
    Role.PATIENT: _patients_for_patient,
    Role.NURSE: _patients_for_care_team_member,
    Role.COORDINATOR: _patients_for_care_team_member,
    Role.ADMIN: _patients_for_admin,
}


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Patients this user may see: self, their care teams' patients, or all for admins."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    scope = _PATIENT_SCOPE_BY_ROLE.get(user.role)
    if scope is None:
        return Patient.objects.none()
    return scope(user).select_related("care_team", "user").distinct()


def care_teams_of(user: User) -> QuerySet[CareTeam]:
    """Teams a staff member acts for (admins act for every team)."""
    if user.role == Role.ADMIN:
        return CareTeam.objects.all()
    if user.role in Role.care_team_roles():
        return CareTeam.objects.filter(members=user)
    return CareTeam.objects.none()


def patient_of_user(user: User) -> Patient | None:
    """The signed-in patient's own profile."""
    if user.role != Role.PATIENT:
        return None
    return Patient.objects.select_related("care_team").filter(user=user).first()


def patient_visible_to(user: User, patient_id: object) -> Patient | None:
    """One patient, if this user may see them; None otherwise (callers answer 404)."""
    return patients_visible_to(user).filter(pk=patient_id).first()


def patient_zone_periods(patient: Patient) -> list[tuple[date, str]]:
    """(first local date, IANA zone) periods, oldest first; the first starts at date.min."""
    changes = sorted(patient.zone_changes.all(), key=lambda c: (c.effective_date, c.pk))
    if not changes:
        return [(date.min, patient.time_zone)]
    return [(date.min, changes[0].previous_time_zone)] + [
        (change.effective_date, change.time_zone) for change in changes
    ]


def patient_time_zone_at(patient: Patient, instant: datetime | None = None) -> str:
    """The zone in force at an instant: a change applies from the start of its effective
    date, as the clock of the zone before it shows that date."""
    instant = instant or timezone.now()
    periods = patient_zone_periods(patient)
    zone = periods[0][1]
    for effective_date, next_zone in periods[1:]:
        if local_date(instant, zone) >= effective_date:
            zone = next_zone
    return zone


def patient_local_today(patient: Patient, instant: datetime | None = None) -> date:
    """The patient's calendar date now (or at `instant`), in the zone in force then."""
    instant = instant or timezone.now()
    return local_date(instant, patient_time_zone_at(patient, instant))

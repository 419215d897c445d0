"""Reads. `patients_visible_to` is THE rule for which patients a user may see; every read of
patient data in every app starts from it."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from backend.common.time import local_date

from .models import CareTeam, CareTeamMembership, Patient, PatientTimeZoneChange, User
from .roles import Role


def _patients_for_patient(user: User) -> QuerySet[Patient]:
    return Patient.objects.filter(user=user)


def _patients_for_care_team_member(user: User) -> QuerySet[Patient]:
    # The user's teams as a subquery, not a join: no row can come twice, so no DISTINCT,
    # which inside `patient_id IN (...)` made PostgreSQL hash every patient of every team
    # (the alert queue's page query: 16 ms against 4 ms with 110,000 patients, issue 20).
    teams = CareTeamMembership.objects.filter(user=user).values("care_team_id")
    return Patient.objects.filter(care_team_id__in=teams)


def _patients_for_admin(user: User) -> QuerySet[Patient]:
    return Patient.objects.all()


_PATIENT_SCOPE_BY_ROLE: dict[str, Callable[[User], QuerySet[Patient]]] = {
    Role.PATIENT: _patients_for_patient,
    Role.NURSE: _patients_for_care_team_member,
    Role.COORDINATOR: _patients_for_care_team_member,
    Role.ADMIN: _patients_for_admin,
}


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Patients this user may see: self, their care teams' patients, or all for admins. A
    caregiver sees no patient record here: only caregivers.selectors' minimal view."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    scope = _PATIENT_SCOPE_BY_ROLE.get(user.role)
    if scope is None:
        return Patient.objects.none()
    return scope(user).select_related("care_team", "user")


def care_teams_of(user: User) -> QuerySet[CareTeam]:
    """Teams a staff member acts for (admins act for every team)."""
    if user.role == Role.ADMIN:
        return CareTeam.objects.all()
    if user.role in Role.care_team_roles():
        return CareTeam.objects.filter(members=user)
    return CareTeam.objects.none()


def patient_of_user(user: User) -> Patient | None:
    """The signed-in patient's own profile, with their care team. Bearer authentication has
    already joined it into its token query (api/authentication.py): then this reads nothing."""
    if user.role != Role.PATIENT:
        return None
    if User.patient_profile.is_cached(user):
        try:
            return user.patient_profile
        except Patient.DoesNotExist:
            return None
    return Patient.objects.select_related("care_team").filter(user=user).first()


def patient_visible_to(user: User, patient_id: UUID | str) -> Patient | None:
    """One patient, if this user may see them; None otherwise (callers answer 404)."""
    return patients_visible_to(user).filter(pk=patient_id).first()


def patient_zone_periods(patient: Patient) -> list[tuple[date, str]]:
    """(first local date, IANA zone) periods, oldest first; the first starts at date.min."""
    changes = [
        (change.effective_date, change.pk, change.previous_time_zone, change.time_zone)
        for change in patient.zone_changes.all()
    ]
    return zone_periods_from(patient.time_zone, changes)


ZoneChangeRow = tuple[date, int, str, str]  # (effective_date, id, previous zone, new zone)


def zone_periods_from(
    current_time_zone: str, changes: list[ZoneChangeRow]
) -> list[tuple[date, str]]:
    """THE zone-period rule, on plain data (the worker's cohort-wide jobs read the rows as
    tuples, not model instances): before the first change the patient was in its previous
    zone; each change applies from its effective date, ties in the order they were made."""
    ordered = sorted(changes)
    if not ordered:
        return [(date.min, current_time_zone)]
    return [(date.min, ordered[0][2])] + [
        (effective_date, time_zone) for effective_date, _, _, time_zone in ordered
    ]


def zone_periods_of_patients(
    current_time_zones: dict[Any, str],
) -> dict[Any, list[tuple[date, str]]]:
    """Zone periods of many patients ({patient id: current zone}) in one query."""
    changes: dict[Any, list[ZoneChangeRow]] = defaultdict(list)
    for patient_id, *row in (
        PatientTimeZoneChange.objects.filter(patient_id__any_of=current_time_zones.keys())
        .order_by()
        .values_list("patient_id", "effective_date", "id", "previous_time_zone", "time_zone")
    ):
        changes[patient_id].append(tuple(row))  # type: ignore[arg-type]
    return {
        patient_id: zone_periods_from(zone, changes.get(patient_id, []))
        for patient_id, zone in current_time_zones.items()
    }


def time_zone_in_force(periods: list[tuple[date, str]], instant: datetime) -> str:
    """The zone in force at an instant: a change applies from the start of its effective
    date, as the clock of the zone before it shows that date."""
    zone = periods[0][1]
    for effective_date, next_zone in periods[1:]:
        if local_date(instant, zone) >= effective_date:
            zone = next_zone
    return zone


def local_today_in(periods: list[tuple[date, str]], instant: datetime) -> date:
    """The calendar date at `instant` in the zone in force then."""
    return local_date(instant, time_zone_in_force(periods, instant))


def patient_time_zone_at(patient: Patient, instant: datetime | None = None) -> str:
    """The zone in force at an instant (see time_zone_in_force)."""
    return time_zone_in_force(patient_zone_periods(patient), instant or timezone.now())


def patient_local_today(patient: Patient, instant: datetime | None = None) -> date:
    """The patient's calendar date now (or at `instant`), in the zone in force then."""
    return local_today_in(patient_zone_periods(patient), instant or timezone.now())

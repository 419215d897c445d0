"""The zone-period rule read two ways gives the same periods: per patient from model instances
(the screens) and for many patients at once from rows (the worker's cohort-wide jobs)."""

from datetime import UTC, date, datetime

import pytest

from backend.accounts.models import PatientTimeZoneChange
from backend.accounts.selectors import (
    patient_time_zone_at,
    patient_zone_periods,
    time_zone_in_force,
    zone_periods_of_patients,
)
from tests.factories.accounts import activated_patient

pytestmark = pytest.mark.django_db


def test_many_patients_at_once_match_one_at_a_time(care_team) -> None:
    stayed = activated_patient(care_team=care_team, time_zone="Europe/Madrid")
    moved = activated_patient(care_team=care_team, time_zone="Asia/Tokyo")
    # Made out of date order, with two on one day: the later-made change wins that day.
    for effective, previous, zone in [
        (date(2026, 5, 1), "America/New_York", "Europe/London"),
        (date(2026, 3, 1), "Europe/Madrid", "America/New_York"),
        (date(2026, 5, 1), "Europe/London", "Asia/Tokyo"),
    ]:
        PatientTimeZoneChange.objects.create(
            patient=moved, previous_time_zone=previous, time_zone=zone, effective_date=effective
        )
    stayed.refresh_from_db()
    moved.refresh_from_db()

    many = zone_periods_of_patients({stayed.pk: stayed.time_zone, moved.pk: moved.time_zone})

    assert many[stayed.pk] == patient_zone_periods(stayed) == [(date.min, "Europe/Madrid")]
    assert many[moved.pk] == patient_zone_periods(moved)
    assert [zone for _, zone in many[moved.pk]] == [
        "Europe/Madrid",
        "America/New_York",
        "Europe/London",
        "Asia/Tokyo",
    ]
    # 2 May 2026 at noon UTC: the last change of 1 May is in force.
    instant = datetime(2026, 5, 2, 12, tzinfo=UTC)
    assert time_zone_in_force(many[moved.pk], instant) == patient_time_zone_at(moved, instant)
    assert patient_time_zone_at(moved, instant) == "Asia/Tokyo"

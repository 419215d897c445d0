"""Shared fixtures for the lab tests: a running clock in May 2026, a 400 mg plan, helpers."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories.accounts import StaffFactory
from tests.factories.clients import client_for
from tests.factories.plans import HIGH_RISK_CASE

# 10:00 UTC, 12:00 in Madrid (the patients' zone): the same calendar day on both.
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
TODAY = "2026-05-20"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW):  # ticking: rows recorded one after another keep their order
        yield


@pytest.fixture
def plan(nurse, patient) -> dict[str, Any]:
    """An active 400 mg once-daily plan (adjuvant, high risk) started in January."""
    response = client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plans/",
        {"case": {**HIGH_RISK_CASE, "start_date": "2026-01-05"}, "dose_times": ["08:00"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["dose_mg_per_day"] == 400
    return response.json()


@pytest.fixture
def nurse_client(nurse) -> APIClient:
    return client_for(nurse)


@pytest.fixture
def second_nurse(care_team):
    return StaffFactory(role="nurse", care_teams=[care_team])


@pytest.fixture
def other_team_nurse(other_care_team):
    return StaffFactory(role="nurse", care_teams=[other_care_team])


def labs_url(patient: Any) -> str:
    return f"/api/v1/patients/{getattr(patient, 'pk', patient)}/labs/"


def fhir_url(patient: Any) -> str:
    return f"/api/v1/patients/{getattr(patient, 'pk', patient)}/fhir/Observation"


def liver_panel(
    taken_on: str, *, alt: float = 30, ast: float = 25, bilirubin: float = 10
) -> dict[str, Any]:
    """ALT and AST with ULN 40 U/L, bilirubin in µmol/L with ULN 20."""
    return {
        "taken_on": taken_on,
        "results": [
            {"test": "alt", "value": alt, "unit": "U/L", "upper_limit_of_normal": 40},
            {"test": "ast", "value": ast, "unit": "U/L", "upper_limit_of_normal": 40},
            {
                "test": "bilirubin_total",
                "value": bilirubin,
                "unit": "µmol/L",
                "upper_limit_of_normal": 20,
            },
        ],
    }


def blood_count(taken_on: str, *, anc: float = 3.0, platelets: float = 200) -> dict[str, Any]:
    return {
        "taken_on": taken_on,
        "results": [
            {"test": "anc", "value": anc, "unit": "10^9/L"},
            {"test": "platelets", "value": platelets, "unit": "10^9/L"},
        ],
    }

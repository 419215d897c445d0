"""/api/v1/me/supply/ and /api/v1/patients/<id>/supply/: the patient records and reads their
tablets on hand; their care team does the same for a visible patient (another team's patient
is a 404); other roles, a caregiver included, are refused; bad counts are a 400 naming the
field; a resend with the same client_id is stored once."""

import uuid

import pytest
import time_machine
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.refills.models import TabletSupply
from tests.caregivers.helpers import caregiver_of
from tests.factories.clients import client_for
from tests.factories.plans import HIGH_RISK_CASE, TreatmentPlanFactory
from tests.refills.helpers import plan_600mg

pytestmark = pytest.mark.django_db

NOW = "2026-03-05 07:00:00+01:00"


@pytest.fixture
def plans(nurse, patient, foreign_patient):
    for someone in (patient, foreign_patient):
        plan_600mg(nurse, someone)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def body(**counts: int) -> dict:
    return {"client_id": str(uuid.uuid4()), "counts": {k[1:]: v for k, v in counts.items()}}


def test_patient_records_and_reads_their_supply(patient, plans):
    phone = client_for(patient.user)
    empty = phone.get("/api/v1/me/supply/").json()
    assert empty["counted_at"] is None and empty["days_left"] is None
    assert empty["tablets_per_dose"] == [
        {"strength_mg": 400, "count": 1},
        {"strength_mg": 100, "count": 2},
    ]

    sent = body(_100=13, _400=40)
    first = phone.post("/api/v1/me/supply/", sent, format="json")
    again = phone.post("/api/v1/me/supply/", sent, format="json")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert TabletSupply.objects.count() == 1
    data = phone.get("/api/v1/me/supply/").json()
    assert data["counts"] == {"100": 13, "400": 40}
    assert data["counted_by"] == "patient"
    assert data["days_left"] == 6
    assert data["running_low"] is True
    assert data["reminder_days"] == 7
    assert {s["strength_mg"]: s["left"] for s in data["strengths"]} == {100: 13, 400: 40}


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({"100": -2, "400": 1}, "counts.100"),
        ({"100": 1, "400": 1, "200": 1}, "counts.200"),
        ({"100": 1}, "counts.400"),
        ({"100": True, "400": 1}, "counts.100"),
    ],
)
def test_bad_counts_are_a_400_naming_the_field(patient, plans, counts, field):
    response = client_for(patient.user).post(
        "/api/v1/me/supply/", {"counts": counts}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_strength_not_on_the_plan_is_a_400(nurse, patient):
    with time_machine.travel("2026-03-01 07:00:00+01:00", tick=False):
        TreatmentPlanFactory.create(
            patient=patient, created_by=nurse, case=HIGH_RISK_CASE, start_date="2026-03-01"
        )
    response = client_for(patient.user).post(
        "/api/v1/me/supply/", {"counts": {"100": 3, "400": 3}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "counts.100"


def test_unknown_fields_are_refused(patient, plans):
    response = client_for(patient.user).post(
        "/api/v1/me/supply/", {"counts": {"100": 3, "400": 3}, "left": 9}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "left"


def test_nurse_records_and_reads_a_visible_patients_supply_audited(nurse, patient, plans):
    staff = client_for(nurse)
    url = f"/api/v1/patients/{patient.pk}/supply/"

    response = staff.post(url, body(_100=30, _400=30), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["counted_by"] == "nurse"
    assert staff.get(url).json()["days_left"] == 15
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert {"supply.record", "supply.view"} <= actions


def test_another_teams_patient_is_a_404(nurse, foreign_patient, plans):
    staff = client_for(nurse)
    url = f"/api/v1/patients/{foreign_patient.pk}/supply/"
    assert staff.get(url).status_code == 404
    assert staff.post(url, body(_100=1, _400=1), format="json").status_code == 404
    assert not TabletSupply.objects.exists()


def test_roles_other_than_the_right_ones_are_refused(patient, foreign_patient, coordinator, plans):
    phone = client_for(patient.user)
    # A patient cannot reach another patient's supply (nor their own through the staff URL).
    assert phone.get(f"/api/v1/patients/{foreign_patient.pk}/supply/").status_code == 403
    assert phone.get(f"/api/v1/patients/{patient.pk}/supply/").status_code == 403
    # Staff have no /me/supply/.
    assert client_for(coordinator).get("/api/v1/me/supply/").status_code == 403
    # A coordinator may read a team patient's supply but not record a count.
    desk = client_for(coordinator)
    url = f"/api/v1/patients/{patient.pk}/supply/"
    assert desk.get(url).status_code == 200
    assert desk.post(url, body(_100=1, _400=1), format="json").status_code == 403
    # Signed out: refused.
    assert APIClient().get("/api/v1/me/supply/").status_code in (401, 403)


def test_a_caregiver_reaches_no_supply_not_even_their_patients(patient, plans):
    carer = client_for(caregiver_of(patient))
    count = body(_100=1, _400=1)
    for url in ("/api/v1/me/supply/", f"/api/v1/patients/{patient.pk}/supply/"):
        assert carer.get(url).status_code == 403, url
        assert carer.post(url, count, format="json").status_code == 403, url
    assert not TabletSupply.objects.exists()

"""Each role against its own and a foreign patient: own is visible, foreign is a 404."""

import pytest

from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db


def detail_url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/"


@pytest.mark.parametrize("role_fixture", ["nurse", "coordinator"])
def test_care_team_staff_see_their_teams_patient(request, role_fixture, patient):
    client = client_for(request.getfixturevalue(role_fixture))
    response = client.get(detail_url(patient))
    assert response.status_code == 200
    assert response.json()["id"] == str(patient.pk)
    assert response.json()["medical_record_number"] == patient.medical_record_number


@pytest.mark.parametrize("role_fixture", ["nurse", "coordinator"])
def test_care_team_staff_get_404_for_another_teams_patient(request, role_fixture, foreign_patient):
    client = client_for(request.getfixturevalue(role_fixture))
    response = client.get(detail_url(foreign_patient))
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "errors": []}


@pytest.mark.parametrize("role_fixture", ["nurse", "coordinator"])
def test_care_team_staff_list_only_their_teams_patients(
    request, role_fixture, patient, foreign_patient
):
    client = client_for(request.getfixturevalue(role_fixture))
    body = client.get("/api/v1/patients/").json()
    assert [row["id"] for row in body["results"]] == [str(patient.pk)]
    assert body["count"] == 1


def test_admin_sees_every_patient(admin_user, patient, foreign_patient):
    client = client_for(admin_user)
    assert client.get(detail_url(patient)).status_code == 200
    assert client.get(detail_url(foreign_patient)).status_code == 200
    ids = {row["id"] for row in client.get("/api/v1/patients/").json()["results"]}
    assert ids == {str(patient.pk), str(foreign_patient.pk)}


def test_patient_sees_only_self(patient, foreign_patient, care_team):
    from tests.factories.accounts import activated_patient

    teammate = activated_patient(care_team=care_team)
    client = client_for(patient.user)
    assert client.get(detail_url(patient)).status_code == 200
    assert client.get(detail_url(teammate)).status_code == 404
    assert client.get(detail_url(foreign_patient)).status_code == 404
    ids = [row["id"] for row in client.get("/api/v1/patients/").json()["results"]]
    assert ids == [str(patient.pk)]


def test_staff_in_two_teams_see_both(nurse, other_care_team, patient, foreign_patient):
    from backend.accounts.services import care_team_member_add

    care_team_member_add(care_team=other_care_team, user=nurse)
    ids = {row["id"] for row in client_for(nurse).get("/api/v1/patients/").json()["results"]}
    assert ids == {str(patient.pk), str(foreign_patient.pk)}


def test_anonymous_gets_401(api_client, patient):
    assert api_client.get("/api/v1/patients/").status_code == 401
    assert api_client.get(detail_url(patient)).status_code == 401


def test_unknown_and_malformed_ids_are_404(nurse):
    client = client_for(nurse)
    assert client.get("/api/v1/patients/00000000-0000-0000-0000-000000000000/").status_code == 404
    response = client.get("/api/v1/patients/not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_deactivated_staff_see_nothing(nurse, patient):
    from backend.accounts.selectors import patients_visible_to

    nurse.is_active = False
    assert not patients_visible_to(nurse).exists()

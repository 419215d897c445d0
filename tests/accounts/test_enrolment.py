"""POST /api/v1/patients/: staff enrol a patient into their own care team."""

import pytest

from backend.accounts.models import Patient, PatientInvitation
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db

VALID = {
    "display_name": "María López",
    "medical_record_number": "H-123456",
    "time_zone": "Europe/Madrid",
    "language": "es",
}


@pytest.mark.parametrize("role_fixture", ["nurse", "coordinator"])
def test_staff_enrol_patient_in_their_team(request, role_fixture, care_team):
    response = client_for(request.getfixturevalue(role_fixture)).post("/api/v1/patients/", VALID)
    assert response.status_code == 201, response.json()
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert patient.care_team == care_team
    assert body["care_team"] == {"id": care_team.pk, "name": care_team.name}
    assert body["activated"] is False
    code = body["invitation_code"]
    assert len(code.replace("-", "")) == 12
    invitation = PatientInvitation.objects.get(patient=patient)
    assert code not in invitation.code_hash  # stored hashed, never in clear
    assert invitation.used_at is None


def test_invitation_expires_after_14_days(nurse):
    import time_machine
    from django.utils import timezone

    with time_machine.travel("2026-11-23 10:00:00+00:00", tick=False):
        response = client_for(nurse).post("/api/v1/patients/", VALID)
        invitation = PatientInvitation.objects.get(patient_id=response.json()["id"])
        assert (invitation.expires_at - timezone.now()).days == 14
    assert response.json()["invitation_expires_in_days"] == 14


def test_patient_cannot_enrol(patient):
    response = client_for(patient.user).post("/api/v1/patients/", VALID)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_cannot_enrol(api_client):
    assert api_client.post("/api/v1/patients/", VALID, format="json").status_code == 401


@pytest.mark.parametrize(
    ("field", "value", "reason_part"),
    [
        ("time_zone", "Mars/Olympus", "IANA"),
        ("time_zone", "CEST", "IANA"),
        ("time_zone", "../../etc/passwd", "IANA"),
        ("language", "xx", "supported"),
        ("display_name", "", "blank"),
        ("medical_record_number", "", "blank"),
        ("display_name", ["a list"], "valid string"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(nurse, field, value, reason_part):
    response = client_for(nurse).post("/api/v1/patients/", {**VALID, field: value}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert reason_part in errors[0]["reason"]
    assert not Patient.objects.exists()


def test_missing_required_field_is_400(nurse):
    body = {k: v for k, v in VALID.items() if k != "time_zone"}
    response = client_for(nurse).post("/api/v1/patients/", body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "time_zone", "reason": "This field is required."}
    ]


def test_unknown_field_is_refused_not_dropped(nurse):
    response = client_for(nurse).post("/api/v1/patients/", {**VALID, "date_of_birth": "1960-01-01"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date_of_birth"


def test_medical_record_number_unique_per_care_team(nurse, care_team, other_care_team):
    client = client_for(nurse)
    assert client.post("/api/v1/patients/", VALID).status_code == 201
    again = client.post("/api/v1/patients/", {**VALID, "display_name": "Someone else"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "medical_record_number"
    assert Patient.objects.count() == 1
    # The same number in another team is another hospital's numbering: allowed.
    from tests.factories.accounts import StaffFactory

    other_nurse = StaffFactory(role="nurse", care_teams=[other_care_team])
    assert client_for(other_nurse).post("/api/v1/patients/", VALID).status_code == 201


def test_care_team_required_when_staff_in_several(nurse, care_team, other_care_team):
    from backend.accounts.services import care_team_member_add

    care_team_member_add(care_team=other_care_team, user=nurse)
    client = client_for(nurse)
    response = client.post("/api/v1/patients/", VALID)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "care_team"
    chosen = client.post("/api/v1/patients/", {**VALID, "care_team": other_care_team.pk})
    assert chosen.status_code == 201
    assert chosen.json()["care_team"]["id"] == other_care_team.pk


def test_cannot_enrol_into_another_team(nurse, other_care_team):
    response = client_for(nurse).post(
        "/api/v1/patients/", {**VALID, "care_team": other_care_team.pk}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "care_team",
        "reason": "Not one of your care teams.",
    }
    assert not Patient.objects.exists()


def test_admin_must_name_the_team_when_several_exist(admin_user, care_team, other_care_team):
    client = client_for(admin_user)
    assert client.post("/api/v1/patients/", VALID).status_code == 400
    response = client.post("/api/v1/patients/", {**VALID, "care_team": other_care_team.pk})
    assert response.status_code == 201

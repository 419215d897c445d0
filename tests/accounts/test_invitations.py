"""The invitation life cycle: activate once, before expiry, with a strong password."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.accounts.models import Patient
from backend.accounts.services import patient_invitation_issue

pytestmark = pytest.mark.django_db

STRONG = "saffron-lantern-47-quiet"


@pytest.fixture
def invitation(unactivated_patient, nurse):
    return unactivated_patient, patient_invitation_issue(
        patient=unactivated_patient, issued_by=nurse
    )


def activate(client, code, password=STRONG, **extra):
    return client.post(
        "/api/v1/auth/activate/", {"invitation_code": code, "password": password, **extra}
    )


def test_activation_creates_account_and_working_token(api_client, invitation):
    patient, code = invitation
    response = activate(api_client, code, username="maria.l")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["role"] == "patient"
    assert body["user"]["username"] == "maria.l"
    assert body["user"]["patient_id"] == str(patient.pk)
    patient.refresh_from_db()
    assert patient.user is not None and patient.user.check_password(STRONG)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    me = api_client.get(f"/api/v1/patients/{patient.pk}/")
    assert me.status_code == 200 and me.json()["activated"] is True


def test_code_is_accepted_without_dashes_and_in_lower_case(api_client, invitation):
    _, code = invitation
    assert activate(api_client, code.replace("-", "").lower()).status_code == 201


def test_username_is_made_up_when_not_chosen(api_client, invitation):
    _, code = invitation
    username = activate(api_client, code).json()["user"]["username"]
    assert username.startswith("patient-")


def test_reused_code_is_refused(api_client, invitation):
    _, code = invitation
    assert activate(api_client, code).status_code == 201
    again = activate(api_client, code, password="another-strong-pass-99")
    assert again.status_code == 400
    assert again.json()["errors"] == [
        {
            "field": "invitation_code",
            "reason": "This invitation code has already been used. Sign in instead.",
        }
    ]


def test_expired_code_is_refused(api_client, invitation):
    patient, code = invitation
    with time_machine.travel(timezone.now() + timedelta(days=14, seconds=1)):
        response = activate(api_client, code)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "invitation_code"
    assert "expired" in response.json()["errors"][0]["reason"]
    patient.refresh_from_db()
    assert patient.user is None


def test_code_still_valid_just_before_expiry(api_client, invitation):
    _, code = invitation
    with time_machine.travel(timezone.now() + timedelta(days=13, hours=23)):
        assert activate(api_client, code).status_code == 201


def test_wrong_code_is_refused(api_client, invitation):
    response = activate(api_client, "AAAA-BBBB-CCCC")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "invitation_code", "reason": "This invitation code is not recognised."}
    ]


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901", "mar\u00eda.l\u00f3pez"])
def test_weak_password_is_refused_and_code_stays_usable(api_client, invitation, weak):
    patient, code = invitation
    response = activate(api_client, code, password=weak, username="maria.lopez")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    patient.refresh_from_db()
    assert patient.user is None
    assert activate(api_client, code).status_code == 201


def test_reissued_code_replaces_the_old_one(api_client, invitation, nurse):
    patient, old_code = invitation
    new_code = patient_invitation_issue(patient=patient, issued_by=nurse)
    assert activate(api_client, old_code).status_code == 400
    assert activate(api_client, new_code).status_code == 201


def test_taken_username_is_refused(api_client, invitation, nurse):
    _, code = invitation
    response = activate(api_client, code, username=nurse.username.upper())
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "username"
    assert Patient.objects.get().user is None


def test_missing_fields_are_named(api_client):
    response = api_client.post("/api/v1/auth/activate/", {}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"invitation_code", "password"}


# ---------------------------------------------------------------- a new code after activation


def issue_through_api(user, patient):
    from tests.factories.clients import client_for

    return client_for(user).post(f"/api/v1/patients/{patient.pk}/invitation/")


def test_staff_issue_a_new_code_through_the_api(
    api_client, invitation, nurse, patient, foreign_patient
):
    unactivated, old_code = invitation
    response = issue_through_api(nurse, unactivated)
    assert response.status_code == 201, response.json()
    assert response.json()["invitation_expires_in_days"] >= 1
    assert activate(api_client, old_code).status_code == 400  # the earlier code stopped
    assert activate(api_client, response.json()["invitation_code"]).status_code == 201
    assert issue_through_api(nurse, foreign_patient).status_code == 404  # another team's
    assert issue_through_api(patient.user, patient).status_code == 403  # patients cannot


def test_a_new_code_signs_an_activated_patient_out_and_sets_a_new_password(
    api_client, patient, nurse
):
    from knox.models import AuthToken

    from backend.audit.models import AuditEvent
    from tests.factories.accounts import TEST_PASSWORD
    from tests.factories.clients import client_for

    phone = client_for(patient.user)
    assert phone.get("/api/v1/me/").status_code == 200
    user_before = patient.user
    code = issue_through_api(nurse, patient).json()["invitation_code"]
    assert phone.get("/api/v1/me/").status_code == 401  # every token ended at once
    assert not AuthToken.objects.filter(user=user_before).exists()
    revoked = AuditEvent.objects.get(action="auth.access_revoked")
    assert revoked.detail["reason"] == "new_invitation" and revoked.actor == nurse

    response = activate(api_client, code, password=STRONG)
    assert response.status_code == 201, response.json()
    patient.refresh_from_db()
    assert patient.user_id == user_before.pk  # the same account: history kept
    assert response.json()["user"]["username"] == user_before.username
    assert patient.user.check_password(STRONG)
    assert not patient.user.check_password(TEST_PASSWORD)
    assert AuditEvent.objects.filter(action="patient.reactivate", patient=patient).exists()
    assert activate(api_client, code, password=STRONG).status_code == 400  # once only


def test_reactivation_may_choose_a_new_username_but_not_a_taken_one(api_client, patient, nurse):
    code = issue_through_api(nurse, patient).json()["invitation_code"]
    taken = activate(api_client, code, username=nurse.username)
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "username"
    renamed = activate(api_client, code, username="lucia.f")
    assert renamed.status_code == 201
    patient.refresh_from_db()
    assert patient.user.username == "lucia.f"

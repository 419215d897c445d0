"""A patient invites a caregiver with a one-time code (hashed, single use, expiring, at most
CAREGIVERS_PER_PATIENT_MAX), the family member accepts it with an account of their own, and
the patient lists and removes them, effective at once."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from backend.accounts.api import AuthThrottle
from backend.accounts.models import User
from backend.accounts.services import invitation_code_hash
from backend.audit.models import AuditEvent
from backend.caregivers.models import CaregiverInvitation, CaregiverLink
from backend.notifications.models import NotificationPreference
from tests.caregivers.helpers import STRONG, accept, bearer, caregiver_of, invite
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db


def test_invite_returns_a_code_shown_once_and_stores_only_its_hash(patient):
    response = client_for(patient.user).post(
        "/api/v1/me/caregivers/invitation/", {"patient_name": "Mum"}
    )
    assert response.status_code == 201
    body = response.json()
    code = body["invitation_code"]
    assert len(code.replace("-", "")) == 12
    assert body["expires_in_hours"] == settings.CAREGIVER_INVITATION_VALID_HOURS == 48
    assert body["patient_name"] == "Mum" and body["show_medication_name"] is False
    stored = CaregiverInvitation.objects.get(patient=patient)
    assert stored.code_hash == invitation_code_hash(code) and code not in stored.code_hash
    assert stored.expires_at - timezone.now() == pytest.approx(
        timedelta(hours=48), abs=timedelta(seconds=5)
    )
    assert AuditEvent.objects.filter(action="caregiver.invite", patient=patient).exists()


def test_patient_name_defaults_to_the_first_word_of_the_patients_name(patient):
    patient.display_name = "Ana García"
    patient.save()
    response = client_for(patient.user).post("/api/v1/me/caregivers/invitation/", {})
    assert response.json()["patient_name"] == "Ana"


def test_accept_creates_a_caregiver_account_linked_to_that_patient_only(patient):
    response = accept(invite(patient, patient_name="Mum"), language="es")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["role"] == "caregiver"
    assert body["user"]["patient_id"] is None and body["user"]["care_team"] is None
    user = User.objects.get(username="ana-daughter")
    assert user.role == "caregiver" and not user.is_staff and not user.is_superuser
    link = CaregiverLink.objects.get(user=user)
    assert link.patient == patient and link.display_name == "Lucía"
    assert link.patient_name == "Mum" and not link.show_medication_name
    assert NotificationPreference.objects.get(user=user).language == "es"
    # The token works for the caregiver's own view.
    patients = bearer(body["token"]).get("/api/v1/caregiver/patients/")
    assert patients.json() == [{"patient_id": str(patient.pk), "patient_name": "Mum"}]


def test_a_code_works_once(patient):
    code = invite(patient)
    assert accept(code, username="first").status_code == 201
    again = accept(code, username="second")
    assert again.status_code == 400
    assert again.json()["errors"][0]["field"] == "invitation_code"
    assert "already been used" in again.json()["errors"][0]["reason"]
    assert not User.objects.filter(username="second").exists()


def test_an_expired_code_is_refused_and_one_just_before_works(patient):
    code = invite(patient)
    later = timezone.now() + timedelta(hours=48, seconds=1)
    with time_machine.travel(later, tick=False):
        expired = accept(code)
    assert expired.status_code == 400
    assert "expired" in expired.json()["errors"][0]["reason"]
    with time_machine.travel(later - timedelta(seconds=30), tick=False):
        assert accept(code).status_code == 201


def test_a_wrong_code_is_refused_naming_the_field(patient):
    invite(patient)
    response = accept("AAAA-BBBB-CCCC")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "invitation_code"


def test_a_new_code_replaces_the_unused_one(patient):
    first = invite(patient)
    second = invite(patient)
    assert accept(first, username="first").status_code == 400
    assert accept(second, username="second").status_code == 201


def test_code_accepted_without_dashes_and_in_lower_case(patient):
    code = invite(patient)
    assert accept(code.replace("-", "").lower()).status_code == 201


@pytest.mark.parametrize("weak", ["short", "password123", "12345678901"])
def test_password_rules_are_the_patients_and_the_code_stays_usable(patient, weak):
    code = invite(patient)
    response = accept(code, password=weak)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert accept(code).status_code == 201


def test_taken_username_and_missing_fields_are_named(patient):
    code = invite(patient)
    taken = accept(code, username=patient.user.username)
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "username"
    missing = accept(code, display_name="   ")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "display_name"
    bad_language = accept(code, language="xx")
    assert bad_language.json()["errors"][0]["field"] == "language"


def test_wrong_codes_are_throttled_per_address_like_a_patients_activation(patient, monkeypatch):
    """The same per-address limit (AuthThrottle, AUTH_THROTTLE_RATE) as auth/activate/, which
    shares its budget: guessing codes on one endpoint cannot continue on the other."""
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "3/min"})
    code = invite(patient)
    statuses = [accept(f"AAAA-BBBB-CCC{i}").status_code for i in range(3)]
    assert statuses == [400, 400, 400]
    assert accept(code).status_code == 429  # even the right code, until the minute passes
    activation = bearer("").post(
        "/api/v1/auth/activate/", {"invitation_code": "X", "password": STRONG}
    )
    assert activation.status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert accept(code).status_code == 201


@override_settings(CAREGIVERS_PER_PATIENT_MAX=2)
def test_at_most_the_limit_of_caregivers(patient):
    caregiver_of(patient, username="one")
    caregiver_of(patient, username="two")
    refused = client_for(patient.user).post("/api/v1/me/caregivers/invitation/", {})
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {"field": "caregivers", "reason": "At most 2 caregivers: remove one first."}
    ]
    # After a removal there is room again.
    link = CaregiverLink.objects.get(user__username="one")
    assert client_for(patient.user).delete(f"/api/v1/me/caregivers/{link.pk}/").status_code == 204
    assert accept(invite(patient), username="three").status_code == 201


def test_the_limit_is_checked_again_at_acceptance(patient):
    with override_settings(CAREGIVERS_PER_PATIENT_MAX=2):
        caregiver_of(patient, username="one")
        code = invite(patient)
    with override_settings(CAREGIVERS_PER_PATIENT_MAX=1):
        refused = accept(code, username="two")
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "caregivers"
    assert not User.objects.filter(username="two").exists()


def test_list_shows_the_name_they_chose_and_since_when(patient):
    caregiver_of(patient)
    body = client_for(patient.user).get("/api/v1/me/caregivers/").json()
    assert body["limit"] == 3 and body["alert_after_minutes"] == 120
    assert body["invitation_valid_hours"] == 48
    listed = body["caregivers"]
    assert len(listed) == 1
    assert listed[0]["display_name"] == "Lucía"
    assert set(listed[0]) == {"id", "display_name", "since", "show_medication_name"}


def test_removal_ends_the_caregivers_tokens_and_view_at_once(patient):
    code = invite(patient)
    token = accept(code).json()["token"]
    caregiver = bearer(token)
    today = f"/api/v1/caregiver/patients/{patient.pk}/today/"
    assert caregiver.get(today).status_code == 200
    link = CaregiverLink.objects.get(patient=patient)
    assert client_for(patient.user).delete(f"/api/v1/me/caregivers/{link.pk}/").status_code == 204
    assert caregiver.get(today).status_code == 401  # the token is gone
    # Signing in again works (their own account) but the patient's view is gone.
    again = bearer("").post("/api/v1/auth/login/", {"username": "ana-daughter", "password": STRONG})
    fresh = bearer(again.json()["token"])
    assert fresh.get(today).status_code == 404
    assert fresh.get("/api/v1/caregiver/patients/").json() == []
    assert client_for(patient.user).get("/api/v1/me/caregivers/").json()["caregivers"] == []
    # Removing again, or another patient's caregiver, is a 404.
    assert client_for(patient.user).delete(f"/api/v1/me/caregivers/{link.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="caregiver.remove", patient=patient).exists()


def test_a_patient_cannot_remove_another_patients_caregiver(patient, foreign_patient):
    caregiver_of(foreign_patient)
    link = CaregiverLink.objects.get(patient=foreign_patient)
    response = client_for(patient.user).delete(f"/api/v1/me/caregivers/{link.pk}/")
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.removed_at is None

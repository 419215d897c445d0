"""Sign-in, lockout, and revocation of per-device bearer tokens."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken

from backend.accounts.services import user_deactivate
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def login(client, username, password=TEST_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_returns_a_token_that_works(api_client, patient):
    response = login(api_client, patient.user.username)
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {
        "id": patient.user.pk,
        "username": patient.user.username,
        "role": "patient",
        "patient_id": str(patient.pk),
        # What the app shows after a red flag, also offline.
        "care_team": {
            "name": patient.care_team.name,
            "phone": patient.care_team.phone,
            "hours": patient.care_team.hours,
            "emergency_number": patient.care_team.emergency_number,
        },
    }
    assert bearer(api_client, body["token"]).get("/api/v1/me/").status_code == 200


def test_each_device_gets_its_own_token(api_client, patient):
    first = login(api_client, patient.user.username).json()["token"]
    second = login(api_client, patient.user.username).json()["token"]
    assert first != second
    assert AuthToken.objects.filter(user=patient.user).count() == 2


def test_wrong_password_and_unknown_user_get_the_same_answer(api_client, patient):
    wrong = login(api_client, patient.user.username, "not-the-password")
    unknown = login(api_client, "nobody-by-this-name", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_inactive_user_gets_the_same_answer_as_a_wrong_password(api_client, patient):
    user_deactivate(user=patient.user)
    response = login(api_client, patient.user.username)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_lockout_after_five_failures_even_with_the_right_password(api_client, patient):
    for _ in range(4):
        assert login(api_client, patient.user.username, "wrong-guess").status_code == 400
    # The fifth failure is answered with the lockout itself.
    assert login(api_client, patient.user.username, "wrong-guess").status_code == 429
    locked = login(api_client, patient.user.username)
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "token" not in locked.json()


def test_lockout_does_not_reveal_whether_the_username_exists(api_client, patient):
    for username in (patient.user.username, "ghost-user"):
        for _ in range(5):
            login(api_client, username, "wrong-guess")
    real = login(api_client, patient.user.username, "wrong-guess")
    ghost = login(api_client, "ghost-user", "wrong-guess")
    assert real.status_code == ghost.status_code == 429
    assert real.json() == ghost.json()


def test_lockout_ends_after_the_cool_off(api_client, patient):
    for _ in range(5):
        login(api_client, patient.user.username, "wrong-guess")
    assert login(api_client, patient.user.username).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert login(api_client, patient.user.username).status_code == 200


def test_lockout_is_per_account_and_source(api_client, patient, nurse):
    for _ in range(5):
        login(api_client, patient.user.username, "wrong-guess")
    assert login(api_client, nurse.username).status_code == 200


def test_logout_revokes_only_this_devices_token(api_client, patient):
    from rest_framework.test import APIClient

    phone = login(api_client, patient.user.username).json()["token"]
    tablet = login(api_client, patient.user.username).json()["token"]
    assert bearer(APIClient(), phone).post("/api/v1/auth/logout/").status_code == 204
    assert bearer(APIClient(), phone).get("/api/v1/me/").status_code == 401
    assert bearer(APIClient(), tablet).get("/api/v1/me/").status_code == 200


def test_logout_everywhere_revokes_every_token(api_client, patient):
    from rest_framework.test import APIClient

    tokens = [login(api_client, patient.user.username).json()["token"] for _ in range(3)]
    assert bearer(APIClient(), tokens[0]).post("/api/v1/auth/logout-everywhere/").status_code == 204
    for token in tokens:
        assert bearer(APIClient(), token).get("/api/v1/me/").status_code == 401


def test_deactivation_ends_every_token_at_once(api_client, patient):
    from rest_framework.test import APIClient

    tokens = [login(api_client, patient.user.username).json()["token"] for _ in range(2)]
    user_deactivate(user=patient.user)
    assert not AuthToken.objects.filter(user=patient.user).exists()
    for token in tokens:
        response = bearer(APIClient(), token).get("/api/v1/me/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"


def test_deactivation_in_the_admin_ends_tokens(api_client, patient, admin_user):
    from django.test import Client

    token = login(api_client, patient.user.username).json()["token"]
    browser = Client()
    browser.force_login(admin_user)
    user = patient.user
    response = browser.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "role": "patient",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            # is_active left out: unchecked
        },
    )
    assert response.status_code == 302, response.content[:500]
    user.refresh_from_db()
    assert user.is_active is False
    from rest_framework.test import APIClient

    assert bearer(APIClient(), token).get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_expired_token_is_refused(api_client, patient):
    token = login(api_client, patient.user.username).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert bearer(api_client, token).get("/api/v1/me/").status_code == 401


def test_oldest_token_dropped_past_the_per_user_limit(api_client, patient, settings):
    from rest_framework.test import APIClient

    settings.AUTH_TOKENS_PER_USER = 2
    tokens = []
    for minute in range(3):
        with time_machine.travel(timezone.now() + timedelta(minutes=minute)):
            tokens.append(login(api_client, patient.user.username).json()["token"])
    assert bearer(APIClient(), tokens[0]).get("/api/v1/me/").status_code == 401
    assert bearer(APIClient(), tokens[2]).get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer nonsense-token", "Bearer \u00e9\u00e8\u00e0"],
)
def test_malformed_tokens_are_401_not_500(api_client, header):
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_staff_may_use_session_with_csrf(nurse, patient):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(nurse)
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    refused = client.post("/api/v1/patients/", {"display_name": "X"}, format="json")
    assert refused.status_code == 403  # no CSRF token
    assert "CSRF" in refused.json()["detail"]

"""What the caregiver tests share: a patient's invitation and a caregiver's acceptance through
the API, as the app does them."""

from typing import Any

from rest_framework.test import APIClient

from backend.accounts.models import Patient, User
from tests.factories.clients import client_for

STRONG = "saffron-lantern-47-quiet"


def invite(patient: Patient, **body: Any) -> str:
    assert patient.user is not None
    response = client_for(patient.user).post("/api/v1/me/caregivers/invitation/", body)
    assert response.status_code == 201, response.content
    return response.json()["invitation_code"]


def accept(code: str, username: str = "ana-daughter", **extra: Any):
    body = {
        "invitation_code": code,
        "username": username,
        "password": STRONG,
        "display_name": "Lucía",
        **extra,
    }
    return APIClient().post("/api/v1/caregiver/accept/", body, format="json")


def caregiver_of(patient: Patient, username: str = "ana-daughter", **invite_body: Any) -> User:
    response = accept(invite(patient, **invite_body), username=username)
    assert response.status_code == 201, response.content
    return User.objects.get(username=username)


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client

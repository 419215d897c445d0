"""Bad requests get a JSON 4xx naming the field and the reason, never a 500."""

import json

import pytest

from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db

ENROL = "/api/v1/patients/"


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"code", "detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    for error in body["errors"]:
        assert set(error) == {"field", "reason"}


def test_malformed_json_is_400(nurse):
    response = client_for(nurse).post(
        ENROL, data='{"display_name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert_error_shape(response.json())


def test_nan_is_not_json(nurse):
    response = client_for(nurse).post(
        ENROL, data='{"care_team": NaN}', content_type="application/json"
    )
    assert response.status_code == 400


def test_wrong_content_type_is_415(nurse):
    response = client_for(nurse).post(
        ENROL, data="display_name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert_error_shape(response.json())


def test_body_over_one_megabyte_is_413(nurse):
    huge = json.dumps({"display_name": "x" * (1024 * 1024)})
    response = client_for(nurse).post(ENROL, data=huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"] == [
        {"field": "body", "reason": "Request body is larger than 1048576 bytes."}
    ]


def test_body_just_under_the_limit_is_parsed(nurse):
    body = json.dumps({"display_name": "x" * (1024 * 1024 - 100)})
    response = client_for(nurse).post(ENROL, data=body, content_type="application/json")
    assert response.status_code == 400  # parsed, then refused for the field's own length
    assert response.json()["errors"][0]["field"] == "display_name"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"display_name": {"nested": 1}}, "display_name"),
        ({"display_name": True}, "display_name"),
        ({"care_team": "two"}, "care_team"),
        ({"care_team": [1]}, "care_team"),
        ({"care_team": 1.5}, "care_team"),
        ({"care_team": -3}, "care_team"),
        ({"time_zone": None}, "time_zone"),
    ],
)
def test_wrong_field_types_are_400_naming_the_field(nurse, payload, field):
    valid = {
        "display_name": "A",
        "medical_record_number": "1",
        "time_zone": "UTC",
    }
    response = client_for(nurse).post(ENROL, {**valid, **payload}, format="json")
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]
    assert_error_shape(response.json())


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "42", "null"])
def test_non_object_bodies_are_400(nurse, body):
    response = client_for(nurse).post(ENROL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json())


def test_unknown_api_path_is_json_404(nurse):
    response = client_for(nurse).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_405(nurse, patient):
    response = client_for(nurse).delete(f"/api/v1/patients/{patient.pk}/")
    assert response.status_code == 405
    assert_error_shape(response.json())


def test_login_with_wrong_types_is_400(api_client):
    response = api_client.post(
        "/api/v1/auth/login/", {"username": ["a"], "password": 5}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"username"}


def test_throttled_sign_in_is_429_json(api_client, monkeypatch):
    from backend.accounts.api import AuthThrottle

    # monkeypatch puts the class's real rates back after the test, whatever happens.
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "2/min"})
    body = {"invitation_code": "x", "password": "y"}
    # A client cannot dodge the limit by inventing X-Forwarded-For addresses.
    for number in range(2):
        api_client.credentials(HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
        assert api_client.post("/api/v1/auth/activate/", body).status_code == 400
    response = api_client.post("/api/v1/auth/activate/", body)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_chunked_body_without_length_is_411_not_silently_empty(nurse):
    response = client_for(nurse).post(
        ENROL, data="{}", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert response.status_code == 411
    assert response.json()["code"] == "length_required"


def test_non_numeric_content_length_is_400(nurse):
    response = client_for(nurse).generic(
        "POST", ENROL, data="{}", content_type="application/json", CONTENT_LENGTH="ten"
    )
    assert response.status_code == 400


def test_throttle_ignores_forged_hops_when_fewer_than_the_trusted_proxies(
    api_client, monkeypatch, settings
):
    from backend.accounts.api import AuthThrottle

    settings.TRUSTED_PROXY_COUNT = 2
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {"anonymous_auth": "2/min"})
    body = {"invitation_code": "x", "password": "y"}
    for number in range(2):
        api_client.credentials(HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
        assert api_client.post("/api/v1/auth/activate/", body).status_code == 400
    api_client.credentials(HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert api_client.post("/api/v1/auth/activate/", body).status_code == 429

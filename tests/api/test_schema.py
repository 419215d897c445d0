"""The OpenAPI schema is generated from the code and documents the error responses."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_with_our_operations(schema):
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/patients/",
        "/api/v1/patients/{patient_id}/",
        "/api/v1/auth/login/",
        "/api/v1/auth/activate/",
        "/api/v1/auth/logout/",
    ):
        assert path in schema["paths"], path


def test_error_responses_are_documented(schema):
    enrol = schema["paths"]["/api/v1/patients/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "413", "415"} <= set(enrol)
    error_ref = enrol["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.endswith("/ApiError")
    detail = schema["paths"]["/api/v1/patients/{patient_id}/"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(detail)
    assert "429" in schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    error = schema["components"]["schemas"]["ApiError"]
    assert set(error["properties"]) == {"code", "detail", "errors"}


def test_bearer_auth_is_described(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" or "Bearer" in str(s) for s in schemes.values())


def test_interactive_docs_are_served_without_a_cdn(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn turns any unresolved view, serializer or authenticator into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert (tmp_path / "s.yaml").stat().st_size > 1000


def test_schema_and_docs_are_for_staff_when_not_public(settings, client, nurse, patient):
    """Production sets API_DOCS_PUBLIC off: the schema and docs then need a staff sign-in."""
    import importlib

    from django.urls import clear_url_caches

    import backend.urls
    from tests.factories.clients import client_for

    settings.API_DOCS_PUBLIC = False
    try:
        importlib.reload(backend.urls)
        clear_url_caches()
        assert client.get("/api/schema/").status_code in (401, 403)
        assert client.get("/api/docs/").status_code in (401, 403)
        assert client_for(patient.user).get("/api/schema/").status_code == 403
        assert client_for(nurse).get("/api/schema/").status_code == 200
    finally:
        settings.API_DOCS_PUBLIC = True
        importlib.reload(backend.urls)
        clear_url_caches()
    assert client.get("/api/schema/").status_code == 200

"""`Cache-Control: no-store` on every path that may hold patient data, and only there."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from backend.common.middleware import NoStoreMiddleware


def run(path: str, response: HttpResponse | None = None) -> HttpResponse:
    given = response or HttpResponse("x")
    return NoStoreMiddleware(lambda request: given)(RequestFactory().get(path))


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me/doses/", "/dashboard/patients/1/", "/admin/", "/api/v1/exports/jobs/x/download/"],
)
def test_patient_data_paths_are_no_store(path):
    cached = HttpResponse("x")
    cached["Cache-Control"] = "max-age=600"
    cached["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
    response = run(path, cached)
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    assert "Expires" not in response


@pytest.mark.parametrize("path", ["/static/dashboard/dashboard.css", "/app/", "/app/sw.js"])
def test_static_files_and_the_app_shell_keep_their_caching(path):
    cached = HttpResponse("x")
    cached["Cache-Control"] = "max-age=600"
    assert run(path, cached)["Cache-Control"] == "max-age=600"


@override_settings(NO_STORE_PATH_PREFIXES=("/other/",))
def test_the_paths_come_from_settings():
    assert run("/other/x")["Cache-Control"] == "no-store"

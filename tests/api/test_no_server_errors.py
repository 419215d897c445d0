"""Inputs that used to answer 500: deep JSON, dates near year 1 or 9999. Each is now a 400 in
the API's error shape, naming the field."""

import uuid

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

CASE = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
    "start_date": "2026-03-01",
}
NOW = "2026-03-10 12:00:00+01:00"
BAD_YEARS = ["0001", "1899", "2201", "9999"]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def assert_400_naming(response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}
    assert field in [error["field"] for error in body["errors"]], body


# ------------------------------------------------------------------------ deep JSON


def deep(depth: int) -> str:
    return '{"username": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.mark.parametrize("depth", [50_000, 2_000, 40])
def test_deeply_nested_json_to_login_is_a_400_not_a_crash(api_client, depth):
    response = api_client.post(
        "/api/v1/auth/login/", data=deep(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested" in response.json()["detail"]


def test_json_nesting_within_the_limit_still_parses(api_client):
    response = api_client.post("/api/v1/auth/login/", data=deep(5), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] != "parse_error"  # the field's own check answers


def test_deep_json_to_a_view_with_its_own_parser_is_a_400(nurse, patient):
    """The labs FHIR endpoint parses with a parser of its own: the exception handler turns a
    RecursionError into the same 400."""
    body = "[" * 50_000 + "]" * 50_000
    response = client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/fhir/Observation",
        data=body,
        content_type="application/fhir+json",
    )
    assert response.status_code < 500


# ------------------------------------------------------------------------ dates


@pytest.mark.parametrize("year", BAD_YEARS)
def test_me_doses_query_dates_out_of_range(nurse, patient, year):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    phone = client_for(patient.user)
    for name in ("from", "to"):
        response = phone.get("/api/v1/me/doses/", {name: f"{year}-01-01"})
        assert_400_naming(response, name)
        response = phone.get("/api/v1/me/adherence/", {name: f"{year}-01-01"})
        assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.parametrize("year", BAD_YEARS)
def test_patient_adherence_query_dates_out_of_range(nurse, patient, year):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    for name in ("from", "to"):
        response = client_for(nurse).get(
            f"/api/v1/patients/{patient.pk}/adherence/", {name: f"{year}-12-31"}
        )
        assert response.status_code in (200, 400), response.content[:300]
        if response.status_code == 400:
            assert_400_naming(response, name)


@pytest.mark.parametrize("year", BAD_YEARS)
def test_dose_log_dates_out_of_range(nurse, patient, year):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    phone = client_for(patient.user)
    base = {"client_id": str(uuid.uuid4()), "date": "2026-03-10", "slot": 1, "status": "taken"}
    response = phone.post("/api/v1/me/doses/", {**base, "date": f"{year}-01-01"}, format="json")
    assert_400_naming(response, "date")
    response = phone.post(
        "/api/v1/me/doses/",
        {**base, "taken_at": f"{year}-01-01T00:30:00+05:00"},
        format="json",
    )
    assert_400_naming(response, "taken_at")


@pytest.mark.parametrize("year", BAD_YEARS)
@pytest.mark.parametrize("field", ["start_date", "surgery_date"])
def test_plan_case_dates_out_of_range(nurse, patient, year, field):
    case = {**CASE, field: f"{year}-01-01"}
    response = client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plans/",
        {"case": case, "dose_times": ["08:00"]},
        format="json",
    )
    assert response.status_code == 400, response.content[:300]
    assert any(field in (error["field"] or "") for error in response.json()["errors"])


@pytest.mark.parametrize("year", BAD_YEARS)
def test_plan_hold_and_revision_dates_out_of_range(nurse, patient, year):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    client = client_for(nurse)
    day = f"{year}-06-15"
    url = f"/api/v1/patients/{patient.pk}/plan/"
    response = client.post(url + "holds/", {"start_date": day, "reason": "x"}, format="json")
    assert_400_naming(response, "start_date")
    response = client.post(
        url + "holds/",
        {"start_date": "2026-03-12", "end_date": day, "reason": "x"},
        format="json",
    )
    assert_400_naming(response, "end_date")
    response = client.post(
        url + "revisions/",
        {"dose_mg_per_day": 400, "dose_times": ["08:00"], "effective_date": day, "reason": "x"},
        format="json",
    )
    assert_400_naming(response, "effective_date")


@pytest.mark.parametrize("year", BAD_YEARS)
def test_side_effect_and_weight_dates_out_of_range(nurse, patient, year):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    phone = client_for(patient.user)
    response = phone.post(
        "/api/v1/me/weights/",
        {"client_id": str(uuid.uuid4()), "weight_kg": "70.0", "measured_on": f"{year}-02-02"},
        format="json",
    )
    assert_400_naming(response, "measured_on")
    response = phone.post(
        "/api/v1/me/side-effects/",
        {
            "client_id": str(uuid.uuid4()),
            "symptom": "nausea",
            "answers": {},
            "onset_date": f"{year}-02-02",
        },
        format="json",
    )
    assert_400_naming(response, "onset_date")


@pytest.mark.parametrize("year", BAD_YEARS)
@pytest.mark.parametrize(
    "path", ["exports/adherence.csv", "exports/adherence.xlsx", "exports/doses.csv"]
)
def test_cohort_export_query_dates_out_of_range(coordinator, year, path):
    for name in ("from", "to"):
        query = {"from": "2026-01-01", "to": "2026-01-31", name: f"{year}-01-01"}
        response = client_for(coordinator).get(f"/api/v1/{path}", query)
        assert_400_naming(response, name)


@pytest.mark.parametrize("year", BAD_YEARS)
def test_export_job_dates_out_of_range(coordinator, year):
    for name in ("from", "to"):
        body = {
            "kind": "doses_csv",
            "from": "2026-01-01",
            "to": "2026-01-31",
            name: f"{year}-01-01",
        }
        response = client_for(coordinator).post("/api/v1/exports/jobs/", body, format="json")
        assert_400_naming(response, name)


@pytest.mark.parametrize("year", BAD_YEARS)
@pytest.mark.parametrize("path", ["report.pdf", "fhir/"])
def test_patient_export_query_dates_out_of_range(nurse, patient, year, path):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    for name in ("from", "to"):
        response = client_for(nurse).get(
            f"/api/v1/patients/{patient.pk}/{path}", {name: f"{year}-01-01"}
        )
        assert_400_naming(response, name)


@pytest.mark.parametrize("year", ["1900", "2200"])
def test_the_bounds_themselves_are_accepted(nurse, patient, year):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    phone = client_for(patient.user)
    response = phone.post(
        "/api/v1/me/weights/",
        {"client_id": str(uuid.uuid4()), "weight_kg": "70.0", "measured_on": f"{year}-02-02"},
        format="json",
    )
    assert response.status_code < 500
    if response.status_code == 400:  # refused by a rule of its own (e.g. not in the future)
        assert "between the years" not in response.json()["detail"]
    response = client_for(nurse).get(
        f"/api/v1/patients/{patient.pk}/report.pdf", {"from": f"{year}-01-01"}
    )
    assert response.status_code < 500
    if response.status_code == 400:
        assert "between the years" not in response.json()["detail"]


@override_settings(INPUT_DATE_MIN_YEAR=2000, INPUT_DATE_MAX_YEAR=2100)
def test_the_bounds_come_from_settings(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    response = client_for(patient.user).get("/api/v1/me/doses/", {"from": "1999-12-31"})
    assert_400_naming(response, "from")
    assert "2000 and 2100" in response.json()["detail"]


# ------------------------------------------------------------------------ headers


def test_api_responses_are_not_stored(nurse, patient, api_client):
    response = client_for(nurse).get(f"/api/v1/patients/{patient.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    errors = api_client.get("/api/v1/patients/")
    assert errors.status_code in (401, 403)
    assert errors["Cache-Control"] == "no-store"


def test_dashboard_pages_are_not_stored(nurse, client):
    client.force_login(nurse)
    response = client.get("/dashboard/", follow=False)
    for headers in (response, client.get("/dashboard/sign-in/")):
        directives = [d.strip() for d in headers["Cache-Control"].split(",")]
        assert "no-store" in directives
        assert not any(d.startswith("max-age=") and d != "max-age=0" for d in directives)


def test_the_patient_app_shell_keeps_its_offline_caching(client):
    response = client.get("/app/sw.js")
    assert response.status_code == 200
    assert response["Cache-Control"] != "no-store"


# ------------------------------------------------------------------------ SQLite


def test_sqlite_uses_wal_and_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip(f"the database is {connection.vendor}, not SQLite (make run's default)")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 10_000

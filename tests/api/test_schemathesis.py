"""Schemathesis over the whole OpenAPI schema, in process, as a patient and as a nurse.

Every operation drf-spectacular publishes is generated from the schema and sent to the
Django WSGI application (no live server) with the bearer token of a patient (activated, with
a plan, doses, a weight, side-effect reports and so an alert) or of that patient's nurse.
The check is "no 5xx". SCHEMATHESIS_CONFORMANCE=1 adds the response-schema, status-code and
content-type conformance checks; they are not clean yet (GETs that answer 400 for a bad query
parameter or 404 for page=0 do not document it; /me/today's local_time "08:00" is published as
format "time"), so CI checks only server errors.

Bounded for CI: SCHEMATHESIS_MAX_EXAMPLES examples per operation and role (default 5; each
operation also runs schemathesis's explicit-example and coverage cases). Derandomized, so a
run is the same every time. Each example runs inside a savepoint that is rolled back, so an
example sees the fixture's data and never what an earlier example wrote; the throttle
counters (cache) are cleared before each example too, or the sign-in endpoints would answer
429 to nearly every case after the first few.

Nothing is skipped: file downloads (CSV, XLSX, PDF, export job downloads) run like the rest;
their bodies are not JSON, so conformance checks only their status and content type.
"""

import os
import traceback
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from backend.accounts.models import Patient
from backend.adherence.models import PlanHold, ScheduledDose
from backend.alerts.models import Alert
from backend.notifications.models import Device
from backend.reports.models import ExportJob
from backend.sideeffects.models import SideEffectReport
from tests.factories.clients import client_for
from tests.factories.plans import HIGH_RISK_CASE

# slow: a minute of generated requests (make test runs it; make test-fast leaves it out).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
CONFORMANCE = os.environ.get("SCHEMATHESIS_CONFORMANCE", "") == "1"

# Loaded eagerly from the generator (what /api/schema/ serves), not through a pytest fixture:
# pytest 9.2 breaks schemathesis's `from_fixture` loader.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
APP = WSGIHandler()

HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    print_blob=False,
    # The fixtures build database rows once per operation; each example rolls back its own
    # writes (a savepoint), so sharing them across examples is intended.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


def _checks() -> list[Callable[..., bool | None]]:
    checks: list[Callable[..., bool | None]] = [not_a_server_error]
    if CONFORMANCE:
        from schemathesis.specs.openapi.checks import (
            content_type_conformance,
            response_schema_conformance,
            status_code_conformance,
        )

        checks += [response_schema_conformance, status_code_conformance, content_type_conformance]
    return checks


@pytest.fixture
def world(patient, nurse, coordinator):
    """A patient with a plan and some history, made through the API as the apps would."""
    nurse_api = client_for(nurse)
    phone = client_for(patient.user)
    today = timezone.localdate()
    start = today - timedelta(days=14)

    def ok(response, status=(200, 201, 202)):
        assert response.status_code in status, (response.status_code, response.content[:500])
        return response.json()

    base = f"/api/v1/patients/{patient.pk}"
    plan = {"case": {**HIGH_RISK_CASE, "start_date": start.isoformat()}, "dose_times": ["08:00"]}
    ok(nurse_api.post(f"{base}/plans/", plan, format="json"))
    hold = {"start_date": (today - timedelta(days=3)).isoformat(), "reason": "Grade 3 rash"}
    ok(nurse_api.post(f"{base}/plan/holds/", hold, format="json"))
    weight = {"client_id": str(uuid.uuid4()), "weight_kg": "71.5"}
    ok(nurse_api.post(f"{base}/weights/", {**weight, "baseline": True}, format="json"))
    for days_ago, status in ((6, "taken"), (5, "skipped"), (4, "taken")):
        dose = {
            "client_id": str(uuid.uuid4()),
            "date": (today - timedelta(days=days_ago)).isoformat(),
            "slot": 1,
            "status": status,
        }
        if status == "skipped":
            dose["skip_reason"] = "side_effects"
        else:
            taken = timezone.now() - timedelta(days=days_ago)
            dose["taken_at"] = taken.isoformat()
        ok(phone.post("/api/v1/me/doses/", dose, format="json"))
    ok(phone.post("/api/v1/me/weights/", {**weight, "client_id": str(uuid.uuid4())}, format="json"))
    for answers in ({"frequency": 1, "severity": 1}, {"frequency": 3, "severity": 3}):
        report = {"client_id": str(uuid.uuid4()), "symptom": "nausea", "answers": answers}
        ok(phone.post("/api/v1/me/side-effects/", report, format="json"))
    device = {"token": "fcm-token-for-schemathesis", "platform": "android"}
    ok(phone.post("/api/v1/me/devices/", device, format="json"))
    job = {"kind": "adherence_csv", "from": start.isoformat(), "to": today.isoformat()}
    # Only coordinators export cohorts: the nurse meets the job as someone else's (a 403/404).
    ok(client_for(coordinator).post("/api/v1/exports/jobs/", job, format="json"), status=(202,))

    # Real identifiers for path parameters (see _use_real_ids).
    ids = {
        "patient_id": str(patient.pk),
        "log_id": str(ScheduledDose.objects.logged().filter(patient=patient).first().pk),
        "hold_id": PlanHold.objects.filter(plan__patient=patient).first().pk,
        "report_id": str(SideEffectReport.objects.filter(patient=patient).first().pk),
        "alert_id": str(Alert.objects.filter(patient=patient).first().pk),
        "job_id": str(ExportJob.objects.first().pk),
        "device_id": Device.objects.filter(user=patient.user).first().pk,
    }
    assert Patient.objects.filter(pk=patient.pk).exists()
    return ids


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _use_real_ids(case, ids: dict) -> None:
    """A well-formed identifier is swapped for the fixture's real one, so the operation reaches
    its logic instead of a 404; malformed ones (coverage's negative cases) are sent as made."""
    for name, value in list((case.path_parameters or {}).items()):
        if name not in ids:
            continue
        well_formed = {
            "hold_id": isinstance(value, int) and not isinstance(value, bool) and value > 0,
            "device_id": isinstance(value, int) and not isinstance(value, bool) and value > 0,
        }.get(name, _is_uuid(value))
        if well_formed:
            case.path_parameters[name] = ids[name]


@pytest.fixture
def server_errors():
    """Run the WSGI app as Django's test client does (the request signals would otherwise close
    the test's connection mid-transaction), and keep the traceback of any unhandled error."""
    caught: list[str] = []

    def keep(sender, request=None, **kwargs):
        caught.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(keep)
    try:
        yield caught
    finally:
        got_request_exception.disconnect(keep)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(case, token: str, ids: dict, caught: list[str]) -> None:
    _use_real_ids(case, ids)
    headers = {"Authorization": f"Bearer {token}"}
    cache.clear()
    caught.clear()
    with transaction.atomic():
        response = case.call(app=APP, headers=headers)
        transaction.set_rollback(True)
    if response.status_code >= 500:
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        detail = caught[-1] if caught else response.text[:500]
        raise AssertionError(f"{where}\n{case.as_curl_command(headers=headers)}\n{detail}")
    case.validate_response(response, checks=_checks(), headers=headers)


@pytest.fixture
def patient_token(patient) -> str:
    from backend.accounts.services import auth_token_issue

    return auth_token_issue(user=patient.user)[1]


@pytest.fixture
def nurse_token(nurse) -> str:
    from backend.accounts.services import auth_token_issue

    return auth_token_issue(user=nurse)[1]


@schema.parametrize()
@HYPOTHESIS
def test_as_patient(case, patient_token, world, server_errors) -> None:
    _run(case, patient_token, world, server_errors)


@schema.parametrize()
@HYPOTHESIS
def test_as_nurse(case, nurse_token, world, server_errors) -> None:
    _run(case, nurse_token, world, server_errors)

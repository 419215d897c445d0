"""The per-patient PDF and FHIR exports through the API: who may fetch them, the range
checks, and the audit log."""

import io

import pytest
import time_machine
from pypdf import PdfReader

from backend.audit.models import AuditEvent
from tests.factories.accounts import StaffFactory
from tests.factories.clients import client_for
from tests.reports.conftest import NOW, REPORT_FIRST, REPORT_LAST

pytestmark = pytest.mark.django_db

RANGE = {"from": REPORT_FIRST.isoformat(), "to": REPORT_LAST.isoformat()}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_nurse_gets_her_patients_pdf_and_it_is_audited(history):
    with time_machine.travel(NOW, tick=False):
        response = client_for(history.nurse).get(
            f"/api/v1/patients/{history.patient.pk}/report.pdf", RANGE
        )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert history.patient.display_name in pdf_text(response.content)
    event = AuditEvent.objects.get(action="export.patient_pdf")
    assert event.patient_id == history.patient.pk
    assert event.actor_id == history.nurse.pk
    assert event.detail == {"from": "2026-10-01", "to": "2026-11-19"}


def test_the_fhir_bundle_comes_with_its_media_type_and_is_audited(history):
    with time_machine.travel(NOW, tick=False):
        response = client_for(history.nurse).get(
            f"/api/v1/patients/{history.patient.pk}/fhir/", RANGE
        )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    patient = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert patient[0]["fullUrl"].startswith("http://testserver/api/v1/fhir/Patient/")
    assert AuditEvent.objects.filter(action="export.patient_fhir").count() == 1


def test_without_dates_the_last_90_local_days_are_exported(history):
    with time_machine.travel(NOW, tick=False):
        response = client_for(history.nurse).get(f"/api/v1/patients/{history.patient.pk}/fhir/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="export.patient_fhir")
    assert event.detail == {"from": "2026-08-23", "to": "2026-11-20"}


@pytest.mark.parametrize("path", ["report.pdf", "fhir/"])
def test_who_may_fetch_a_patients_export(history, path, coordinator, admin_user, other_care_team):
    url = f"/api/v1/patients/{history.patient.pk}/{path}"
    with time_machine.travel(NOW, tick=False):
        assert client_for(coordinator).get(url, RANGE).status_code == 200
        assert client_for(admin_user).get(url, RANGE).status_code == 200
        other_nurse = StaffFactory(role="nurse", care_teams=[other_care_team])
        assert client_for(other_nurse).get(url, RANGE).status_code == 404
        assert client_for(history.patient.user).get(url, RANGE).status_code == 403
        assert client_for(history.patient.user).get(url, RANGE).status_code == 403
    assert AuditEvent.objects.filter(action__startswith="export.patient_").count() == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"care_team": "1"}, "care_team"),
        ({"pages": "3"}, "pages"),
    ],
)
@pytest.mark.parametrize("path", ["report.pdf", "fhir/"])
def test_bad_ranges_are_400_naming_the_parameter(history, path, query, field):
    response = client_for(history.nurse).get(
        f"/api/v1/patients/{history.patient.pk}/{path}", query, HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not AuditEvent.objects.filter(action__startswith="export.patient_").exists()

"""Issue 21: the patient page's PDF and FHIR buttons (plain links to the per-patient export
endpoints, authenticated by the dashboard's session and audited), and where each role lands
after signing in."""

import json
import re
from datetime import timedelta

import pytest

from backend.audit.models import AuditEvent
from tests.dashboard.conftest import TODAY, text
from tests.factories.accounts import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

SIGN_IN = "/dashboard/sign-in/"


def report_form(html: str) -> str:
    match = re.search(r'<section aria-labelledby="report-heading".*?</section>', html, re.DOTALL)
    assert match, "no Reports section"
    return match.group(0)


@pytest.mark.parametrize("who", ["nurse_browser", "coordinator_browser", "admin_browser"])
def test_the_patient_page_has_pdf_and_fhir_buttons_for_the_last_90_days(request, who, patient):
    client = request.getfixturevalue(who)
    form = report_form(text(client.get(f"/dashboard/patients/{patient.pk}/")))
    assert f'method="get" action="/api/v1/patients/{patient.pk}/report.pdf"' in form
    assert f'formaction="/api/v1/patients/{patient.pk}/fhir/"' in form
    assert ">Download PDF report</button>" in form
    assert ">Download FHIR bundle</button>" in form
    first = (TODAY - timedelta(days=89)).isoformat()
    assert f'name="from" value="{first}"' in form
    assert f'name="to" value="{TODAY.isoformat()}"' in form
    # The buttons carry no name: the endpoints accept only `from` and `to`.
    assert not re.search(r"<button[^>]* name=", form)


def test_the_buttons_download_with_the_session_and_are_audited(nurse_browser, nurse, patient):
    query = {"from": (TODAY - timedelta(days=89)).isoformat(), "to": TODAY.isoformat()}
    pdf = nurse_browser.get(f"/api/v1/patients/{patient.pk}/report.pdf", query)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith('attachment; filename="report_')
    fhir = nurse_browser.get(f"/api/v1/patients/{patient.pk}/fhir/", query)
    assert fhir.status_code == 200
    assert fhir["Content-Type"] == "application/fhir+json"
    assert fhir["Content-Disposition"].startswith('attachment; filename="fhir_')
    assert json.loads(fhir.content)["resourceType"] == "Bundle"
    events = AuditEvent.objects.filter(action__in=["export.patient_pdf", "export.patient_fhir"])
    assert sorted((e.action, e.actor_id, e.patient_id) for e in events) == [
        ("export.patient_fhir", nurse.pk, patient.pk),
        ("export.patient_pdf", nurse.pk, patient.pk),
    ]
    assert {e.detail["from"] for e in events} == {query["from"]}


def test_another_teams_patient_has_no_report(nurse_browser, foreign_patient):
    assert nurse_browser.get(f"/api/v1/patients/{foreign_patient.pk}/report.pdf").status_code == 404
    assert nurse_browser.get(f"/api/v1/patients/{foreign_patient.pk}/fhir/").status_code == 404


@pytest.mark.parametrize(
    ("role", "landing"),
    [("nurse", "/dashboard/"), ("coordinator", "/dashboard/cohort/"), ("admin", "/dashboard/")],
)
def test_opening_the_dashboard_signed_out_lands_each_role_at_home(client, care_team, role, landing):
    """Opening /dashboard/ signed out asks for a sign-in with next=/dashboard/ (the nurses'
    queue); after it a coordinator still starts at the cohort."""
    from tests.factories.accounts import StaffFactory

    user = StaffFactory(role=role, care_teams=[care_team])
    to_sign_in = client.get("/dashboard/")
    assert to_sign_in.status_code == 302
    assert to_sign_in["Location"] == f"{SIGN_IN}?next=/dashboard/"
    response = client.post(
        to_sign_in["Location"],
        {"username": user.username, "password": TEST_PASSWORD, "next": "/dashboard/"},
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/home/"
    home = client.get(response["Location"])
    assert home.status_code == 302 and home["Location"] == landing
    assert client.get(landing).status_code == 200


def test_any_other_next_is_still_followed(client, coordinator):
    response = client.post(
        SIGN_IN,
        {"username": coordinator.username, "password": TEST_PASSWORD, "next": "/dashboard/?x=1"},
    )
    assert response["Location"] == "/dashboard/?x=1"

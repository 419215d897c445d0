"""Issue 21: enrolment from the dashboard (the code shown once, with a QR code of the app's
activation link) and a new code for a patient who lost access, through the accounts services;
bad input refused on its field, nothing stored twice, other teams' patients not found."""

import re

import pytest
from django.test import Client
from knox.models import AuthToken

from backend.accounts.models import Patient
from backend.audit.models import AuditEvent
from tests.factories.accounts import StaffFactory
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db

ENROL = "/dashboard/patients/new/"
CODE = re.compile(r'id="invitation-code">([A-Z2-9-]+)<')


def form(**overrides: str) -> dict[str, str]:
    return {
        "display_name": "Lucía Fernández",
        "medical_record_number": "HC-0042",
        "time_zone": "Europe/Madrid",
        "language": "es",
        "phone": "+34 600 111 222",
        **overrides,
    }


def test_a_nurse_enrols_a_patient_and_sees_the_code_once(nurse_browser, care_team):
    assert nurse_browser.get(ENROL).status_code == 200
    response = nurse_browser.post(ENROL, form())
    assert response.status_code == 201
    page = response.content.decode()
    code = CODE.search(page).group(1)
    assert f"/app/#/activate?code={code}" in page
    assert "<svg" in page and 'role="img"' in page  # the QR code, inline
    assert "no-store" in response["Cache-Control"]
    patient = Patient.objects.get()
    assert (patient.care_team, patient.phone, patient.language) == (
        care_team,
        "+34 600 111 222",
        "es",
    )
    assert AuditEvent.objects.filter(action="patient.enrol", patient=patient).exists()
    # The code works once, in the app's activation.
    activated = Client().post(
        "/api/v1/auth/activate/",
        {"invitation_code": code, "password": "saffron-lantern-47-quiet"},
        content_type="application/json",
    )
    assert activated.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not an IANA time zone"),
        ({"phone": "call me"}, "phone", "Digits, spaces"),
        ({"display_name": " "}, "display_name", "This field is required"),
        ({"medical_record_number": "HC\t1"}, "medical_record_number", "no tabs"),
        ({"language": "xx"}, "language", "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_on_its_field(nurse_browser, overrides, field, reason):
    response = nurse_browser.post(ENROL, form(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and reason in " ".join(errors[field])
    assert not Patient.objects.exists()


def test_a_second_submission_is_not_stored_twice(nurse_browser):
    assert nurse_browser.post(ENROL, form()).status_code == 201
    again = nurse_browser.post(ENROL, form())
    assert again.status_code == 400
    assert "already enrolled" in " ".join(again.context["form"].errors["medical_record_number"])
    assert Patient.objects.count() == 1


def test_staff_of_several_teams_choose_one_of_theirs(care_team, other_care_team):
    coordinator = StaffFactory(role="coordinator", care_teams=[care_team, other_care_team])
    browser = Client()
    browser.force_login(coordinator)
    assert browser.post(ENROL, form()).status_code == 400  # which team?
    assert browser.post(ENROL, form(care_team=str(other_care_team.pk))).status_code == 201
    assert Patient.objects.get().care_team == other_care_team


def test_an_admin_without_a_team_cannot_enrol(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get(ENROL).status_code == 403


def test_a_new_code_for_an_activated_patient_needs_confirming(nurse_browser, patient):
    client_for(patient.user)
    url = f"/dashboard/patients/{patient.pk}/invitation/"
    assert nurse_browser.get(f"{url}confirm/").status_code == 200
    refused = nurse_browser.post(url, {})
    assert refused.status_code == 400
    assert AuthToken.objects.filter(user=patient.user).count() == 1
    issued = nurse_browser.post(url, {"confirm": "yes"})
    assert issued.status_code == 201
    assert CODE.search(issued.content.decode())
    assert AuthToken.objects.filter(user=patient.user).count() == 0


def test_another_teams_patient_gets_no_code(nurse_browser, foreign_patient):
    url = f"/dashboard/patients/{foreign_patient.pk}/invitation/"
    assert nurse_browser.post(url, {"confirm": "yes"}).status_code == 404
    assert nurse_browser.get(f"{url}confirm/").status_code == 404


def test_the_patient_page_shows_the_phone_as_a_link(nurse_browser, patient):
    patient.phone = "+34 600 111 222"
    patient.save()
    page = nurse_browser.get(f"/dashboard/patients/{patient.pk}/").content.decode()
    assert 'href="tel:+34600111222"' in page

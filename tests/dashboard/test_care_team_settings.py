"""Issue 21, contact: an administrator sets what a care team's patients are told to call, and
when; the patient's account carries it (the app shows it wherever it asks them to call)."""

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(admin_user) -> Client:
    browser = Client()
    browser.force_login(admin_user)
    return browser


def contact_url(team) -> str:
    return f"/dashboard/care-teams/{team.pk}/contact/"


def test_an_administrator_sets_the_phone_and_hours(admin_browser, admin_user, care_team, patient):
    assert care_team.name in admin_browser.get("/dashboard/care-teams/").content.decode()
    response = admin_browser.post(
        contact_url(care_team),
        {"phone": "+34 910 000 111", "hours": "Mon-Fri 08:00-15:00", "emergency_number": "112"},
    )
    assert response.status_code == 302
    care_team.refresh_from_db()
    assert (care_team.phone, care_team.hours) == ("+34 910 000 111", "Mon-Fri 08:00-15:00")
    event = AuditEvent.objects.get(action="care_team.contact")
    assert event.actor == admin_user and event.detail["changed"] == ["hours", "phone"]
    me = client_for(patient.user).get("/api/v1/me/").json()
    assert me["care_team"]["phone"] == "+34 910 000 111"
    assert me["care_team"]["hours"] == "Mon-Fri 08:00-15:00"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"phone": "call us", "hours": "", "emergency_number": "112"}, "phone"),
        ({"phone": "", "hours": "", "emergency_number": "one-one-two"}, "emergency_number"),
        ({"phone": "", "hours": "x" * 121, "emergency_number": "112"}, "hours"),
    ],
)
def test_bad_values_are_refused_on_their_field(admin_browser, care_team, values, field):
    response = admin_browser.post(contact_url(care_team), values)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    care_team.refresh_from_db()
    assert care_team.phone == "" and care_team.emergency_number == "112"


def test_only_administrators(nurse, coordinator, care_team):
    for user in (nurse, coordinator):
        browser = Client()
        browser.force_login(user)
        assert browser.get("/dashboard/care-teams/").status_code == 403
        assert browser.post(contact_url(care_team), {"emergency_number": "999"}).status_code == 403

"""The nurse's patient page shows the tablet supply (issue 22): the last count, when and by
whom, the tablets and days left (counted down by the doses logged taken), "refill due" at 7
days or fewer; nurses record a count there (CSRF, audited, stored once per form); coordinators
see it but record nothing; another team's patient is a 404."""

import html
import re
import uuid
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from backend.adherence.services.dose_logs import dose_log_record
from backend.audit.models import AuditEvent
from backend.refills.models import TabletSupply
from backend.refills.services import tablet_supply_record
from tests.refills.helpers import plan_600mg

pytestmark = pytest.mark.django_db

NOW = "2026-03-05 10:00:00+01:00"


def visible(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def page_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/"


def supply_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/supply/"


@pytest.fixture
def plan(nurse, patient):
    return plan_600mg(nurse, patient)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def section(page: str) -> str:
    return visible(page.split('id="supply-heading"', 1)[1].split("</section>", 1)[0])


def test_page_shows_the_patients_count_and_what_is_left(browser, nurse, patient, plan):
    with time_machine.travel("2026-03-05 07:00:00+01:00", tick=False):
        tablet_supply_record(
            patient=patient,
            recorded_by=patient.user,
            source="patient",
            counts={"100": 16, "400": 9},
        )
    with time_machine.travel("2026-03-05 08:10:00+01:00", tick=False):
        dose_log_record(
            patient=patient,
            recorded_by=patient.user,
            client_id=uuid.uuid4(),
            scheduled_date=date(2026, 3, 5),
            slot=1,
            status="taken",
            taken_at=datetime.fromisoformat("2026-03-05 08:10:00+01:00"),
        )

    text = section(browser(nurse).get(page_url(patient)).content.decode())

    times = "\N{MULTIPLICATION SIGN}"
    assert f"Last count: 16 {times} 100 mg and 9 {times} 400 mg" in text
    assert "recorded by the patient" in text
    # 600 mg = 1 x 400 + 2 x 100 a day: 14 x 100 mg last 7 days, 8 x 400 mg 8 days.
    assert "100 mg 16 2 14 2 7" in text
    assert "400 mg 9 1 8 1 8" in text
    assert "Days left: 7" in text
    assert "Refill due: 7 days or fewer" in text


def test_nurse_records_a_count_once_audited(browser, nurse, patient, plan):
    staff = browser(nurse)
    page = staff.get(page_url(patient)).content.decode()
    assert "No tablet count yet." in section(page)
    client_id = re.search(
        r'name="client_id" value="([0-9a-f-]+)"', page.split('class="supply-form"')[1]
    )
    assert client_id is not None
    body = {"client_id": client_id.group(1), "count_100": "40", "count_400": "30"}

    first = staff.post(supply_url(patient), body)
    again = staff.post(supply_url(patient), body)

    assert first.status_code == again.status_code == 302
    assert first["Location"].endswith("#supply-heading")
    supply = TabletSupply.objects.get()
    assert (supply.counts, supply.source, supply.recorded_by) == (
        {"100": 40, "400": 30},
        "nurse",
        nurse,
    )
    assert AuditEvent.objects.filter(action="supply.record", patient=patient).count() == 1
    text = section(staff.get(page_url(patient)).content.decode())
    assert f"recorded by {nurse.username} (care team)" in text
    assert "Days left: 20" in text
    assert "Refill due" not in text


def test_a_bad_count_is_shown_beside_its_field(browser, nurse, patient, plan):
    body = {"client_id": str(uuid.uuid4()), "count_100": "-1", "count_400": "3"}
    response = browser(nurse).post(supply_url(patient), body)
    assert response.status_code == 400
    field = response.content.decode().split('for="id_count_100"', 1)[1].split("</div>", 1)[0]
    assert "greater than or equal to 0" in field
    assert not TabletSupply.objects.exists()


def test_the_form_needs_the_csrf_token(nurse, patient, plan):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(nurse)
    body = {"client_id": str(uuid.uuid4()), "count_100": "1", "count_400": "1"}
    assert strict.post(supply_url(patient), body).status_code == 403
    assert not TabletSupply.objects.exists()


def test_coordinators_see_the_supply_but_record_nothing(browser, coordinator, patient, plan):
    desk = browser(coordinator)
    page = desk.get(page_url(patient)).content.decode()
    assert "Tablet supply" in page
    assert f'action="{supply_url(patient)}"' not in page
    body = {"client_id": str(uuid.uuid4()), "count_100": "1", "count_400": "1"}
    assert desk.post(supply_url(patient), body).status_code == 403
    assert not TabletSupply.objects.exists()


def test_another_teams_patient_is_a_404(browser, nurse, foreign_patient):
    body = {"client_id": str(uuid.uuid4()), "count_400": "1"}
    assert browser(nurse).post(supply_url(foreign_patient), body).status_code == 404
    assert browser(foreign_patient.user).post(supply_url(foreign_patient), body).status_code == 403

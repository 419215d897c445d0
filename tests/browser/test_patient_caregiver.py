"""A caregiver in the patient app (issue 22), on two phones (360 x 740, touch) in Debian's
Chromium against the live server, in English and in Spanish: the patient invites a family
member from Settings (a code shown once, with how to use it), the family member joins with the
code from the welcome screen and sees only the patient's chosen name and whether today's dose
is logged; the patient removes them after confirming, and the caregiver's view is gone at
once. axe (WCAG 2 A/AA), 44 px targets and no sideways scrolling on every new screen (the
invitation and the caregiver's view in dark mode too)."""

import json
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from backend.accounts.models import User
from backend.caregivers.models import CaregiverLink
from tests.browser.test_patient_app import check_screen, local_now, signed_in_patient
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.clients import client_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

I18N = Path(__file__).resolve().parents[2] / "backend/patientapp/static/patientapp/i18n"
LOCALES = {"en": "en-GB", "es": "es-ES"}
CAREGIVER_PASSWORD = "saffron-lantern-47-quiet"


def strings(language: str) -> dict[str, str]:
    return json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))


def sign_in(page: Page, live_server, s: dict[str, str], username: str, password: str) -> None:
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label(s["signin.username"]).fill(username)
    page.get_by_label(s["signin.password"], exact=True).fill(password)
    page.get_by_role("button", name=s["signin.submit"]).click()


@pytest.mark.parametrize("language", ["en", "es"])
def test_invite_join_see_todays_dose_and_be_removed(
    live_server, open_phone, nurse, patient, zone, artifacts, language
):
    s = strings(language)
    patient.language = language
    patient.save(update_fields=["language"])
    signed_in_patient(nurse, patient, zone)

    # The patient: Settings > Caregiver > a code for "Mamá".
    phone = open_phone(locale=LOCALES[language])
    sign_in(phone, live_server, s, patient.user.username, TEST_PASSWORD)
    expect(phone.get_by_role("heading", name=s["today.title"], level=1)).to_be_visible()
    phone.get_by_role("link", name=s["nav.settings"]).tap()
    section = phone.locator("section:has(#settings-caregiver)")
    expect(section.get_by_text(s["caregiver.none"])).to_be_visible()
    section.get_by_label(s["caregiver.your_name"]).fill("Mamá")
    section.get_by_role("button", name=s["caregiver.create_code"]).tap()
    code_line = section.locator(".caregiver-code")
    expect(code_line).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$"))
    code = code_line.inner_text()
    expect(section).to_contain_text(f"{live_server.url}/app/")
    check_screen(phone, f"settings with a caregiver code ({language})")
    phone.emulate_media(color_scheme="dark")
    check_screen(phone, f"settings with a caregiver code, dark ({language})")
    phone.emulate_media(color_scheme="light")
    phone.screenshot(path=str(artifacts / f"caregiver-invite-{language}.png"), full_page=True)

    # The family member: welcome > "I'm a family member / caregiver" > the form.
    carer = open_phone(locale=LOCALES[language])
    carer.goto(f"{live_server.url}/app/")
    carer.get_by_role("link", name=s["caregiver.welcome_option"]).tap()
    expect(carer.get_by_role("heading", name=s["caregiver.join_title"], level=1)).to_be_visible()
    carer.get_by_role("button", name=s["caregiver.submit"]).tap()  # empty: the errors show
    expect(carer.get_by_text(s["caregiver.code_needed"])).to_be_visible()
    check_screen(carer, f"caregiver join, with errors ({language})")
    username = f"carer-{uuid.uuid4().hex[:6]}"
    carer.get_by_label(s["caregiver.code"]).fill(code.lower())
    carer.get_by_label(s["caregiver.display_name"]).fill("Lucía")
    carer.get_by_label(s["caregiver.username"]).fill(username)
    carer.get_by_label(s["activate.password"]).fill(CAREGIVER_PASSWORD)
    carer.get_by_label(s["activate.password_again"]).fill(CAREGIVER_PASSWORD)
    carer.get_by_role("button", name=s["caregiver.submit"]).tap()

    title = s["caregiver.view_title"].replace("{name}", "Mamá")
    expect(carer.get_by_role("heading", name=title, level=1)).to_be_visible()
    doses = carer.get_by_role("list", name=title)
    expect(doses.locator("li")).to_have_count(1)
    expect(doses).to_contain_text(s["caregiver.not_logged"])
    expect(carer.locator("#tab-bar")).to_be_hidden()  # no patient screens for a caregiver
    view_text = carer.locator("main").inner_text().lower()
    assert "imatinib" not in view_text, "the patient did not allow the medicine's name"
    check_screen(carer, f"caregiver view ({language})")
    carer.screenshot(path=str(artifacts / f"caregiver-view-{language}.png"), full_page=True)
    carer.emulate_media(color_scheme="dark")  # app.css's prefers-color-scheme: dark
    check_screen(carer, f"caregiver view, dark ({language})")
    carer.screenshot(path=str(artifacts / f"caregiver-view-dark-{language}.png"), full_page=True)
    carer.emulate_media(color_scheme="light")
    user = User.objects.get(username=username)
    assert user.role == "caregiver"
    link = CaregiverLink.objects.get(user=user)
    assert (link.patient_id, link.patient_name, link.display_name) == (patient.pk, "Mamá", "Lucía")

    # The patient logs the dose: the caregiver sees it logged (nothing more).
    now = local_now(zone)
    logged = client_for(patient.user).post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid.uuid4()),
            "date": now.date().isoformat(),
            "slot": 1,
            "status": "taken",
            "taken_at": now.isoformat(),
        },
        format="json",
    )
    assert logged.status_code == 201, logged.json()
    carer.reload()
    expect(carer.get_by_role("list", name=title)).to_contain_text(s["caregiver.logged"])

    # The patient removes Lucía, after confirming.
    phone.reload()
    section = phone.locator("section:has(#settings-caregiver)")
    expect(section).to_contain_text("Lucía")
    section.get_by_role("button", name=s["caregiver.remove"].replace("{name}", "Lucía")).tap()
    expect(
        section.get_by_text(s["caregiver.remove_confirm"].replace("{name}", "Lucía"))
    ).to_be_visible()
    check_screen(phone, f"settings, removing a caregiver ({language})")
    section.get_by_role("button", name=s["caregiver.remove_yes"]).tap()
    expect(
        section.get_by_text(s["caregiver.removed_done"].replace("{name}", "Lucía"))
    ).to_be_visible()
    expect(section.get_by_text(s["caregiver.none"])).to_be_visible()

    # The caregiver's view is gone: their sign-in has ended...
    carer.reload()
    expect(carer.get_by_role("heading", name=s["signin.title"], level=1)).to_be_visible()
    expect(carer.get_by_text(s["signout.expired"])).to_be_visible()
    expect(carer.get_by_role("heading", name=title)).to_have_count(0)
    # ...and signing in again shows that they are no longer anyone's caregiver.
    sign_in(carer, live_server, s, username, CAREGIVER_PASSWORD)
    expect(carer.get_by_text(s["caregiver.removed"])).to_be_visible()
    expect(carer.get_by_role("heading", name=title)).to_have_count(0)
    check_screen(carer, f"caregiver removed ({language})")
    assert phone.problems == [] and carer.problems == []

"""The patient app (/app/) in Debian's Chromium at phone size (360 x 740, touch), against the
live test server and its real database: first run with an invitation code, logging doses,
offline use through the service worker and the IndexedDB outbox, a resend after a lost
response, refusals shown with the server's reason, the Spanish UI, the care-team message
after a severe report, holds and indefinite plans, signing out, push reminders (the vendored
Firebase SDK against faked Firebase hosts), and WCAG 2 AA (axe-core), touch targets and 200 %
text. Screenshots go to var/test-artifacts/."""

import base64
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from firebase_admin import messaging
from knox.models import AuthToken
from playwright.sync_api import Page, Route, expect

from backend.accounts.models import Patient
from backend.adherence.models import ScheduledDose
from backend.adherence.selectors.plans import plan_summary
from backend.alerts.models import Alert
from backend.notifications import fcm
from backend.notifications.models import Device
from backend.patientapp.shell import catalogue
from backend.sideeffects.models import SideEffectReport
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.clients import client_for
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, TreatmentPlanFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-new-password-42"
SENT = "Thank you. Your report has been sent."
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


# Real zones with whole-hour offsets around the world: the tests pick the one where it is
# nearest midday, so "a dose due today, a little while ago" never crosses midnight.
def local_now(zone: str) -> datetime:
    return datetime.now(ZoneInfo(zone))


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


# ---------------------------------------------------------------- fixtures and helpers


def enrol(nurse, zone: str, *, language: str = "en") -> tuple[str, str]:
    """What the nurse does: enrol a patient and get the invitation code. Returns (id, code)."""
    response = client_for(nurse).post(
        "/api/v1/patients/",
        {
            "display_name": f"Ana {uuid.uuid4().hex[:6]}",
            "medical_record_number": f"MRN-{uuid.uuid4().hex[:8]}",
            "time_zone": zone,
            "language": language,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"], response.json()["invitation_code"]


def due_today(zone: str) -> dict[str, object]:
    """A plan's start and dose time: today (the patient's today), a dose due a few minutes ago."""
    now = local_now(zone)
    return {"start_date": now.date(), "dose_times": [hhmm(now - timedelta(minutes=5))]}


def activate_in_app(page: Page, live_server, code: str) -> None:
    page.goto(f"{live_server.url}/app/")
    page.get_by_role("link", name="I have an invitation code").click()
    page.get_by_label("Invitation code").fill(code)
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()


def sign_in_in_app(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()


def dose_card(page: Page, slot: int = 1):
    return page.locator(f"li.dose:has(#dose-{slot}-title)")


def wait_for_service_worker(page: Page) -> None:
    """The worker has installed the shell into its cache and controls this page."""
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)",
        timeout=20_000,
    )


def signed_in_patient(nurse, patient, zone: str, **plan_options):
    patient.time_zone = zone
    patient.save(update_fields=["time_zone"])
    TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, **{**due_today(zone), **plan_options}
    )
    return patient


# ---------------------------------------------------------------- first run and a dose


def test_activate_with_an_invitation_log_a_dose_and_see_it_in_the_api(
    live_server, open_phone, nurse, zone, artifacts
):
    patient_id, code = enrol(nurse, zone)
    plan = TreatmentPlanFactory.create(
        patient=Patient.objects.get(pk=patient_id), created_by=nurse, **due_today(zone)
    )
    page = open_phone()

    activate_in_app(page, live_server, code)
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Your username is patient-\d{8}"))).to_be_visible()
    expect(page.locator(".plan-day")).to_have_text(f"Day 1 of {plan_summary(plan).total_days:,}")
    expect(page.locator(".plan-end")).to_contain_text("Ends on")
    card = dose_card(page)
    expect(card).to_contain_text("Not taken yet")
    page.screenshot(path=str(artifacts / "patient-app-today.png"), full_page=True)

    card.get_by_role("button", name="Taken").tap()
    expect(card).to_contain_text("Taken at")
    expect(card.locator(".badge")).to_have_text(re.compile(r"Taken$"))
    expect(card.get_by_role("button", name="Taken")).to_have_count(0)
    page.screenshot(path=str(artifacts / "patient-app-dose-taken.png"), full_page=True)

    # The API has it: the patient's own token, as another phone would read it.
    patient = Patient.objects.get(pk=patient_id)
    today = client_for(patient.user).get("/api/v1/me/today/").json()
    assert [dose["status"] for dose in today["doses"]] == ["taken"]
    stored = ScheduledDose.objects.logged().get(patient=patient)
    queued_ids = page.evaluate(
        """() => new Promise((resolve) => {
             const open = indexedDB.open("gist-patient-app");
             open.onsuccess = () => {
               const all = open.result.transaction("outbox").objectStore("outbox").getAll();
               all.onsuccess = () => resolve(all.result.map((item) => item.client_id));
             };
           })"""
    )
    assert queued_ids == []  # sent, so gone from the outbox
    assert stored.taken_at is not None and stored.state == "taken"
    assert page.problems == []


# ---------------------------------------------------------------- offline


def open_symptom_list(page: Page) -> None:
    """The Symptoms tab asks the red flags first; "None of these" leads to the list."""
    page.get_by_role("link", name="Symptoms").tap()
    expect(page.get_by_role("group", name="Do you have any of these now?")).to_be_visible()
    page.get_by_role("link", name="None of these").tap()
    expect(page.get_by_role("link", name="Nausea")).to_be_visible()


def report_nausea(page: Page, *, how_often: str, how_bad: str, note: str = "") -> None:
    open_symptom_list(page)
    page.get_by_role("link", name="Nausea").tap()
    page.get_by_text(how_often, exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    page.get_by_text(how_bad, exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    if note:
        page.get_by_label("A note for your care team").fill(note)
    page.get_by_role("button", name="Send report").tap()


def test_offline_dose_and_symptom_survive_a_reload_and_are_sent_once_when_back_online(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    expect(dose_card(page).get_by_role("button", name="Taken")).to_be_visible()
    wait_for_service_worker(page)
    page.context.set_offline(True)
    expect(page.get_by_text("You are offline.", exact=False).first).to_be_visible()

    dose_card(page).get_by_role("button", name="Taken").tap()
    expect(dose_card(page)).to_contain_text("Waiting to send")
    report_nausea(page, how_often="occasionally", how_bad="mild", note="After lunch")
    expect(page.get_by_role("heading", name="Saved on this phone")).to_be_visible()

    # The page is reloaded with no network: the shell comes from the service worker's cache,
    # the outbox from IndexedDB.
    page.reload()
    expect(page.get_by_role("heading", name="Report a symptom", level=1)).to_be_visible()
    page.get_by_role("link", name="Today").tap()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(dose_card(page)).to_contain_text("Waiting to send")
    expect(page.get_by_text("Showing what this phone saved on")).to_be_visible()
    expect(dose_card(page)).to_contain_text("Taken at")
    page.screenshot(path=str(artifacts / "patient-app-offline-waiting.png"), full_page=True)
    page.get_by_role("link", name="History").tap()
    reports = page.locator(".report")
    expect(reports).to_have_count(1)
    expect(reports.first).to_contain_text("Waiting to send")
    expect(reports.first).to_contain_text("occasionally")
    assert not ScheduledDose.objects.logged().exists()
    assert not SideEffectReport.objects.exists()

    page.context.set_offline(False)  # the online event sends the outbox
    expect(reports.first).not_to_contain_text("Waiting to send", timeout=20_000)
    page.get_by_role("link", name="Today").tap()
    expect(dose_card(page).locator(".badge")).to_have_text(re.compile(r"Taken$"))
    page.screenshot(path=str(artifacts / "patient-app-back-online.png"), full_page=True)

    log = ScheduledDose.objects.logged().get()
    report = SideEffectReport.objects.get()
    assert (log.patient_id, log.state) == (patient.pk, "taken")
    assert (report.symptom, report.patient_scores, report.note) == (
        "nausea",
        {"frequency": 2, "severity": 1},
        "After lunch",
    )
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()
    assert page.problems == []


# ---------------------------------------------------------------- lost answers and refusals


def test_a_resend_after_a_5xx_and_a_lost_response_creates_no_duplicate(
    live_server, open_phone, nurse, patient, zone
):
    """The first POST gets a 503 (kept, retried); the second reaches the server, which stores
    the dose, but the answer never reaches the phone (kept, retried); the third is answered
    200 for the same client_id, which counts as sent. One dose log in the end."""
    signed_in_patient(nurse, patient, zone)
    # Playwright routes the page's requests only when no service worker handles them.
    page = open_phone(service_workers="block")
    posts: list[Any] = []

    def flaky(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.post_data_json)
        if len(posts) == 1:
            route.fulfill(
                status=503,
                content_type="application/json",
                body=json.dumps({"code": "unavailable", "detail": "Try later.", "errors": []}),
            )
        elif len(posts) == 2:
            answer = route.fetch()  # the server stores the dose...
            assert answer.status == 201
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/me/doses/$"), flaky)
    sign_in_in_app(page, live_server, patient.user.username)
    dose_card(page).get_by_role("button", name="Taken").tap()
    expect(dose_card(page)).to_contain_text("Waiting to send")
    expect(dose_card(page).locator(".badge")).to_have_text(re.compile(r"Taken$"), timeout=30_000)

    assert len(posts) == 3
    assert len({post["client_id"] for post in posts}) == 1
    log = ScheduledDose.objects.logged().get()
    assert str(log.client_id) == posts[0]["client_id"]
    assert page.problems == []


def test_a_refusal_is_shown_with_the_servers_reason_and_kept_until_dismissed(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    expect(dose_card(page).get_by_role("button", name="Taken")).to_be_visible()
    # Meanwhile the dose is logged from another phone: this one's log is a 409.
    today = client_for(patient.user).get("/api/v1/me/today/").json()["doses"][0]
    other_phone = client_for(patient.user).post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid.uuid4()),
            "date": today["date"],
            "slot": 1,
            "status": "skipped",
            "skip_reason": "travel",
        },
        format="json",
    )
    assert other_phone.status_code == 201

    dose_card(page).get_by_role("button", name="Taken").tap()
    card = dose_card(page)
    expect(card).to_contain_text("Not sent")
    expect(card).to_contain_text("This dose already has a log; correct it instead")
    page.screenshot(path=str(artifacts / "patient-app-refused.png"), full_page=True)
    page.reload()  # still there: a refusal leaves only when the patient has read it
    expect(dose_card(page)).to_contain_text("This dose already has a log")
    dose_card(page).get_by_role("button", name="OK, remove it").tap()
    expect(dose_card(page).locator(".badge")).to_have_text(re.compile(r"Skipped$"))
    expect(dose_card(page)).to_contain_text("Travelling")
    assert ScheduledDose.objects.logged().get().state == "skipped"
    assert page.problems == []


# ---------------------------------------------------------------- languages


def test_the_spanish_ui_follows_the_patients_profile_and_the_browser(
    live_server, open_phone, nurse, zone, artifacts
):
    patient_id, code = enrol(nurse, zone, language="es")
    TreatmentPlanFactory.create(
        patient=Patient.objects.get(pk=patient_id), created_by=nurse, **due_today(zone)
    )
    patient = Patient.objects.get(pk=patient_id)
    page = open_phone(locale="en-GB")
    activate_in_app(page, live_server, code)  # the browser speaks English...

    # ...but the patient's profile says Spanish.
    expect(page.get_by_role("heading", name="Hoy", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("navigation")).to_contain_text("Historial")
    card = dose_card(page)
    expect(card).to_contain_text("Por tomar")
    expect(page.locator(".plan-day")).to_contain_text("Día 1 de")
    weekday = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"][
        local_now(zone).weekday()
    ]
    expect(page.locator(".lead")).to_contain_text(weekday)
    card.get_by_role("button", name="Tomada").tap()
    expect(card.locator(".badge")).to_have_text(re.compile(r"Tomada$"))
    page.screenshot(path=str(artifacts / "patient-app-es-today.png"), full_page=True)

    page.get_by_role("link", name="Síntomas").tap()
    page.get_by_role("link", name="Nada de esto").tap()
    page.get_by_role("link", name="Náuseas").tap()
    expect(page.get_by_role("group")).to_contain_text("¿con qué frecuencia")
    expect(page.get_by_text("a veces", exact=True)).to_be_visible()
    page.screenshot(path=str(artifacts / "patient-app-es-symptom.png"), full_page=True)

    # Settings: back to English on this phone, and the pushes follow.
    page.get_by_role("link", name="Ajustes").tap()
    page.get_by_label("Idioma de la aplicación").select_option("en")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    patient.refresh_from_db()
    phone_api = client_for(patient.user)
    for _ in range(50):  # the preference is saved in the background
        if phone_api.get("/api/v1/me/notification-preferences/").json()["language"] == "en":
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the push language was not changed to English")

    # A signed-out phone whose browser speaks Spanish gets Spanish from the start.
    other = open_phone(locale="es-ES")
    other.goto(f"{live_server.url}/app/")
    expect(other.get_by_role("link", name="Tengo un código de invitación")).to_be_visible()
    expect(other).to_have_title(re.compile("Diario de imatinib"))
    assert page.problems == [] and other.problems == []


# ---------------------------------------------------------------- side effects


def test_a_severe_report_tells_the_patient_the_care_team_knows_and_what_to_do(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    report_nausea(page, how_often="frequently", how_bad="severe", note="Since Monday")

    expect(page.get_by_role("heading", name="Your care team has been told")).to_be_visible()
    expect(page.get_by_role("heading", name="In an emergency")).to_be_visible()
    expect(page.get_by_text("phone your emergency number")).to_be_visible()
    page.screenshot(path=str(artifacts / "patient-app-severe-report.png"), full_page=True)
    alert = Alert.objects.get(patient=patient)
    assert (alert.kind, alert.symptom, alert.priority) == ("severe_symptom", "nausea", "high")
    assert SideEffectReport.objects.get().care_team_alerted is True
    # Issue 22: the Symptoms tab, tapped on this outcome, starts a new report (it did nothing).
    page.get_by_role("link", name="Symptoms").tap()
    expect(page.get_by_role("heading", name="Report a symptom", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Your care team has been told")).to_have_count(0)

    page.get_by_role("link", name="History").tap()
    report = page.locator(".report").first
    expect(report).to_contain_text("Nausea")
    expect(report.locator("dt")).to_have_text(["How often", "How bad"])
    expect(report.locator("dd")).to_have_text(["frequently", "severe"])
    expect(report).to_contain_text("Your care team was told.")
    expect(page.locator(".calendar .day-today")).to_contain_text("Not taken yet")
    page.screenshot(path=str(artifacts / "patient-app-history.png"), full_page=True)
    assert page.problems == []


def test_a_mild_report_says_sent_and_never_that_the_care_team_was_told(
    live_server, open_phone, nurse, patient, zone
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    report_nausea(page, how_often="rarely", how_bad="mild")
    expect(page.get_by_role("heading", name=SENT)).to_be_visible()
    expect(page.get_by_text("Your care team has been told")).to_have_count(0)
    # The server's self-care instruction: keep taking it, with a meal for nausea.
    expect(page.get_by_text("Keep taking imatinib as prescribed", exact=False)).to_be_visible()
    expect(page.get_by_text("large glass of water", exact=False)).to_be_visible()
    assert not Alert.objects.exists()


# ---------------------------------------------------------------- red flags, rash, weight

CARE_TEAM_PHONE = "+34 910 000 111"
RED_FLAG_BUTTON = {"en": "Yes, I have what I ticked", "es": "Sí, tengo lo que he marcado"}


def give_the_care_team_a_phone(patient) -> None:
    """The care team's phone number (a care-team setting)."""
    team = type(patient.care_team)
    if "phone" in {field.name for field in team._meta.get_fields()}:
        team.objects.filter(pk=patient.care_team_id).update(phone=CARE_TEAM_PHONE)


def served_care_team(patient) -> str:
    """GET /api/v1/me/ hands the app the care team's phone and the emergency number; returns
    the emergency number."""
    me = client_for(patient.user).get("/api/v1/me/").json()
    assert "care_team" in me, "GET /api/v1/me/ has no care_team yet (server side)"
    assert me["care_team"]["phone"] == CARE_TEAM_PHONE
    return me["care_team"]["emergency_number"]


def tel(number: str) -> str:
    return "tel:" + re.sub(r"[^\d+*#]", "", number)


def tick_red_flags(page: Page, *flags: str, language: str = "en") -> None:
    page.get_by_role("link", name={"en": "Symptoms", "es": "Síntomas"}[language]).tap()
    for flag in flags:
        page.get_by_role("checkbox", name=flag).check()
    page.get_by_role("button", name=RED_FLAG_BUTTON[language]).tap()


def red_flag_alerts(patient):
    return list(Alert.objects.filter(patient=patient).values_list("kind", "symptom", "priority"))


def test_a_red_flag_shows_call_the_emergency_number_and_raises_one_urgent_alert(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    page.get_by_role("link", name="Symptoms").tap()
    expect(page.get_by_role("group", name="Do you have any of these now?")).to_be_visible()
    boxes = page.locator(".flags input[type=checkbox]")
    expect(boxes).to_have_count(9)
    page.screenshot(path=str(artifacts / "patient-app-red-flags.png"), full_page=True)
    give_the_care_team_a_phone(patient)  # after sign-in: the number comes with the answer

    page.get_by_role("checkbox", name="Black, tarry or bloody stools (poo)").check()
    page.get_by_role("button", name=RED_FLAG_BUTTON["en"]).tap()
    expect(
        page.get_by_role("heading", name="Call the emergency number now", level=1)
    ).to_be_visible()
    call = page.locator("#call-emergency")
    expect(call).to_have_text(re.compile(r"Call \d+"))
    expect(call).to_have_attribute("href", re.compile(r"^tel:\d+$"))
    expect(page.get_by_text("Then tell your care team what is happening.")).to_be_visible()
    expect(page.locator(".you-said")).to_contain_text("Black, tarry or bloody stools")
    page.screenshot(path=str(artifacts / "patient-app-red-flag-emergency.png"), full_page=True)
    expect(page.locator(".delivery-box")).to_contain_text("Your care team has been told")
    emergency = served_care_team(patient)
    expect(call).to_have_text(f"✆Call {emergency}")
    expect(call).to_have_attribute("href", tel(emergency))
    expect(
        page.get_by_role("link", name=f"Call your care team: {CARE_TEAM_PHONE}")
    ).to_have_attribute("href", tel(CARE_TEAM_PHONE))
    page.screenshot(path=str(artifacts / "patient-app-red-flag-emergency-sent.png"), full_page=True)

    report = SideEffectReport.objects.get()
    assert (report.symptom, report.patient_scores) == ("black_stools", {"presence": 1})
    assert red_flag_alerts(patient) == [("red_flag", "black_stools", "urgent")]

    # History says what was reported, in plain words.
    page.get_by_role("link", name="History").tap()
    expect(page.locator(".report").first).to_contain_text("Black, tarry or bloody stools")
    assert page.problems == []


def test_red_flags_in_spanish_tell_the_patient_to_call_the_care_team_now(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    patient.language = "es"
    patient.save(update_fields=["language"])
    signed_in_patient(nurse, patient, zone)
    give_the_care_team_a_phone(patient)  # before sign-in: kept on the phone from GET me/
    page = open_phone(locale="es-ES")
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Nombre de usuario").fill(patient.user.username)
    page.get_by_label("Contraseña").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Entrar").tap()
    expect(page.get_by_role("heading", name="Hoy", level=1)).to_be_visible()

    page.get_by_role("link", name="Síntomas").tap()
    expect(page.get_by_role("group", name="¿Tiene ahora alguna de estas cosas?")).to_be_visible()
    for words in [
        "Heces negras, alquitranadas o con sangre",
        "Vomitar sangre o algo parecido a posos de café",
        "Dolor de barriga fuerte",
        "Falta de aire (nueva o peor que antes)",
        "Dolor en el pecho",
        "Piel u ojos amarillos, u orina oscura",
        "Fiebre de 38 °C o más",
        "Sangrado o moratones poco habituales",
        "Ampollas, piel que se pela o llagas en la boca o en los ojos",
    ]:
        expect(page.get_by_role("checkbox", name=words)).to_be_visible()
    page.screenshot(path=str(artifacts / "patient-app-es-red-flags.png"), full_page=True)
    page.get_by_role("checkbox", name="Piel u ojos amarillos, u orina oscura").check()
    page.get_by_role("button", name=RED_FLAG_BUTTON["es"]).tap()

    expect(
        page.get_by_role("heading", name="Llame ahora a su equipo de cuidados", level=1)
    ).to_be_visible()
    expect(page.locator("#call-emergency")).to_have_text(re.compile(r"Llamar al \d+"))
    page.screenshot(path=str(artifacts / "patient-app-es-red-flag-call-now.png"), full_page=True)
    emergency = served_care_team(patient)
    team = page.get_by_role("link", name=f"Llamar a su equipo de cuidados: {CARE_TEAM_PHONE}")
    expect(team).to_have_attribute("href", tel(CARE_TEAM_PHONE))
    expect(page.get_by_role("link", name=f"Llamar al {emergency}")).to_have_attribute(
        "href", tel(emergency)
    )
    expect(page.locator(".delivery-box")).to_contain_text("Se ha avisado a su equipo de cuidados")
    page.screenshot(path=str(artifacts / "patient-app-es-red-flag-sent.png"), full_page=True)
    report = SideEffectReport.objects.get()
    assert (report.symptom, report.patient_scores) == ("jaundice", {"presence": 1})
    assert red_flag_alerts(patient) == [("red_flag", "jaundice", "urgent")]

    # "Nada de esto" goes on to the ordinary list.
    page.get_by_role("link", name="Síntomas").tap()
    page.get_by_role("link", name="Nada de esto").tap()
    expect(page.get_by_role("link", name="Náuseas")).to_be_visible()
    expect(page.get_by_role("link", name="Heces negras, alquitranadas o con sangre")).to_have_count(
        0
    )
    assert page.problems == []


def test_offline_the_red_flag_instruction_shows_at_once_and_the_report_is_sent_once(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    give_the_care_team_a_phone(patient)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)  # keeps GET me/ and the catalogue
    wait_for_service_worker(page)
    page.wait_for_function(
        """() => new Promise((resolve) => {
             const open = indexedDB.open("gist-patient-app");
             open.onsuccess = () => {
               const all = open.result.transaction("cache").objectStore("cache").getAllKeys();
               all.onsuccess = () => resolve(all.result.some((key) => key.endsWith(":catalogue")));
             };
           })"""
    )
    page.context.set_offline(True)

    tick_red_flags(page, "Short of breath (new or worse)", "A fever of 38 °C or more")
    expect(
        page.get_by_role("heading", name="Call the emergency number now", level=1)
    ).to_be_visible()
    expect(page.locator("#call-emergency")).to_have_attribute("href", re.compile(r"^tel:\d+$"))
    expect(page.locator(".delivery-box")).to_contain_text("saved on this phone")
    page.screenshot(path=str(artifacts / "patient-app-red-flag-offline.png"), full_page=True)
    assert not SideEffectReport.objects.exists()
    emergency = served_care_team(patient)
    expect(page.locator("#call-emergency")).to_have_attribute("href", tel(emergency))
    expect(page.get_by_role("link", name=f"Call your care team: {CARE_TEAM_PHONE}")).to_be_visible()

    page.context.set_offline(False)  # the online event sends the outbox
    expect(page.locator(".delivery-box")).to_contain_text(
        "Your care team has been told", timeout=20_000
    )
    stored = sorted(SideEffectReport.objects.values_list("symptom", "patient_scores"))
    assert stored == [("breathlessness", {"presence": 1}), ("fever", {"presence": 1})]
    assert sorted(red_flag_alerts(patient)) == [
        ("red_flag", "breathlessness", "urgent"),
        ("red_flag", "fever", "urgent"),
    ]
    page.reload()  # nothing is sent twice
    expect(page.get_by_role("heading", name="Report a symptom", level=1)).to_be_visible()
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()
    assert SideEffectReport.objects.count() == 2
    assert page.problems == []


def test_a_rash_asks_its_follow_ups_and_mouth_sores_say_call_now(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    open_symptom_list(page)
    page.get_by_role("link", name="Rash").tap()
    page.get_by_text("yes", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    expect(page.get_by_role("group")).to_contain_text("How much of your body")
    expect(page.get_by_text("Question 2 of 5")).to_be_visible()
    page.get_by_text("a larger area (about 10 to 30%)", exact=True).tap()
    page.screenshot(path=str(artifacts / "patient-app-rash-body-area.png"), full_page=True)
    page.get_by_role("button", name="Next").tap()
    for answer in ["no", "yes", "no"]:  # blisters, mouth or eye sores, fever
        page.get_by_text(answer, exact=True).tap()
        page.get_by_role("button", name="Next").tap()
    page.get_by_role("button", name="Send report").tap()

    expect(page.get_by_role("heading", name="Call your care team now", level=1)).to_be_visible()
    expect(page.locator(".delivery-box")).to_contain_text("Your care team has been told")
    page.screenshot(path=str(artifacts / "patient-app-rash-call-now.png"), full_page=True)
    report = SideEffectReport.objects.get()
    assert report.symptom == "rash"
    assert {key: int(value) for key, value in report.patient_scores.items()} == {
        "presence": 1,
        "body_area": 1,
        "blisters": 0,
        "mouth_eye_sores": 1,
        "fever": 0,
    }

    # A rash answered "no" asks nothing more.
    page.get_by_role("button", name="Report another symptom").tap()
    page.get_by_role("link", name="Rash").tap()
    page.get_by_text("no", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    expect(page.get_by_role("heading", name="Anything else?")).to_be_visible()
    page.get_by_role("button", name="Send report").tap()
    expect(page.get_by_role("heading", name=SENT)).to_be_visible()
    assert page.problems == []


def test_weight_shows_the_last_value_and_goes_through_the_outbox(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    api = client_for(patient.user)
    earlier = (local_now(zone) - timedelta(days=3)).date()
    first = api.post(
        "/api/v1/me/weights/",
        {"client_id": str(uuid.uuid4()), "weight_kg": "71.0", "measured_on": earlier.isoformat()},
        format="json",
    )
    assert first.status_code == 201, first.content
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    wait_for_service_worker(page)
    open_symptom_list(page)
    day_month = (
        "(date) => new Intl.DateTimeFormat('en-GB',"
        " {day: 'numeric', month: 'short', timeZone: 'UTC'}).format(new Date(date))"
    )
    shown = page.evaluate(day_month, earlier.isoformat())
    expect(page.locator("#weight-last")).to_contain_text(f"Last: 71.0 kg on {shown}")

    page.get_by_label("Today's weight in kg").fill("72,4")
    page.get_by_role("button", name="Save weight").tap()
    expect(page.locator("#weight-message")).to_have_text("Weight saved. Your care team can see it.")
    today = page.evaluate(day_month, local_now(zone).date().isoformat())
    expect(page.locator("#weight-last")).to_contain_text(f"Last: 72.4 kg on {today}")
    expect(page.locator("#weight-last")).to_contain_text("+1.4 kg since your first weight")
    page.screenshot(path=str(artifacts / "patient-app-weight.png"), full_page=True)

    page.context.set_offline(True)
    page.get_by_label("Today's weight in kg").fill("72.9")
    page.get_by_role("button", name="Save weight").tap()
    expect(page.locator("#weight-message")).to_contain_text("Weight saved on this phone.")
    expect(page.locator("#weight-last")).to_contain_text("Last: 72.9 kg")
    expect(page.locator("#weight-last")).to_contain_text("Waiting to send")
    page.screenshot(path=str(artifacts / "patient-app-weight-offline.png"), full_page=True)
    page.context.set_offline(False)
    expect(page.locator("#weight-last")).not_to_contain_text("Waiting to send", timeout=20_000)
    weights = api.get("/api/v1/me/weights/").json()
    assert [w["weight_kg"] for w in weights][:2] in (["72.9", "72.4"], [72.9, 72.4])
    assert len(weights) == 3
    assert page.problems == []


def test_the_phone_never_shows_a_red_flag_as_less_urgent_than_its_catalogue(
    live_server, open_phone
):
    """triage.js: the server's instruction replaces the phone's only when it is at least as
    urgent; a rash follow-up "yes" is the matching red flag's level."""
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", name="Welcome", level=1)).to_be_visible()
    got = page.evaluate(
        """async () => {
             const triage = await import("/static/patientapp/js/triage.js");
             const screen = (local, server) => {
               const element = triage.instructionScreen({
                 local, server, team: { name: "", phone: "", emergency_number: "999" },
                 labels: [], delivery: { state: "sent", told: true }, actions: null,
               });
               return [
                 element.dataset.level,
                 element.querySelector(".instruction-lead").textContent,
                 element.querySelector("#call-emergency").getAttribute("href"),
               ];
             };
             const catalogue = { symptoms: [
               { code: "fever", red_flag: true, instruction_level: "call_now" },
               { code: "blistering_rash", red_flag: true, instruction_level: "emergency" },
             ] };
             const rash = { code: "rash", red_flag: false };
             return {
               screens: [
                 screen("emergency", { level: "self_care", text: "Rest.", phone: "" }),
                 screen("call_now", { level: "emergency", text: "Call 999 now.", phone: "" }),
                 screen("call_now", null),
               ],
               levels: [
                 { presence: 1, blisters: 0, mouth_eye_sores: 0, fever: 1 },
                 { presence: 1, blisters: 1, mouth_eye_sores: 0, fever: 1 },
                 { presence: 1, blisters: 0, mouth_eye_sores: 0, fever: 0 },
               ].map((scores) => triage.localLevel(catalogue, rash, scores))
                .concat([triage.localLevel(catalogue, catalogue.symptoms[0], { presence: 0 })]),
             };
           }"""
    )
    emergency_body = catalogue("en")["instruction.emergency_body"]
    call_now_body = catalogue("en")["instruction.call_now_body"]
    assert got["screens"] == [
        ["emergency", emergency_body, "tel:999"],
        ["emergency", "Call 999 now.", "tel:999"],
        ["call_now", call_now_body, "tel:999"],
    ]
    assert got["levels"] == ["call_now", "emergency", None, None]
    assert page.problems == []


# ---------------------------------------------------------------- plans: ongoing, holds


def test_an_indefinite_plan_with_two_doses_taken_earlier_and_skipped(
    live_server, open_phone, nurse, patient, zone
):
    now = local_now(zone)
    first, second = hhmm(now - timedelta(hours=2)), hhmm(now - timedelta(minutes=10))
    signed_in_patient(
        nurse, patient, zone, case=ADVANCED_KIT_EXON_9_CASE, dose_times=[first, second]
    )
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    expect(page.locator(".plan-day")).to_have_text("Day 1")
    expect(page.locator(".plan-end")).to_have_text("Ongoing: no end date")
    expect(page.locator(".plan-dose")).to_have_text("800 mg a day")

    taken_at = now - timedelta(hours=1, minutes=50)
    # Dose 2's time has come, so it is the due card (first); dose 1 says skip it (issue 22).
    dose_card(page, 1).get_by_text("I took it earlier").tap()
    dose_card(page, 1).get_by_label("What time did you take it?").fill(hhmm(taken_at))
    dose_card(page, 1).get_by_role("button", name="Save this time").tap()
    expect(dose_card(page, 1).locator(".badge")).to_have_text(re.compile(r"Taken$"))

    dose_card(page, 2).get_by_text("Skip this dose").tap()
    dose_card(page, 2).get_by_role("button", name="Skip the dose").tap()
    expect(dose_card(page, 2)).to_contain_text("Choose a reason.")
    dose_card(page, 2).get_by_text("I forgot").tap()
    dose_card(page, 2).get_by_role("button", name="Skip the dose").tap()
    expect(dose_card(page, 2).locator(".badge")).to_have_text(re.compile(r"Skipped$"))
    expect(dose_card(page, 2)).to_contain_text("Reason: I forgot")

    logs = {log.slot: log for log in ScheduledDose.objects.logged().all()}
    assert logs[1].state == "taken"
    assert logs[1].taken_at.astimezone(ZoneInfo(zone)).strftime("%H:%M") == hhmm(taken_at)
    assert (logs[2].state, logs[2].skip_reason) == ("skipped", "forgot")
    assert page.problems == []


def test_during_a_hold_the_patient_is_told_plainly_and_cannot_log(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    today = local_now(zone).date()
    response = client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plan/holds/",
        {
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=3)).isoformat(),
            "reason": "grade 3 rash",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    expect(page.get_by_role("heading", name="Your treatment is paused")).to_be_visible()
    expect(page.get_by_text("Do not take it until they tell you to start again.")).to_be_visible()
    restart = today + timedelta(days=4)
    expect(page.get_by_text("They plan for you to start again on")).to_contain_text(
        str(restart.year)
    )
    expect(dose_card(page)).to_contain_text("Paused")
    expect(page.get_by_role("button", name="Taken")).to_have_count(0)
    page.screenshot(path=str(artifacts / "patient-app-hold.png"), full_page=True)
    assert page.problems == []


# ---------------------------------------------------------------- signing out


def test_sign_out_revokes_this_phone_and_sign_out_everywhere_every_device(
    live_server, open_phone, nurse, patient, zone
):
    signed_in_patient(nurse, patient, zone)
    client_for(patient.user)  # a token on another device
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    assert AuthToken.objects.filter(user=patient.user).count() == 2

    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_text(f"Signed in as {patient.user.username}.")).to_be_visible()
    page.get_by_role("button", name="Sign out on this phone").tap()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert AuthToken.objects.filter(user=patient.user).count() == 1  # the other device's
    assert page.evaluate("localStorage.getItem('gist.session')") is None

    sign_in_in_app(page, live_server, patient.user.username)
    page.get_by_role("link", name="Settings").tap()
    page.get_by_role("button", name="Sign out everywhere").tap()
    expect(page.get_by_text("You have signed out on every phone and computer.")).to_be_visible()
    assert AuthToken.objects.filter(user=patient.user).count() == 0
    assert page.problems == []


def test_a_revoked_sign_in_sends_the_patient_to_sign_in_again(
    live_server, open_phone, nurse, patient, zone
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    page.wait_for_load_state("networkidle")  # the start-up reads are done
    AuthToken.objects.filter(user=patient.user).delete()  # "sign out everywhere" elsewhere
    page.reload()
    expect(page.get_by_text("Your sign-in has ended. Please sign in again.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.reload()  # a phone that has been signed in before opens at "Sign in"
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_staff_are_sent_to_the_dashboard(live_server, open_phone, nurse):
    page = open_phone()
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("This app is for patients.")).to_be_visible()
    assert AuthToken.objects.filter(user=nurse).count() == 0


# ---------------------------------------------------------------- reminders


FIREBASE_WEB_CONFIG = {
    "apiKey": "test-key",
    "projectId": "gist-test",
    "messagingSenderId": "1234",
    "appId": "1:1234:web:abcd",
}
FAKE_FCM_TOKEN = "fcm-web-token:from_fake_firebase_1"
FIREBASE_HOSTS = re.compile(
    r"^https://(firebaseinstallations|fcmregistrations)\.googleapis\.com/.*"
)
SDK_FILES = re.compile(r"/static/patientapp/vendor/firebase-13\.2\.0/firebase-[a-z]+\.js$")

# Page scripts run before the app's. B64 turns an applicationServerKey into the VAPID key's
# base64url, to compare with the server's setting.
B64 = """const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/[+]/g, "-").replace(/[/]/g, "_").replace(/=+$/, "");"""
# Records PushManager.subscribe() (what Firebase's getToken() calls on the registration it is
# given) and lets the browser's real push service answer.
RECORD_SUBSCRIBE = f"""(() => {{
  {B64}
  const calls = (window.subscribeCalls = []);
  const real = PushManager.prototype.subscribe;
  PushManager.prototype.subscribe = function (options) {{
    calls.push({{ manager: this, visible: options.userVisibleOnly,
                  key: b64(options.applicationServerKey) }});
    return real.call(this, options);
  }};
}})();"""
# Stands in for the browser's push service, which needs Google's servers (not reachable in a
# test): a subscription with a made-up endpoint and keys, as Chromium would return.
FAKE_PUSH_SERVICE = f"""(() => {{
  {B64}
  const calls = (window.subscribeCalls = []);
  let subscription = null;
  const key = (length, fill) => new Uint8Array(length).fill(fill).buffer;
  PushManager.prototype.getSubscription = async function () {{ return subscription; }};
  PushManager.prototype.subscribe = async function (options) {{
    calls.push({{ manager: this, visible: options.userVisibleOnly,
                  key: b64(options.applicationServerKey) }});
    subscription = {{
      endpoint: "https://push.example.test/send/phone-1",
      options,
      getKey: (name) => (name === "p256dh" ? key(65, 4) : key(16, 7)),
      toJSON: () => ({{}}),
      unsubscribe: async () => true,
    }};
    return subscription;
  }};
}})();"""
# Chromium's own console error when a page in an incognito context subscribes.
INCOGNITO_PUSH = "Chrome currently does not support the Push API in incognito mode"
SUBSCRIBE_CALLS = """async () => {
  const registration = await navigator.serviceWorker.getRegistration("/app/");
  return window.subscribeCalls.map((call) => ({
    key: call.key,
    visible: call.visible,
    app_worker: call.manager === registration.pushManager
      && new URL(registration.active.scriptURL).pathname === "/app/sw.js",
  }));
}"""


def vapid_public_key() -> str:
    """A real P-256 public key, base64url as the Firebase console shows it: the browser's
    subscribe() refuses anything else before it gets anywhere."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def configure_push(settings) -> str:
    key = vapid_public_key()
    settings.PATIENT_APP_FIREBASE_CONFIG = FIREBASE_WEB_CONFIG
    settings.PATIENT_APP_FIREBASE_VAPID_KEY = key
    return key


def fake_firebase(page: Page, *, refuse: bool = False) -> list[dict]:
    """Answer Firebase Installations and FCM registrations as Google does (or with a 403
    while `refuse`); returns the requests seen. Routed on the context, so requests that pass
    through the app's service worker are caught too."""
    seen: list[dict] = []
    cors = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE",
        "Access-Control-Allow-Headers": "Content-Type, Accept, x-goog-api-key, "
        "x-goog-firebase-installations-auth, x-firebase-client, Authorization",
    }

    def answer(route: Route) -> None:
        request = route.request
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        seen.append(
            {
                "url": request.url,
                "method": request.method,
                "headers": request.headers,
                "body": request.post_data_json,
            }
        )
        if refuse:
            body: dict[str, Any] = {
                "error": {"code": 403, "message": "Refused.", "status": "PERMISSION_DENIED"}
            }
            route.fulfill(status=403, headers=cors, json=body)
        elif "firebaseinstallations" in request.url:
            installation = request.post_data_json
            assert installation is not None
            fid = installation["fid"]
            body = {
                "name": f"projects/1234/installations/{fid}",
                "fid": fid,
                "refreshToken": "fake-refresh-token",
                "authToken": {"token": "fake-fis-auth-token", "expiresIn": "604800s"},
            }
            route.fulfill(status=200, headers=cors, json=body)
        else:
            route.fulfill(status=200, headers=cors, json={"token": FAKE_FCM_TOKEN})

    page.context.route(FIREBASE_HOSTS, answer)
    return seen


def sdk_requests(page: Page) -> list[str]:
    """The URLs of the Firebase SDK's files this page fetches, as they happen."""
    urls: list[str] = []

    def seen(request) -> None:
        if SDK_FILES.search(request.url):
            urls.append(request.url)

    page.context.on("request", seen)
    return urls


def test_without_a_firebase_config_settings_say_push_is_not_set_up(
    live_server, open_phone, nurse, patient, zone
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    loaded = sdk_requests(page)
    sign_in_in_app(page, live_server, patient.user.username)
    dose_card(page).get_by_role("button", name="Taken").tap()
    expect(dose_card(page).locator(".badge")).to_have_text(re.compile(r"Taken$"))
    expect(page.get_by_text("Reminders on this phone?")).to_have_count(0)  # nothing to offer
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_text("Push reminders are not set up on this server.")).to_be_visible()
    assert "googleapis" not in page.evaluate("document.documentElement.outerHTML")
    assert loaded == []  # the SDK is never loaded
    assert page.problems == []


def test_with_a_firebase_config_the_app_offers_reminders_and_says_so_when_no_token_comes(
    live_server, open_phone, nurse, patient, zone, settings
):
    """Chromium's real push service: Playwright's contexts are incognito ones, where Chromium
    refuses the Push API outright (and logs so), and a real subscription would need Google's
    servers anyway, which this sandbox cannot reach: no token comes. What can be checked: the
    SDK is loaded only after the patient says yes, getToken() subscribes the app's own worker
    with the server's VAPID key, and the patient is told, with no page error."""
    vapid_key = configure_push(settings)
    signed_in_patient(nurse, patient, zone)
    page = open_phone(permissions=["notifications"])
    page.add_init_script(RECORD_SUBSCRIBE)
    loaded = sdk_requests(page)
    firebase = fake_firebase(page)
    sign_in_in_app(page, live_server, patient.user.username)
    wait_for_service_worker(page)
    expect(page.get_by_text("Reminders on this phone?")).to_have_count(0)  # not at once
    dose_card(page).get_by_role("button", name="Taken").tap()
    expect(page.get_by_role("heading", name="Reminders on this phone?")).to_be_visible()
    assert loaded == []  # not before the patient agrees
    page.get_by_role("button", name="Yes, remind me").tap()
    expect(page.get_by_text("reminders could not be set up on this phone")).to_be_visible(
        timeout=40_000
    )
    assert sorted(url.rsplit("/", 1)[1] for url in set(loaded)) == [
        "firebase-app.js",
        "firebase-messaging.js",
    ]
    assert page.evaluate(SUBSCRIBE_CALLS) == [
        {"key": vapid_key, "visible": True, "app_worker": True}
    ]
    assert firebase == []  # no subscription, so nothing to register with FCM
    assert not Device.objects.filter(user=patient.user).exists()
    assert [problem for problem in page.problems if INCOGNITO_PUSH not in problem] == []
    # Settings still offers it, to try again.
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_role("button", name="Turn on reminders")).to_be_visible()

    # The registration itself, with a token as Firebase would give it.
    device = page.evaluate(
        """async () => {
             const push = await import("/static/patientapp/js/push.js");
             return push.registerDevice("fcm-web-token:abc_123");
           }"""
    )
    assert device["platform"] == "web"
    stored = Device.objects.get(user=patient.user)
    assert (stored.token, stored.platform, stored.active) == ("fcm-web-token:abc_123", "web", True)


def test_with_a_push_service_the_app_gets_a_token_from_firebase_and_registers_it(
    live_server, open_phone, nurse, patient, zone, settings
):
    """The browser's push service is faked in the page (see FAKE_PUSH_SERVICE) and Firebase's
    hosts are answered by the test: the vendored SDK runs for real, through the page's CSP,
    from the first request to Firebase to the token the server stores. At the next start the
    app registers the token again."""
    vapid_key = configure_push(settings)
    signed_in_patient(nurse, patient, zone)
    page = open_phone(permissions=["notifications"])
    page.add_init_script(FAKE_PUSH_SERVICE)
    firebase = fake_firebase(page)
    sign_in_in_app(page, live_server, patient.user.username)
    wait_for_service_worker(page)
    dose_card(page).get_by_role("button", name="Taken").tap()
    page.get_by_role("button", name="Yes, remind me").tap()
    expect(page.get_by_text("Reminders are on for this phone.")).to_be_visible()

    assert page.evaluate(SUBSCRIBE_CALLS) == [
        {"key": vapid_key, "visible": True, "app_worker": True}
    ]
    installation, registration = firebase
    assert (installation["method"], installation["url"]) == (
        "POST",
        "https://firebaseinstallations.googleapis.com/v1/projects/gist-test/installations",
    )
    assert installation["headers"]["x-goog-api-key"] == "test-key"
    assert installation["body"]["appId"] == "1:1234:web:abcd"
    assert (registration["method"], registration["url"]) == (
        "POST",
        "https://fcmregistrations.googleapis.com/v1/projects/gist-test/registrations",
    )
    assert registration["headers"]["x-goog-firebase-installations-auth"] == (
        "FIS fake-fis-auth-token"
    )
    web = registration["body"]["web"]
    assert web["endpoint"] == "https://push.example.test/send/phone-1"
    assert web["applicationPubKey"] == vapid_key
    device = Device.objects.get(user=patient.user)
    assert (device.token, device.platform, device.active) == (FAKE_FCM_TOKEN, "web", True)
    first_seen = device.last_seen_at
    page.get_by_role("link", name="Settings").tap()
    expect(page.locator("#reminder-state")).to_have_text("Reminders are on for this phone.")
    assert page.problems == []  # a CSP refusal would be a console error

    # The next start: the SDK's kept token (IndexedDB; no new FCM registration) is sent again.
    page.reload()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    for _ in range(100):
        device.refresh_from_db()
        if device.last_seen_at > first_seen:
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the token was not registered again at start")
    assert device.token == FAKE_FCM_TOKEN
    assert len(firebase) == 2
    assert page.problems == []

    # Signing out on this phone stops its reminders (issue 18: a shared phone must not show
    # the previous patient's): the token goes back in the request body.
    page.get_by_role("button", name="Sign out on this phone").tap()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    device.refresh_from_db()
    assert not device.active
    assert page.evaluate("localStorage.getItem('gist.push-token')") is None
    assert page.problems == []


def test_when_firebase_refuses_the_patient_is_told_in_their_language_and_can_try_again(
    live_server, open_phone, nurse, patient, zone, settings
):
    configure_push(settings)
    patient.language = "es"
    patient.save(update_fields=["language"])
    signed_in_patient(nurse, patient, zone)
    give_the_care_team_a_phone(patient)  # before sign-in: kept on the phone from GET me/
    page = open_phone(locale="es-ES", permissions=["notifications"])
    page.add_init_script(FAKE_PUSH_SERVICE)
    refusing = fake_firebase(page, refuse=True)
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Nombre de usuario").fill(patient.user.username)
    page.get_by_label("Contraseña").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    wait_for_service_worker(page)
    page.get_by_role("link", name="Ajustes").tap()
    page.get_by_role("button", name="Activar recordatorios").tap()
    expect(
        page.get_by_text("no se pudieron activar los recordatorios en este teléfono")
    ).to_be_visible()
    assert refusing  # Firebase was asked, and said no
    assert not Device.objects.filter(user=patient.user).exists()
    assert page.problems == []

    page.context.unroute(FIREBASE_HOSTS)
    fake_firebase(page)
    page.get_by_role("button", name="Activar recordatorios").tap()
    expect(page.locator("#reminder-state")).to_have_text(
        "Los recordatorios están activados en este teléfono."
    )
    assert Device.objects.get(user=patient.user).token == FAKE_FCM_TOKEN
    assert page.problems == []


def notifications_when_shown(page: Page, shown: str) -> list[dict[str, Any]]:
    """The worker's notifications once there are any (up to 10 s). Polled from here: the
    earlier page.wait_for_function on the promise's result returned at once (a pending
    promise is truthy), so the read after it raced the worker and failed under load."""
    for _ in range(100):
        listed: list[dict[str, Any]] = page.evaluate(shown)
        if listed:
            return listed
        page.wait_for_timeout(100)
    return []


def test_the_worker_shows_a_push_as_the_backend_sends_it(live_server, open_phone):
    """What notifications/fcm.py sends, as FCM hands it to the browser (the HTTP v1 message's
    notification, with webpush.notification over it, and its data), delivered to the app's
    worker through Chromium's DevTools protocol, the one way to push without a push service."""
    sent = fcm._fcm_message(
        fcm.PushMessage(
            token="fcm-web-token:abc",
            platform="web",
            title="Dose reminder",
            body="It is time for your 08:00 dose. Tap to log it.",
            data={"kind": "dose_reminder", "outbox_id": "41"},
            tag="n0123456789abcdef",
        )
    )
    v1 = messaging._MessagingService.encode_message(sent)
    payload = {
        "notification": {**v1["notification"], **v1["webpush"]["notification"]},
        "data": v1["data"],
        "from": "1234",
        "fcmMessageId": "0:1733000000000000%abc",
        "priority": "high",
    }
    page = open_phone(permissions=["notifications"])
    page.goto(f"{live_server.url}/app/")
    wait_for_service_worker(page)
    cdp = page.context.new_cdp_session(page)
    registrations: dict[str, str] = {}
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}
        ),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if f"{live_server.url}/app/" in registrations:
            break
        page.wait_for_timeout(100)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registrations[f"{live_server.url}/app/"],
            "data": json.dumps(payload),
        },
    )
    shown = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: new URL(n.icon).pathname,
                     url: n.data.url }))"""
    first_seen = notifications_when_shown(page, shown)
    expected = {
        "title": "Dose reminder",
        "body": "It is time for your 08:00 dose. Tap to log it.",
        "tag": "n0123456789abcdef",
        "icon": "/static/patientapp/icons/icon-192.png",
        "url": "/app/",
    }
    assert first_seen == [expected]
    # The same notification again replaces it (the tag), rather than stacking.
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registrations[f"{live_server.url}/app/"],
            "data": json.dumps(payload),
        },
    )
    # Replacing closes the old one first: wait until the new one is showing, then compare.
    page.wait_for_timeout(500)
    assert notifications_when_shown(page, shown) == [expected]
    assert page.problems == []


# ---------------------------------------------------------------- accessibility and phones

SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, summary, select, textarea, label.choice,'
    + ' input:not([type=radio]):not([type=checkbox])')]
  .map((element) => [element, element.getBoundingClientRect()])
  .filter(([, box]) => box.width > 0 && box.height > 0 && box.right > 0)
  .filter(([, box]) => box.width < 44 || box.height < 44)
  .map(([element, box]) => `${element.tagName} "${(element.textContent || element.name).trim()}"`
    + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def check_screen(page: Page, name: str) -> None:
    """WCAG 2 A/AA by axe-core, touch targets of at least 44 x 44 px, and no sideways
    scrolling at 360 px, at the normal text size and at 200 %."""
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{name}:\n" + results.generate_snapshot()
    assert page.evaluate(SMALL_TARGETS) == [], name
    assert page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at 360 px"
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    try:
        overflow = page.evaluate(OVERFLOW)
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 200 % text"
        assert page.evaluate(SMALL_TARGETS) == [], f"{name} at 200 %"
    finally:
        page.evaluate("document.documentElement.style.fontSize = ''")


def test_every_screen_meets_wcag_aa_at_360_px_with_44_px_targets_and_200_percent_text(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", name="Welcome", level=1)).to_be_visible()
    check_screen(page, "welcome")
    page.get_by_role("link", name="I have an invitation code").tap()
    page.get_by_role("button", name="Create my account").tap()  # empty: the errors show
    expect(page.get_by_text("Enter the invitation code.")).to_be_visible()
    check_screen(page, "activate, with errors")
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Username").fill(patient.user.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_text("The username or password is not correct.")).to_be_visible()
    check_screen(page, "sign in, refused")

    sign_in_in_app(page, live_server, patient.user.username)
    page.get_by_text("I took it earlier").tap()
    page.get_by_text("Skip this dose").tap()
    check_screen(page, "today, both choices open")
    page.set_viewport_size({"width": 360, "height": 740})
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.screenshot(path=str(artifacts / "patient-app-today-200-percent.png"), full_page=True)
    page.evaluate("document.documentElement.style.fontSize = ''")

    page.get_by_role("link", name="Symptoms").tap()
    page.get_by_role("button", name="Yes, I have what I ticked").tap()  # nothing ticked
    expect(page.get_by_text("Tick what you have, or choose")).to_be_visible()
    check_screen(page, "red flags, nothing ticked")
    page.get_by_role("link", name="None of these").tap()
    expect(page.get_by_role("link", name="Nausea")).to_be_visible()
    page.get_by_label("Today's weight in kg").fill("7")
    page.get_by_role("button", name="Save weight").tap()
    expect(page.get_by_text("Enter a weight between 20 and 400 kg.")).to_be_visible()
    check_screen(page, "symptom list and weight, refused weight")
    page.get_by_role("link", name="Arm or leg swelling").tap()
    page.get_by_role("button", name="Next").tap()  # no answer: the reason shows
    expect(page.get_by_text("Choose an answer.")).to_be_visible()
    check_screen(page, "symptom question")
    page.get_by_text("rarely", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    page.get_by_text("mild", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    page.get_by_text("a little bit", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    page.get_by_label("Your weight in kg").fill("12")
    page.get_by_role("button", name="Send report").tap()
    expect(page.get_by_text("Enter a weight between 20 and 400 kg")).to_be_visible()
    check_screen(page, "symptom details, refused weight")
    page.get_by_label("Your weight in kg").fill("71,5")
    page.get_by_role("button", name="Send report").tap()
    expect(page.get_by_role("heading", name=SENT)).to_be_visible()
    check_screen(page, "symptom sent")
    report = SideEffectReport.objects.get()
    assert report.patient_scores == {"frequency": 1, "severity": 1, "interference": 1}
    assert str(report.weight_kg) == "71.5"

    # The instruction after a red flag, at both levels.
    for flag, title in [
        ("Black, tarry or bloody stools (poo)", "Call the emergency number now"),
        ("A fever of 38 °C or more", "Call your care team now"),
    ]:
        page.get_by_role("link", name="Symptoms").tap()
        page.get_by_role("checkbox", name=flag).check()
        page.get_by_role("button", name="Yes, I have what I ticked").tap()
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        expect(page.locator(".delivery-box")).not_to_contain_text("Sending")
        check_screen(page, f"instruction: {title}")

    page.get_by_role("link", name="History").tap()
    expect(page.locator(".calendar")).to_be_visible()
    check_screen(page, "history")
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    check_screen(page, "settings")
    page.screenshot(path=str(artifacts / "patient-app-settings.png"), full_page=True)
    assert page.problems == []


def test_the_app_installs_with_a_manifest_and_its_worker_controls_only_app(live_server, open_phone):
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    wait_for_service_worker(page)
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{live_server.url}/app/"
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())"
    )
    assert manifest["start_url"] == manifest["scope"] == "/app/"
    cached = page.evaluate(
        """async () => {
             const names = await caches.keys();
             const cache = await caches.open(names.find((n) => n.startsWith("patientapp-")));
             return (await cache.keys()).map((request) => new URL(request.url).pathname);
           }"""
    )
    assert "/app/" in cached and "/static/patientapp/js/app.js" in cached
    assert not [path for path in cached if path.startswith("/api/")]
    assert page.problems == []


# ---------------------------------------------------------------- the phone's own arithmetic

WALL_TIMES = [
    ("Europe/Madrid", "2026-03-29", "02:30"),  # in the spring-forward gap
    ("Europe/Madrid", "2026-10-25", "02:30"),  # twice in the autumn overlap: the first
    ("America/New_York", "2026-03-08", "02:15"),
    ("America/New_York", "2026-11-01", "01:45"),
    ("Australia/Sydney", "2026-04-05", "02:30"),  # southern autumn
    ("Asia/Kolkata", "2026-06-01", "08:00"),  # half-hour offset
    ("Europe/Madrid", "2026-07-01", "00:00"),
]


def test_the_phones_time_arithmetic_matches_the_servers(live_server, open_phone) -> None:
    """time.js turns a "taken earlier" wall time into an instant as the server's schedule
    does (fold=0: the first occurrence of a repeated time, just after the jump for a missing
    one)."""
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    got = page.evaluate(
        """async (cases) => {
             const time = await import("/static/patientapp/js/time.js");
             return cases.map(([zone, date, clock]) =>
               time.instantOf(date, clock, zone).toISOString());
           }""",
        WALL_TIMES,
    )
    expected = [
        datetime.fromisoformat(f"{date}T{clock}")
        .replace(tzinfo=ZoneInfo(zone))
        .astimezone(ZoneInfo("UTC"))
        .strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for zone, date, clock in WALL_TIMES
    ]
    assert got == expected


def test_doses_worked_out_offline_from_the_plan_match_the_servers_schedule(
    live_server, open_phone, nurse, patient, zone
):
    """An offline phone on a new day lists that day's doses from the kept plan (plan.js);
    across a hold and a dose change they are the ones the server schedules."""
    signed_in_patient(nurse, patient, zone, dose_times=["08:00"])
    today = local_now(zone).date()
    nurse_api = client_for(nurse)
    base = f"/api/v1/patients/{patient.pk}/plan/"
    hold = {
        "start_date": (today + timedelta(days=2)).isoformat(),
        "end_date": (today + timedelta(days=3)).isoformat(),
        "reason": "rash",
    }
    assert nurse_api.post(f"{base}holds/", hold, format="json").status_code == 201
    revision = {
        "dose_mg_per_day": 800,
        "dose_times": ["20:00", "07:30"],
        "effective_date": (today + timedelta(days=5)).isoformat(),
        "reason": "progression",
    }
    assert nurse_api.post(f"{base}revisions/", revision, format="json").status_code == 201
    phone_api = client_for(patient.user)
    plan = phone_api.get("/api/v1/me/plan/").json()
    last = today + timedelta(days=7)
    server = phone_api.get(f"/api/v1/me/doses/?from={today}&to={last}").json()

    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    dates = [(today + timedelta(days=n)).isoformat() for n in range(8)]
    derived = page.evaluate(
        """async ([plan, dates]) => {
             const { dosesOn } = await import("/static/patientapp/js/plan.js");
             return dates.flatMap((date) => dosesOn(plan, date));
           }""",
        [plan, dates],
    )
    as_server = [(d["date"], d["slot"], d["local_time"], d["status"]) for d in server]
    assert [(d["date"], d["slot"], d["local_time"], d["status"]) for d in derived] == as_server
    assert {d["status"] for d in derived} == {"pending", "on_hold"}
    assert len(derived) == 5 + 2 * 3  # one a day, then two a day from the dose change


# ---------------------------------------------------------------- enrolled in the dashboard


def test_a_nurse_enrols_in_the_dashboard_and_the_patient_activates_from_the_qr_link(
    live_server, page, open_phone, nurse, zone, artifacts
):
    """Issue 21: enrolment from the dashboard (the code and a QR code of the activation
    link), the patient activating from that link on a phone, and a new code for a patient who
    lost access (their phones signed out, a new password on the same account)."""
    from tests.browser.test_dashboard import sign_in

    axe = Axe()
    wcag_aa = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    sign_in(page, live_server, nurse)
    page.get_by_role("link", name="Enrol a patient").click()
    expect(page.get_by_role("heading", name="Enrol a patient", level=1)).to_be_visible()
    assert axe.run(page, options=wcag_aa).violations_count == 0
    # Bad input is refused on its field, nothing stored.
    page.get_by_label("Name").fill("Lucía Fernández")
    page.get_by_label("Medical record number").fill("HC-2026-0042")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Enrol and show the invitation code").click()
    expect(page.locator(".field-error", has_text="is not an IANA time zone")).to_be_visible()
    assert not Patient.objects.filter(medical_record_number="HC-2026-0042").exists()
    page.get_by_label("Time zone").fill(zone)
    page.get_by_role("button", name="Enrol and show the invitation code").click()
    expect(page.locator(".field-error", has_text="Digits, spaces, + ( ) - . only")).to_be_visible()
    page.get_by_label("Phone").fill("+34 600 111 222")
    page.get_by_role("button", name="Enrol and show the invitation code").click()

    expect(page.get_by_role("heading", name="Lucía Fernández is enrolled")).to_be_visible()
    code = page.locator("#invitation-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(page.locator(".invitation-qr svg")).to_be_visible()
    link = page.get_by_role("link", name="the activation link").get_attribute("href")
    assert link == f"{live_server.url}/app/#/activate?code={code}"
    assert axe.run(page, options=wcag_aa).violations_count == 0
    page.screenshot(path=str(artifacts / "dashboard-invitation.png"), full_page=True)
    patient = Patient.objects.get(medical_record_number="HC-2026-0042")
    assert (patient.display_name, patient.time_zone, patient.phone) == (
        "Lucía Fernández",
        zone,
        "+34 600 111 222",
    )
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, **due_today(zone))

    # The phone opens the link (as the camera would from the QR code): the code is filled in
    # and gone from the address.
    phone = open_phone()
    phone.goto(link)
    expect(phone.get_by_label("Invitation code")).to_have_value(code)
    assert "code=" not in phone.evaluate("location.href")
    phone.get_by_label("Choose a password").fill(NEW_PASSWORD)
    phone.get_by_label("Type the password again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Create my account").click()
    expect(phone.get_by_role("heading", name="Today", level=1)).to_be_visible()
    patient.refresh_from_db()
    username = patient.user.username
    assert AuthToken.objects.filter(user=patient.user).count() == 1

    # The nurse's patient page: the phone as a link, and a new code for a lost phone.
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    expect(page.get_by_role("link", name="+34 600 111 222")).to_have_attribute(
        "href", "tel:+34600111222"
    )
    page.get_by_role("link", name="New invitation code").click()
    page.get_by_role("button", name="Issue a new code").click()  # not confirmed: refused
    expect(
        page.get_by_role("heading", name="A new invitation code for Lucía Fernández")
    ).to_be_visible()
    assert AuthToken.objects.filter(user=patient.user).count() == 1
    assert axe.run(page, options=wcag_aa).violations_count == 0
    page.get_by_label("Sign Lucía Fernández out everywhere and issue a new code").check()
    page.get_by_role("button", name="Issue a new code").click()
    expect(
        page.get_by_role("heading", name="A new invitation code for Lucía Fernández")
    ).to_be_visible()
    new_code = page.locator("#invitation-code").inner_text().strip()
    assert new_code != code
    assert AuthToken.objects.filter(user=patient.user).count() == 0  # signed out everywhere

    # The phone finds its sign-in ended at its next request, then the new link is opened.
    phone.reload()
    expect(phone.get_by_text("Your sign-in has ended. Please sign in again.")).to_be_visible()
    phone.goto(f"{live_server.url}/app/#/activate?code={new_code}")
    phone.get_by_label("Choose a password").fill(NEW_PASSWORD + "-2")
    phone.get_by_label("Type the password again").fill(NEW_PASSWORD + "-2")
    phone.get_by_role("button", name="Create my account").click()
    expect(phone.get_by_role("heading", name="Today", level=1)).to_be_visible()
    patient.refresh_from_db()
    assert patient.user.username == username  # the same account, its history kept
    refused = "Failed to load resource: the server responded with a status of 400"
    # The two refused forms above answer 400 (as they should); nothing else went wrong.
    assert [problem for problem in page.problems if refused not in problem] == []
    assert phone.problems == []


def test_the_patient_sees_the_care_team_see_and_close_their_report(
    live_server, open_phone, nurse, patient, zone, care_team
):
    """Issue 21, the loop closed: told, a nurse asks them to phone (with the team's number),
    then the outcome in words for patients, on the report in History."""
    from backend.alerts.services import alert_ask_patient_to_call, alert_resolve

    care_team.phone = "+34 910 000 111"
    care_team.hours = "Mon-Fri 08:00-15:00"
    care_team.save()
    signed_in_patient(nurse, patient, zone)
    response = client_for(patient.user).post(
        "/api/v1/me/side-effects/",
        {
            "client_id": str(uuid.uuid4()),
            "symptom": "nausea",
            "answers": {"frequency": 4, "severity": 3},
        },
        format="json",
    )
    assert response.status_code == 201
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    page.get_by_role("link", name="History").tap()
    expect(page.get_by_text("Your care team was told. A nurse will look at it.")).to_be_visible()

    alert = Alert.objects.get()
    alert_ask_patient_to_call(alert=alert, user=nurse)
    page.reload()
    expect(page.get_by_text("Your care team asks you to phone them:")).to_be_visible()
    expect(page.get_by_role("link", name="+34 910 000 111")).to_have_attribute(
        "href", "tel:+34910000111"
    )
    expect(page.get_by_text("A nurse has seen this.")).to_be_visible()

    alert_resolve(alert=alert, user=nurse, outcome="contacted_patient", note="Phoned.")
    page.reload()
    expect(
        page.get_by_text("A nurse has seen this and has been in touch with you.")
    ).to_be_visible()
    expect(page.get_by_text("Your care team asks you to phone them:")).to_have_count(0)

    # Settings says how to reach the care team, and when (the administrator's settings).
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_role("link", name="Call your care team: +34 910 000 111")).to_have_attribute(
        "href", "tel:+34910000111"
    )
    expect(page.get_by_text("Answered Mon-Fri 08:00-15:00.")).to_be_visible()
    assert page.problems == []


def test_dark_mode_keeps_every_screen_readable(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    """Issue 22: with the phone in dark mode the app is dark (not a white page) and axe finds
    no contrast problem on Today, Symptoms, History and Settings."""
    signed_in_patient(nurse, patient, zone)
    page = open_phone(color_scheme="dark")
    sign_in_in_app(page, live_server, patient.user.username)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 23)", background
    axe = Axe()
    wcag_aa = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    screens = {
        "Today": "Today",
        "Symptoms": "Report a symptom",
        "History": "History",
        "Settings": "Settings",
    }
    for name, heading in screens.items():
        page.get_by_role("link", name=name).tap()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        if name == "Today":
            expect(dose_card(page).get_by_role("button", name="Taken")).to_be_visible()
        page.wait_for_load_state("networkidle")
        results = axe.run(page, options=wcag_aa)
        assert results.violations_count == 0, (
            f"{name}:\n" + json.dumps(results.response["violations"])[:3000]
        )
    page.get_by_role("link", name="Today").tap()
    expect(dose_card(page).get_by_role("button", name="Taken")).to_be_visible()
    page.screenshot(path=str(artifacts / "patient-app-dark.png"), full_page=True)
    assert page.problems == []


def test_sign_in_help_and_the_username_to_keep(
    live_server, open_phone, nurse, patient, zone, care_team
):
    """Issue 22, sign-in: 'Forgot your password?' says the care team issues a new code (a
    signed-out phone keeps nothing of the patient's, so no number there); Settings shows the
    username with a copy button."""
    care_team.phone = "+34 910 000 111"
    care_team.save()
    signed_in_patient(nurse, patient, zone)
    page = open_phone(permissions=["clipboard-read", "clipboard-write"])
    sign_in_in_app(page, live_server, patient.user.username)
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_text(f"Signed in as {patient.user.username}.")).to_be_visible()
    page.get_by_role("button", name="Copy username").tap()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == patient.user.username
    page.get_by_role("button", name="Sign out on this phone").tap()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_text("Forgot your password or username?").tap()
    expect(page.get_by_text("Your care team can give you a new invitation code.")).to_be_visible()
    # Signed out, the phone keeps nothing of the patient's, the team's number included.
    expect(page.get_by_role("link", name="Call your care team: +34 910 000 111")).to_have_count(0)
    assert page.problems == []


def test_offline_history_says_per_section_what_is_saved(
    live_server, open_phone, nurse, patient, zone
):
    """Issue 22: offline, a month never opened before has no saved calendar while the reports
    are saved: each section says so for itself, instead of one page notice contradicting the
    calendar's."""
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    wait_for_service_worker(page)
    page.get_by_role("link", name="History").tap()
    expect(page.get_by_role("heading", name="Symptoms you reported")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    page.get_by_role("link", name="Previous month").tap()
    calendar = page.locator("section", has=page.get_by_role("heading", name="Doses"))
    reports = page.locator("section", has=page.get_by_role("heading", name="Symptoms you reported"))
    expect(calendar).to_contain_text("nothing is saved on this phone yet")
    expect(calendar).not_to_contain_text("Showing what this phone saved")
    expect(reports).to_contain_text("Showing what this phone saved")
    expect(page.get_by_text("No doses this month.")).to_have_count(0)


def test_skipping_for_side_effects_leads_straight_into_the_symptom_report(
    live_server, open_phone, nurse, patient, zone
):
    """Issue 22: 'skipped for side effects' opens the symptom report at once, the skip kept."""
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    dose_card(page).get_by_text("Skip this dose").tap()
    dose_card(page).get_by_text("Side effects").tap()
    dose_card(page).get_by_role("button", name="Skip the dose").tap()
    expect(page.get_by_role("heading", name="Report a symptom", level=1)).to_be_visible()
    expect(page.get_by_text("You skipped this dose because of side effects.")).to_be_visible()
    log = ScheduledDose.objects.logged().get()
    assert (log.state, log.skip_reason) == ("skipped", "side_effects")
    assert page.problems == []

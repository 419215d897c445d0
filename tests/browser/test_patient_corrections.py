"""Corrections in the patient app (issue 22), on a phone (360 x 740, touch) in Debian's
Chromium against the live server: a day of History within the backfill window opens a panel
to log, change or undo its dose, with the reason kept on the revision; today's card has
"Undo" for a minute; corrections made offline go through the outbox and are stored once;
two phones correcting the same dose offline: the second is shown what is stored now, never
overwrites it. In English and in Spanish; axe on the new panel and card."""

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from backend.accounts.models import Patient
from backend.adherence.models import DoseLogRevision, ScheduledDose
from tests.browser.test_patient_app import (
    WCAG_AA,
    check_screen,
    dose_card,
    hhmm,
    local_now,
    sign_in_in_app,
    signed_in_patient,
    wait_for_service_worker,
)
from tests.browser.test_patient_reminders import WORDS as REMINDER_WORDS
from tests.browser.test_patient_reminders import sign_in
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.clients import client_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def yesterday_logged_taken(nurse, patient: Patient, zone: str) -> date:
    """A plan that started yesterday, its dose due a few minutes ago in the day, and
    yesterday's dose logged "taken" at its time from the API (as the phone would have)."""
    now = local_now(zone)
    due = now - timedelta(minutes=5)
    yesterday = now.date() - timedelta(days=1)
    signed_in_patient(nurse, patient, zone, start_date=yesterday, dose_times=[hhmm(due)])
    taken_at = datetime.combine(yesterday, due.time().replace(second=0, microsecond=0))
    assert patient.user is not None
    response = client_for(patient.user).post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid.uuid4()),
            "date": yesterday.isoformat(),
            "slot": 1,
            "status": "taken",
            "taken_at": taken_at.replace(tzinfo=ZoneInfo(zone)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return yesterday


def yesterdays_log(patient: Patient, yesterday: date) -> ScheduledDose:
    return ScheduledDose.objects.get(patient=patient, local_date=yesterday, slot=1)


def open_history_day(page: Page, live_server, day: date) -> object:
    """History at `day`'s month, the day's panel open; returns the panel."""
    page.goto(f"{live_server.url}/app/#/history/{day.isoformat()[:7]}")
    expect(page.get_by_role("heading", name="Doses")).to_be_visible()
    page.locator(f"#day-{day.isoformat()}").tap()
    panel = page.locator("#day-panel")
    expect(panel).to_be_visible()
    return panel


def change_to_skipped(panel, *, reason_word: str = "Travelling", why: str = "") -> None:
    panel.get_by_text("Skipped", exact=True).tap()
    panel.get_by_text(reason_word, exact=True).tap()
    if why:
        panel.get_by_label("Why are you changing it? (optional)").fill(why)
    panel.get_by_role("button", name="Save the change").tap()


def test_correct_yesterdays_dose_online_with_the_reason_kept(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    yesterday = yesterday_logged_taken(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    panel = open_history_day(page, live_server, yesterday)
    expect(panel.locator(".dose-status")).to_contain_text("Taken")
    # Days outside the window are not buttons, and the calendar says why.
    expect(page.get_by_text("Tap a day from the last 7 days")).to_be_visible()
    old = yesterday - timedelta(days=9)
    if old.month == yesterday.month:
        expect(page.locator(f"#day-{old.isoformat()}")).to_have_count(0)

    change_to_skipped(panel, why="I pressed the wrong button")
    expect(panel.locator(".badge")).to_have_text(re.compile(r"Skipped$"), timeout=20_000)
    expect(panel).to_contain_text("Travelling")
    page.screenshot(path=str(artifacts / "patient-app-correct-online.png"), full_page=True)

    log = yesterdays_log(patient, yesterday)
    assert (log.state, log.skip_reason) == ("skipped", "travel")
    revision = DoseLogRevision.objects.get(dose_log=log)
    assert revision.reason == "I pressed the wrong button"
    assert revision.change_id is not None

    # Undo from the panel: yesterday's dose is missed again, and can be logged again.
    panel.get_by_label("Why are you changing it? (optional)").fill("Not sure it was taken")
    panel.get_by_role("button", name="Undo: not logged").tap()
    expect(panel.locator(".badge")).to_have_text(re.compile(r"Missed$"), timeout=20_000)
    expect(panel.get_by_role("button", name="Save", exact=True)).to_be_visible()
    log.refresh_from_db()
    assert log.state == "missed"
    assert DoseLogRevision.objects.filter(dose_log=log).count() == 2
    assert DoseLogRevision.objects.latest("id").reason == "Not sure it was taken"

    # Logged again from the panel (a new log, at the dose's time by default).
    panel.get_by_role("button", name="Save", exact=True).tap()
    expect(panel.locator(".badge")).to_have_text(re.compile(r"Taken$"), timeout=20_000)
    log.refresh_from_db()
    assert log.state == "taken"
    assert page.problems == []


def test_correct_yesterdays_dose_offline_synced_once_when_back_online(
    live_server, open_phone, nurse, patient, zone
):
    yesterday = yesterday_logged_taken(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    wait_for_service_worker(page)
    panel = open_history_day(page, live_server, yesterday)
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)

    change_to_skipped(panel, reason_word="I forgot", why="offline fix")
    expect(panel).to_contain_text("Change waiting to send")
    assert not DoseLogRevision.objects.exists()
    assert yesterdays_log(patient, yesterday).state == "taken"

    page.context.set_offline(False)  # the online event sends the outbox
    expect(page.locator("#day-panel .badge")).to_have_text(re.compile(r"Skipped$"), timeout=20_000)
    # Sent again on a visit and a flush: still one revision.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    log = yesterdays_log(patient, yesterday)
    assert (log.state, log.skip_reason) == ("skipped", "forgot")
    assert DoseLogRevision.objects.filter(dose_log=log).count() == 1
    assert DoseLogRevision.objects.get(dose_log=log).reason == "offline fix"
    assert page.problems == []


def test_undo_on_todays_card_within_the_minute(live_server, open_phone, nurse, patient, zone):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    card = dose_card(page)
    card.get_by_role("button", name="Taken").tap()
    expect(card.locator(".badge")).to_have_text(re.compile(r"Taken$"))
    expect(card).to_contain_text("You can undo this for")
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_snapshot()
    logged = ScheduledDose.objects.logged().get()

    card.get_by_role("button", name="Undo").tap()
    expect(card.locator(".badge")).to_have_text(re.compile(r"Not taken yet$"), timeout=20_000)
    expect(card.get_by_role("button", name="Taken")).to_be_visible()
    log = ScheduledDose.objects.get(pk=logged.pk)
    assert log.state == "pending"
    revision = DoseLogRevision.objects.get(dose_log=log)
    assert revision.undone_client_id == logged.client_id
    assert page.problems == []


def test_after_the_minute_todays_card_offers_change(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    # The phone's clock runs 61 s ahead after the log: Undo has gone, Change is offered.
    sign_in_in_app(page, live_server, patient.user.username)
    card = dose_card(page)
    card.get_by_role("button", name="Taken").tap()
    expect(card.get_by_role("button", name="Undo")).to_be_visible()
    page.evaluate("(() => { const real = Date.now; Date.now = () => real() + 61000; })()")
    expect(card.get_by_text("Change", exact=True)).to_be_visible(timeout=5_000)
    card.get_by_text("Change", exact=True).tap()
    check_screen(page, "today: change")
    page.screenshot(path=str(artifacts / "patient-app-change.png"), full_page=True)
    card.get_by_text("Skipped", exact=True).tap()
    card.get_by_text("Travelling", exact=True).tap()
    card.get_by_role("button", name="Save the change").tap()
    expect(card.locator(".badge")).to_have_text(re.compile(r"Skipped$"), timeout=20_000)
    assert ScheduledDose.objects.logged().get().state == "skipped"
    assert DoseLogRevision.objects.count() == 1
    assert page.problems == []


def test_two_phones_correcting_the_same_dose_offline_the_second_sees_what_is_stored(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    yesterday = yesterday_logged_taken(nurse, patient, zone)
    phones = []
    for _ in range(2):
        phone = open_phone()
        sign_in_in_app(phone, live_server, patient.user.username)
        wait_for_service_worker(phone)
        open_history_day(phone, live_server, yesterday)
        phone.wait_for_load_state("networkidle")
        phone.context.set_offline(True)
        phones.append(phone)
    first, second = phones

    change_to_skipped(first.locator("#day-panel"), reason_word="Travelling")
    expect(first.locator("#day-panel")).to_contain_text("Change waiting to send")
    second_panel = second.locator("#day-panel")
    second_panel.get_by_text("Skipped", exact=True).tap()
    second_panel.get_by_text("I forgot", exact=True).tap()
    second_panel.get_by_role("button", name="Save the change").tap()
    expect(second_panel).to_contain_text("Change waiting to send")

    first.context.set_offline(False)
    expect(first.locator("#day-panel .badge")).to_have_text(re.compile(r"Skipped$"), timeout=20_000)
    second.context.set_offline(False)
    expect(second.get_by_text("was not saved").first).to_be_visible(timeout=20_000)
    expect(second.locator("#day-panel")).to_contain_text("Saved now: Skipped. Reason: Travelling")
    second.screenshot(path=str(artifacts / "patient-app-correction-conflict.png"), full_page=True)
    log = yesterdays_log(patient, yesterday)
    assert (log.state, log.skip_reason) == ("skipped", "travel")
    assert DoseLogRevision.objects.filter(dose_log=log).count() == 1

    # The person chooses again, from what is stored now: a new change, stored.
    second_panel.get_by_role("button", name="OK").first.tap()
    expect(second.get_by_text("was not saved")).to_have_count(0)
    second_panel = second.locator("#day-panel")
    second_panel.get_by_text("I forgot", exact=True).tap()
    second_panel.get_by_role("button", name="Save the change").tap()
    expect(second_panel.locator(".dose-status")).to_have_text(
        re.compile(r"Skipped +Reason: I forgot$"), timeout=20_000
    )
    log.refresh_from_db()
    assert log.skip_reason == "forgot"
    assert DoseLogRevision.objects.filter(dose_log=log).count() == 2
    assert first.problems == [] and second.problems == []


def test_in_spanish_correct_yesterday_and_the_panel_meets_wcag_aa(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    patient.language = "es"
    patient.save(update_fields=["language"])
    yesterday = yesterday_logged_taken(nurse, patient, zone)
    page = open_phone(locale="es-ES")
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Nombre de usuario").fill(patient.user.username)
    page.get_by_label("Contraseña").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Entrar").tap()
    expect(page.get_by_role("heading", name="Hoy", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/app/#/history/{yesterday.isoformat()[:7]}")
    expect(page.get_by_role("heading", name="Historial", level=1)).to_be_visible()
    page.locator(f"#day-{yesterday.isoformat()}").tap()
    panel = page.locator("#day-panel")
    expect(panel).to_contain_text("¿Qué pasó con esta dosis?")
    check_screen(page, "history: day panel (es)")
    page.screenshot(path=str(artifacts / "patient-app-es-correction.png"), full_page=True)
    panel.get_by_text("Saltada", exact=True).tap()
    panel.get_by_text("Estoy de viaje", exact=True).tap()
    panel.get_by_label("¿Por qué lo cambia? (opcional)").fill("Me equivoqué de botón")
    panel.get_by_role("button", name="Guardar el cambio").tap()
    expect(panel.locator(".badge")).to_have_text(re.compile(r"Saltada$"), timeout=20_000)
    log = yesterdays_log(patient, yesterday)
    assert log.state == "skipped"
    assert DoseLogRevision.objects.get(dose_log=log).reason == "Me equivoqué de botón"
    assert page.problems == []


def test_undo_of_a_log_still_waiting_offline_is_sent_after_it_and_stored_once(
    live_server, open_phone, nurse, patient, zone
):
    """The undo of a log not yet sent is queued after it; when the log is acknowledged the
    undo takes its id and updated_at (based_on) from the answer: one log, then one undo."""
    signed_in_patient(nurse, patient, zone)
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    wait_for_service_worker(page)
    page.context.set_offline(True)
    card = dose_card(page)
    card.get_by_role("button", name="Taken").tap()
    expect(card).to_contain_text("Waiting to send")
    card.get_by_role("button", name="Undo").tap()
    expect(card).to_contain_text("Undo waiting to send")
    assert not ScheduledDose.objects.logged().exists()

    page.context.set_offline(False)
    expect(card.locator(".badge")).to_have_text(re.compile(r"Not taken yet$"), timeout=20_000)
    expect(card.get_by_role("button", name="Taken")).to_be_visible()
    assert not ScheduledDose.objects.logged().exists()
    revision = DoseLogRevision.objects.get()
    assert revision.undone_client_id is not None
    assert revision.dose_log.state == "pending"
    assert page.problems == []


EARLY_WORDS = {
    "en": {
        "time": "What time did you take it?",
        "save": "Save",
        "question": "before your dose time. Save it as taken?",
        "yes": "Yes, log it",
    },
    "es": {
        "time": "¿A qué hora la tomó?",
        "save": "Guardar",
        "question": "antes de la hora de su dosis. ¿La guarda como tomada?",
        "yes": "Sí, registrarla",
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_history_asks_before_logging_a_dose_more_than_the_set_hours_early(
    live_server, open_phone, nurse, patient, zone, language
):
    """Today's dose logged from History's panel at a time more than DOSE_EARLY_CONFIRM_HOURS
    (2) before its time asks first, as Today does: the first Save stores nothing; the same
    time sent again ("Yes, log it") is stored once; a changed time is asked about again."""
    words = {**REMINDER_WORDS[language], **EARLY_WORDS[language]}
    patient.language = language
    patient.save(update_fields=["language"])
    now = local_now(zone)
    signed_in_patient(nurse, patient, zone, dose_times=[hhmm(now + timedelta(hours=3))])
    page = open_phone(locale=words["locale"])
    sign_in(page, live_server, patient.user.username, words)
    page.goto(f"{live_server.url}/app/#/history/{now.date().isoformat()[:7]}")
    page.locator(f"#day-{now.date().isoformat()}").tap()
    panel = page.locator("#day-panel")
    expect(panel).to_be_visible()

    panel.get_by_label(words["time"]).fill(hhmm(now - timedelta(minutes=10)))
    panel.get_by_role("button", name=words["save"], exact=True).tap()
    expect(panel).to_contain_text(words["question"])
    expect(panel).to_contain_text(re.compile(r"\b3 h (0|1\d) min\b"))
    page.wait_for_timeout(500)
    assert not ScheduledDose.objects.logged().filter(patient=patient).exists()

    # Another time is a new question, not a yes.
    panel.get_by_label(words["time"]).fill(hhmm(now - timedelta(minutes=5)))
    panel.get_by_role("button", name=words["save"], exact=True).tap()
    expect(panel).to_contain_text(words["question"])
    page.wait_for_timeout(500)
    assert not ScheduledDose.objects.logged().filter(patient=patient).exists()

    panel.get_by_role("button", name=words["yes"]).tap()
    expect(panel.locator(".badge")).to_have_text(re.compile(f"{words['taken']}$"), timeout=20_000)
    logged = ScheduledDose.objects.logged().get(patient=patient)
    assert (logged.state, logged.local_date) == ("taken", now.date())
    assert page.problems == []

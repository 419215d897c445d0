"""Refills in the patient app (issue 22), on a phone (360 x 740, touch) in Debian's Chromium
against the live server: Today prompts for a count when there is none; the patient records
the tablets on hand; a dose logged "Taken" counts them down; at 7 days left Today says it is
time to get the next supply. A count recorded offline waits in the outbox and is stored once
when the phone is back online. In English and in Spanish; axe on Today with the panel. A nurse
records a count on the dashboard's patient page and sees the days left (axe there too). Dark
mode: the panel with its reminder is dark and passes axe."""

import math
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from backend.refills.models import TabletSupply
from tests.browser.test_dashboard import sign_in
from tests.browser.test_patient_app import (
    WCAG_AA,
    check_screen,
    dose_card,
    sign_in_in_app,
    signed_in_patient,
)
from tests.browser.test_patient_due_card import is_dark
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def record_count(page: Page, label: str, count: str, save: str) -> None:
    panel = page.locator("section.refills")
    panel.get_by_label(label).fill(count)
    panel.get_by_role("button", name=save).tap()


def test_record_a_count_log_a_dose_and_see_the_refill_reminder(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)  # 400 mg once a day: one 400 mg tablet a dose
    page = open_phone()
    sign_in_in_app(page, live_server, patient.user.username)
    panel = page.locator("section.refills")
    expect(panel.get_by_role("heading", name="Your tablets")).to_be_visible()
    expect(panel).to_contain_text("Count the tablets you have at home")
    check_screen(page, "today with the refill prompt")

    # A typing slip is refused on the phone, beside the field.
    record_count(page, "400 mg tablets", "-3", "Save count")
    expect(panel.locator(".field-error")).to_contain_text("whole number from 0 to")
    assert not TabletSupply.objects.exists()

    record_count(page, "400 mg tablets", "8", "Save count")
    expect(panel.locator("#refill-days")).to_have_text("About 8 days of tablets left")
    expect(panel.locator("#refill-left-400")).to_have_text("400 mg tablets: 8")
    expect(panel.locator("#refill-low")).to_have_count(0)
    supply = TabletSupply.objects.get()
    assert (supply.counts, supply.source) == ({"400": 8}, "patient")

    # Taking today's dose counts the supply down: 7 days left, time to get more.
    card = dose_card(page)
    card.get_by_role("button", name="Taken").tap()
    expect(card.locator(".badge")).to_have_text(re.compile(r"Taken$"))
    expect(panel.locator("#refill-days")).to_have_text(
        "About 7 days of tablets left", timeout=20_000
    )
    expect(panel.locator("#refill-left-400")).to_have_text("400 mg tablets: 7")
    expect(panel.locator("#refill-low")).to_contain_text("Time to get your next supply")
    page.screenshot(path=str(artifacts / "patient-app-refill-low.png"), full_page=True)
    check_screen(page, "today with the refill reminder")

    # Undo gives the tablet back.
    card.get_by_role("button", name="Undo").tap()
    expect(panel.locator("#refill-days")).to_have_text(
        "About 8 days of tablets left", timeout=20_000
    )
    assert page.problems == []


def test_spanish_and_offline_a_count_waits_and_is_stored_once(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    patient.language = "es"
    patient.save(update_fields=["language"])
    signed_in_patient(nurse, patient, zone)
    page = open_phone(locale="es-ES")
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label("Nombre de usuario").fill(patient.user.username)
    page.get_by_label("Contraseña").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Hoy", level=1)).to_be_visible()
    panel = page.locator("section.refills")
    expect(panel.get_by_role("heading", name="Sus pastillas")).to_be_visible()
    expect(panel).to_contain_text("Cuente las pastillas que tiene en casa")

    page.context.set_offline(True)
    record_count(page, "Pastillas de 400 mg", "10", "Guardar")
    expect(panel).to_contain_text("Guardado en este teléfono")
    expect(panel.locator("#refill-days")).to_contain_text("Le quedan pastillas para unos 10 días")
    expect(panel.locator(".badge")).to_contain_text("Pendiente de envío")
    # A dose taken offline counts the waiting count down on the phone already.
    card = dose_card(page)
    card.get_by_role("button", name="Tomada").tap()
    expect(panel.locator("#refill-days")).to_contain_text("Le quedan pastillas para unos 9 días")
    assert not TabletSupply.objects.exists()
    page.screenshot(path=str(artifacts / "patient-app-es-refill-offline.png"), full_page=True)

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(panel.locator(".badge")).to_have_count(0, timeout=20_000)
    expect(panel.locator("#refill-days")).to_have_text(
        "Le quedan pastillas para unos 9 días", timeout=20_000
    )
    supply = TabletSupply.objects.get()
    assert supply.counts == {"400": 10}
    check_screen(page, "hoy con las pastillas")
    assert page.problems == []


def test_nurse_records_a_count_on_the_patient_page_and_sees_days_left(
    live_server, page, nurse, patient, artifacts
):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    section = page.locator("section:has(#supply-heading)")
    expect(section).to_contain_text("No tablet count yet.")
    section.get_by_label("400 mg tablets on hand").fill("5")
    section.get_by_role("button", name="Record count").click()

    expect(section.locator("#supply-days")).to_contain_text("Days left: 5")
    expect(section.locator("#supply-days")).to_contain_text("Refill due")
    expect(section.locator("#supply-last")).to_contain_text(f"recorded by {nurse.username}")
    supply = TabletSupply.objects.get()
    assert (supply.counts, supply.source) == ({"400": 5}, "nurse")
    page.screenshot(path=str(artifacts / "dashboard-patient-supply.png"), full_page=True)
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_snapshot()


def test_the_supply_model_counts_down_waiting_doses_and_rounds_days_down(live_server, open_phone):
    """js/refills.js supplyModel, as the app loads it: a 600 mg plan (one 400 mg and two
    100 mg tablets a dose), the server's count, a count still waiting, doses still waiting."""
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    page.wait_for_function("() => document.documentElement.dataset.ready === 'yes'")
    got = page.evaluate(
        """async () => {
             const refills = await import("/static/patientapp/js/refills.js");
             const supply = {
               counted_at: "2026-03-05T06:00:00Z", counts: { "100": 13, "400": 40 },
               strengths: [{ strength_mg: 100, left: 13, per_day: 2 },
                           { strength_mg: 400, left: 40, per_day: 1 }],
               tablets_per_dose: [{ strength_mg: 400, count: 1 }, { strength_mg: 100, count: 2 }],
               doses_per_day: 1, days_left: 6, reminder_days: 7 };
             const dose = (state, takenAt) => ({ client_id: takenAt, kind: "dose", state,
               created_at: takenAt, body: { status: "taken", taken_at: takenAt } });
             const count = (counts, at) => ({ client_id: at, kind: "supply", state: "waiting",
               created_at: at, body: { counts, counted_at: at } });
             const shown = (outbox) => {
               const m = refills.supplyModel(supply, outbox);
               return [m.daysLeft, m.low, m.waiting, m.left.map((r) => r.left)];
             };
             return {
               server: shown([]),
               before: shown([dose("waiting", "2026-03-05T05:00:00Z")]),
               after: shown([dose("waiting", "2026-03-05T07:00:00Z")]),
               rejected: shown([dose("rejected", "2026-03-05T07:00:00Z")]),
               counted: shown([count({ "100": 40, "400": 30 }, "2026-03-06T06:00:00Z"),
                               dose("waiting", "2026-03-06T07:00:00Z")]),
               none: refills.supplyModel({ ...supply, counted_at: null, strengths: [] }, []),
               noPlan: refills.supplyModel({ ...supply, tablets_per_dose: [] }, []),
               parsed: ["12", " 7 ", "-1", "2.5", "10001", ""].map(refills.parseTablets),
             };
           }"""
    )
    assert got["server"] == [6, True, False, [13, 40]]  # 13 x 100 mg at 2 a day: 6 days
    assert got["before"] == got["server"]  # taken before the count: not on hand then
    assert got["after"] == [5, True, False, [11, 39]]
    assert got["rejected"] == got["server"]
    assert got["counted"] == [19, False, True, [38, 29]]
    assert got["none"] == {
        "countedAt": None,
        "left": [],
        "daysLeft": None,
        "low": False,
        "waiting": False,
    }
    assert got["noPlan"] is None
    assert got["parsed"][:2] == [12, 7]
    assert all(math.isnan(value) for value in got["parsed"][2:])  # refused
    assert page.problems == []


def test_dark_mode_the_refill_panel_is_dark_and_passes_axe(
    live_server, open_phone, nurse, patient, zone, artifacts
):
    signed_in_patient(nurse, patient, zone)
    answer = client_for(patient.user).post(
        "/api/v1/me/supply/", {"counts": {"400": 3}}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    page = open_phone(color_scheme="dark")
    sign_in_in_app(page, live_server, patient.user.username)
    panel = page.locator("section.refills")
    expect(panel.locator("#refill-low")).to_be_visible()
    assert is_dark(page, "section.refills")
    check_screen(page, "today with the refill reminder, dark")
    page.screenshot(path=str(artifacts / "patient-app-refill-dark.png"), full_page=True)
    assert page.problems == []

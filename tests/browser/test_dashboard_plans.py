"""Issue 21 in a real browser: a nurse makes a plan in the dashboard with the guideline's
suggestion updating beside the form and an override with its reason; the patient's phone shows
the dose; a severe report is resolved with "dose held", which opens the hold form pre-filled;
once the nurse confirms it, the patient's phone shows the hold. Every new page passes axe
(WCAG 2 AA); screenshots go to var/test-artifacts/."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from backend.accounts.models import Patient
from backend.adherence.models import PlanHold, TreatmentPlan
from backend.alerts.models import Alert
from tests.browser.test_dashboard import htmx_settled, report_through_api, sign_in
from tests.browser.test_patient_app import (
    activate_in_app,
    hhmm,
    local_now,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_clean(page: Page, name: str) -> None:
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{name}:\n" + results.generate_snapshot()


def test_a_nurse_makes_a_plan_with_an_override_and_confirms_a_hold_from_an_alert(
    live_server, page, open_phone, nurse, zone, artifacts
):
    # The whole walk in the dashboard: enrol, the patient activates on a phone, make a plan.
    sign_in(page, live_server, nurse)
    page.get_by_role("link", name="Enrol a patient").click()
    page.get_by_label("Name").fill("Marta Ruiz")
    page.get_by_label("Medical record number").fill("HC-0777")
    page.get_by_label("Time zone").fill(zone)
    page.get_by_role("button", name="Enrol and show the invitation code").click()
    code = page.locator("#invitation-code").inner_text().strip()
    patient_id = Patient.objects.get(medical_record_number="HC-0777").pk
    phone = open_phone()
    activate_in_app(phone, live_server, code)
    expect(phone.get_by_role("heading", name="Today", level=1)).to_be_visible()

    # The nurse opens the patient page: no plan yet, "Make a plan".
    page.get_by_role("link", name="Go to Marta Ruiz's page").click()
    page.get_by_role("link", name="Make a plan").click()
    expect(page.get_by_role("heading", name=re.compile("^Make a plan for"))).to_be_visible()
    suggestion = page.locator("#recommendation")
    expect(suggestion).to_contain_text("Fill in the case to see the suggestion.")
    axe_clean(page, "make a plan (empty)")

    # The suggestion follows the case as the nurse fills it in (htmx on change).
    page.get_by_label("Setting").select_option("adjuvant")
    page.get_by_label("Primary site").select_option("stomach")
    expect(suggestion).to_contain_text("Still needed: Tumour size (cm)")
    page.get_by_label("Tumour size (cm)").fill("1.5")
    page.get_by_label("Mitoses per 50 HPF (5 mm²)").fill("2")
    page.get_by_label("Age (years)").fill("61")
    page.get_by_label("Mutation").select_option("kit_exon_11")
    expect(suggestion).to_contain_text("No adjuvant imatinib suggested")
    expect(suggestion).to_contain_text("Modified NIH: very low")
    expect(suggestion).to_contain_text("needs your override below, with a reason")
    expect(suggestion.locator("cite").first).to_be_visible()  # reasons with their sources

    due = hhmm(local_now(zone) - timedelta(minutes=5))
    page.get_by_label("First dose time").fill(due)
    # No override: refused on the override's reason, nothing made.
    htmx_settled(page)  # the suggestion's last request is answered before the form is sent
    page.get_by_role("button", name="Make the plan").click()
    expect(page.locator(".field-error", has_text="a plan needs an override")).to_be_visible()
    expect(suggestion).to_contain_text("No adjuvant imatinib suggested")  # drawn again
    assert not TreatmentPlan.objects.filter(patient_id=patient_id).exists()
    axe_clean(page, "make a plan (refused)")

    page.get_by_label("Dose (mg/day)").select_option("400")
    page.get_by_label("Duration (months)").fill("12")
    page.get_by_label("Reason for departing from the guideline").fill(
        "Tumour board 3 Dec: treat for 12 months (patient's choice after discussion)."
    )
    page.screenshot(path=str(artifacts / "dashboard-plan-new.png"), full_page=True)
    htmx_settled(page)  # the suggestion's last request is answered before the form is sent
    page.get_by_role("button", name="Make the plan").click()

    expect(page.get_by_role("heading", name="Plan")).to_be_visible()
    expect(page.locator("#plan-heading + dl")).to_contain_text(f"400 mg/day, {due}")
    departure = re.compile("^Clinician's departure from the guideline: Tumour board")
    expect(page.get_by_text(departure)).to_be_visible()
    plan = TreatmentPlan.objects.get(patient_id=patient_id)
    assert plan.override["duration_months"] == 12 and plan.created_by == nurse

    # The patient's phone shows the dose.
    phone.reload()
    expect(phone.locator(".plan-dose")).to_have_text("400 mg a day")
    phone.screenshot(path=str(artifacts / "patient-app-plan-from-dashboard.png"), full_page=True)

    # The plan's other forms pass axe too.
    for link, heading in (
        ("Change the dose", "Change the dose"),
        ("Stop the plan", "Stop the plan"),
    ):
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=re.compile(f"^{heading}:"))).to_be_visible()
        axe_clean(page, link)
        if link == "Change the dose":
            options = page.get_by_label("New dose").locator("option")
            expect(options).to_have_text(
                ["Choose…", "300 mg/day (one step down the ladder)", re.compile("^400 mg/day")]
            )
            page.screenshot(path=str(artifacts / "dashboard-plan-dose.png"), full_page=True)
        page.go_back()

    # A severe report: the nurse resolves it with "dose held" and lands on the hold form.
    report_through_api(live_server, plan.patient, severity=3)
    alert = Alert.objects.get(patient_id=patient_id)
    page.goto(f"{live_server.url}/dashboard/")
    page.locator(f"#alert-{alert.pk}").get_by_role("link", name=re.compile("^Resolve")).click()
    panel = page.locator("#side-panel")
    panel.get_by_label("Outcome").select_option("dose_held")
    panel.get_by_label(re.compile("^Note")).fill("Phoned: vomiting all day. Hold until Monday.")
    panel.get_by_role("button", name="Resolve alert").click()

    expect(page.get_by_role("heading", name=re.compile("^Hold the drug:"))).to_be_visible()
    expect(page.get_by_text("Pre-filled from the alert you resolved")).to_be_visible()
    today = local_now(zone).date()
    expect(page.get_by_label("First day without the drug")).to_have_value(today.isoformat())
    reason = page.get_by_label("Reason")
    expect(reason).to_have_value(re.compile("Phoned: vomiting all day. Hold until Monday."))
    assert not PlanHold.objects.exists()  # nothing changes until the nurse confirms
    axe_clean(page, "hold (pre-filled)")
    page.screenshot(path=str(artifacts / "dashboard-plan-hold-prefilled.png"), full_page=True)
    page.get_by_role("button", name="Hold the drug").click()

    expect(page.get_by_role("link", name=re.compile("^Resume the drug"))).to_be_visible()
    hold = PlanHold.objects.get()
    assert (hold.start_date, hold.end_date, hold.created_by) == (today, None, nurse)
    plan_section = page.locator("section[aria-labelledby='plan-heading']")
    plan_section.screenshot(path=str(artifacts / "dashboard-plan-on-hold.png"))
    page.get_by_role("link", name=re.compile("^Resume the drug")).click()
    expect(page.get_by_role("heading", name=re.compile("^Resume the drug:"))).to_be_visible()
    axe_clean(page, "resume")

    # The patient's phone shows the hold.
    phone.reload()
    expect(phone.get_by_role("heading", name="Your treatment is paused")).to_be_visible()
    phone.screenshot(path=str(artifacts / "patient-app-hold-from-dashboard.png"), full_page=True)
    # The nurse's outcome, in words for the patient, on the report that started it.
    phone.get_by_role("link", name="History").tap()
    expect(
        phone.get_by_text("A nurse has seen this and decided to pause your imatinib.")
    ).to_be_visible()
    refused = "Failed to load resource: the server responded with a status of 400"
    assert [problem for problem in page.problems if refused not in problem] == [], page.problems
    assert phone.problems == []

"""The nurse's dashboard in a real browser: sign in, see an alert raised by a patient's report
through the API, acknowledge and resolve it without a page reload, see new alerts arrive,
escaping, scoping, layout at tablet width, keyboard reach and WCAG 2 AA checks (axe-core)."""

import re
import time
import uuid

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from backend.accounts.services import auth_token_issue
from backend.alerts.models import Alert, AlertStatus
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.plans import TreatmentPlanFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

XSS_NOTE = '<script>document.title="pwned"</script><img src=x onerror="window.__xss=1">'


@pytest.fixture
def patient_on_plan(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    return patient


def report_through_api(live_server, patient, *, severity: int, note: str = "") -> dict:
    """What the patient's phone does: a bearer token and a POST over HTTP."""
    _, token = auth_token_issue(user=patient.user)
    response = requests.post(
        f"{live_server.url}/api/v1/me/side-effects/",
        json={
            "client_id": str(uuid.uuid4()),
            "symptom": "nausea",
            "answers": {"frequency": 3, "severity": severity},
            "note": note,
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/dashboard/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Alert queue")).to_be_visible()


def test_nurse_acknowledges_and_resolves_an_alert_without_a_reload(
    live_server, page, nurse, patient_on_plan, artifacts
):
    report_through_api(live_server, patient_on_plan, severity=3)
    alert = Alert.objects.get(patient=patient_on_plan)

    sign_in(page, live_server, nurse)
    row = page.locator(f"#alert-{alert.pk}")
    expect(row).to_contain_text("nausea")
    expect(row).to_contain_text("severe")
    expect(row).to_contain_text(patient_on_plan.display_name)
    expect(page).to_have_title(re.compile(r"^\(1\) Alert queue"))
    page.screenshot(path=str(artifacts / "dashboard-alert-queue.png"), full_page=True)

    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    row.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(row).to_contain_text("Acknowledged")
    expect(row).to_contain_text(nurse.username)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == nurse and alert.acknowledged_at is not None

    row.get_by_role("link", name=re.compile("^Resolve")).click()
    panel = page.locator("#side-panel")
    panel.get_by_label("Outcome").select_option("contacted_patient")
    panel.get_by_label(re.compile("^Note")).fill("Phoned her; antiemetic started, review Friday.")
    panel.get_by_role("button", name="Resolve alert").click()
    expect(panel).to_contain_text("Resolved the alert")
    expect(page.locator(f"#alert-{alert.pk}")).to_have_count(0)  # the queue refreshed itself
    expect(page).to_have_title(re.compile(r"^Alert queue"))
    assert page.evaluate("window.__sameDocument") is True

    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_by == nurse
    assert alert.resolution_outcome == "contacted_patient"
    assert alert.resolution_note == "Phoned her; antiemetic started, review Friday."
    assert alert.opened_at <= alert.acknowledged_at <= alert.resolved_at
    assert page.problems == []


def test_resolving_without_a_note_shows_the_reason_in_the_panel(
    live_server, page, nurse, patient_on_plan
):
    report_through_api(live_server, patient_on_plan, severity=3)
    alert = Alert.objects.get(patient=patient_on_plan)
    sign_in(page, live_server, nurse)
    page.locator(f"#alert-{alert.pk}").get_by_role("link", name=re.compile("^Resolve")).click()
    panel = page.locator("#side-panel")
    # The browser's own `required` check would stop an empty note; a blank one gets past it.
    panel.get_by_label(re.compile("^Note")).fill("   ")
    panel.get_by_role("button", name="Resolve alert").click()
    expect(panel.locator(".field-error")).to_contain_text("required")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_new_alerts_appear_without_a_reload_with_the_count_in_the_title(
    live_server, page, nurse, patient_on_plan, settings
):
    settings.DASHBOARD_POLL_SECONDS = 2  # the default is 15 s; the issue allows up to 30 s
    sign_in(page, live_server, nurse)
    expect(page.get_by_text("No unresolved alerts")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Alert queue"))
    page.evaluate("window.__sameDocument = true")

    report_through_api(live_server, patient_on_plan, severity=4)
    posted = time.monotonic()
    alert = Alert.objects.get(patient=patient_on_plan)
    expect(page.locator(f"#alert-{alert.pk}")).to_be_visible(timeout=30_000)
    waited = time.monotonic() - posted
    expect(page).to_have_title(re.compile(r"^\(1\) Alert queue"))
    # "Frequently" and "very severe": PRO-CTCAE composite 3, so high priority (issue 16:
    # only a red flag is urgent on a patient's answers).
    expect(page.locator(f"#alert-{alert.pk}")).to_contain_text("High")
    assert page.evaluate("window.__sameDocument") is True
    assert waited < 30


def test_patient_free_text_is_shown_as_text_never_run(
    live_server, page, nurse, patient_on_plan, artifacts
):
    report_through_api(live_server, patient_on_plan, severity=3, note=XSS_NOTE)
    alert = Alert.objects.get(patient=patient_on_plan)
    sign_in(page, live_server, nurse)
    page.locator(f"#alert-{alert.pk}").get_by_role("link", name=re.compile("^Resolve")).click()
    page.locator("#side-panel").get_by_label(re.compile("^Note")).fill(XSS_NOTE)
    page.locator("#side-panel").get_by_role("button", name="Resolve alert").click()
    expect(page.locator("#side-panel")).to_contain_text("Resolved the alert")

    page.goto(f"{live_server.url}/dashboard/patients/{patient_on_plan.pk}/")
    notes = page.locator(".note")
    expect(notes.first).to_contain_text('<script>document.title="pwned"</script>')
    expect(notes).to_have_count(2)  # the report's note and the resolution note
    expect(notes.nth(1)).to_contain_text("onerror")
    assert page.evaluate("window.__xss") is None
    assert page.title() != "pwned"
    expect(page.locator("svg.chart")).to_have_count(1)
    page.screenshot(path=str(artifacts / "dashboard-patient-page.png"), full_page=True)
    assert page.problems == []


def test_another_teams_patient_page_is_not_found(live_server, page, nurse, foreign_patient):
    sign_in(page, live_server, nurse)
    response = page.goto(f"{live_server.url}/dashboard/patients/{foreign_patient.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_text(foreign_patient.display_name)).to_have_count(0)


def test_tablet_width_keyboard_reach_and_wcag_aa(
    live_server, page, nurse, coordinator, patient_on_plan, artifacts
):
    report_through_api(live_server, patient_on_plan, severity=3)
    alert = Alert.objects.get(patient=patient_on_plan)
    sign_in(page, live_server, nurse)
    axe = Axe()
    wcag_aa = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    pages = {
        "queue": "/dashboard/",
        "patient": f"/dashboard/patients/{patient_on_plan.pk}/",
        "cohort": "/dashboard/cohort/",
        "alert": f"/dashboard/alerts/{alert.pk}/",
    }
    for width in (1280, 768):
        page.set_viewport_size({"width": width, "height": 1000})
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            results = axe.run(page, options=wcag_aa)
            assert results.violations_count == 0, f"{name} at {width}px:\n" + (
                results.generate_snapshot()
            )
        if width == 768:
            page.goto(f"{live_server.url}/dashboard/")
            page.screenshot(path=str(artifacts / "dashboard-alert-queue-768.png"), full_page=True)

    # The alert's page shows its times in the viewer's zone (local-times.js), UTC in the title.
    page.goto(f"{live_server.url}/dashboard/alerts/{alert.pk}/")
    opened = page.locator("time[data-local]").first
    expect(opened).to_have_attribute("title", re.compile(r" UTC$"))  # the server's text, kept
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(opened).to_contain_text(f"({zone})")  # rewritten in the browser's own zone

    # Keyboard only: Tab from the top of the queue reaches the row's Acknowledge button.
    page.goto(f"{live_server.url}/dashboard/")
    target = f"Acknowledge the alert for {patient_on_plan.display_name}"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == target:
            break
    else:
        pytest.fail("the Acknowledge button is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#alert-{alert.pk}")).to_contain_text("Acknowledged")
    assert page.problems == []


def test_coordinator_prepares_a_large_export_and_watches_it_finish(
    live_server, page, coordinator, patient_on_plan, settings, tmp_path, artifacts
):
    from backend.reports.models import ExportJob
    from backend.reports.services import export_job_run

    settings.EXPORT_ASYNC_MIN_PATIENTS = 0  # any cohort counts as large here
    settings.EXPORT_DIR = str(tmp_path)
    page.goto(f"{live_server.url}/dashboard/sign-in/")
    page.get_by_label("Username").fill(coordinator.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cohort")).to_be_visible()
    expect(page.get_by_text(patient_on_plan.display_name)).to_be_visible()

    page.get_by_role("button", name="Summary (CSV)").click()
    expect(page.get_by_label("Export progress")).to_be_visible()
    job = ExportJob.objects.get()
    export_job_run(job.pk)  # what the worker does
    download = page.get_by_role("link", name="Download")
    expect(download).to_be_visible(timeout=10_000)  # the list polls every 2 s
    page.screenshot(path=str(artifacts / "dashboard-cohort-export.png"), full_page=True)
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
    )
    assert results.violations_count == 0, results.generate_snapshot()
    assert page.problems == []


def test_each_export_button_downloads_a_file_that_opens(
    live_server, page, browser, nurse, coordinator, patient_on_plan, tmp_path, artifacts
):
    """Issue 21: the nurse's PDF and FHIR buttons on the patient page, and the coordinator's
    summary CSV from the cohort page (a small cohort: straight download), each saved by the
    browser and opened: the PDF parses, the FHIR file is an R4 Bundle, the CSV has the names."""
    import csv
    import io
    import json

    from fhir.resources.R4B.bundle import Bundle
    from pypdf import PdfReader

    patient = patient_on_plan
    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    reports = page.get_by_role("region", name="Reports")
    expect(reports.get_by_label("From")).not_to_have_value("")
    page.screenshot(path=str(artifacts / "dashboard-patient-reports.png"), full_page=False)
    with page.expect_download() as pdf_download:
        reports.get_by_role("button", name="Download PDF report").click()
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.suffix == ".pdf"
    pdf = PdfReader(str(pdf_path))
    assert len(pdf.pages) >= 1
    assert patient.display_name in "".join(p.extract_text() or "" for p in pdf.pages)

    with page.expect_download() as fhir_download:
        reports.get_by_role("button", name="Download FHIR bundle").click()
    fhir_path = tmp_path / fhir_download.value.suggested_filename
    fhir_download.value.save_as(fhir_path)
    assert fhir_path.suffix == ".json"
    bundle = Bundle.model_validate(json.loads(fhir_path.read_text()))
    kinds = {entry.resource.__resource_type__ for entry in bundle.entry}
    assert {"Patient", "MedicationRequest"} <= kinds
    assert page.problems == []

    coordinator_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    coordinator_page.set_default_timeout(15_000)
    coordinator_page.goto(f"{live_server.url}/dashboard/sign-in/")
    coordinator_page.get_by_label("Username").fill(coordinator.username)
    coordinator_page.get_by_label("Password").fill(TEST_PASSWORD)
    coordinator_page.get_by_role("button", name="Sign in").click()
    expect(coordinator_page.get_by_role("heading", name="Cohort", exact=True)).to_be_visible()
    with coordinator_page.expect_download() as csv_download:
        coordinator_page.get_by_role("button", name="Summary (CSV)").click()
    csv_path = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv_path)
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [(row["display_name"], row["medical_record_number"]) for row in rows] == [
        (patient.display_name, patient.medical_record_number)
    ]

    coordinator_page.get_by_label("Pseudonymised").check()
    with coordinator_page.expect_download() as pseudonymised_download:
        coordinator_page.get_by_role("button", name="Summary (CSV)").click()
    pseudonymised_path = tmp_path / pseudonymised_download.value.suggested_filename
    pseudonymised_download.value.save_as(pseudonymised_path)
    text = pseudonymised_path.read_text(encoding="utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert re.fullmatch(r"S-[A-Z2-7]{12}", row["study_id"])
    assert patient.display_name not in text and patient.medical_record_number not in text
    coordinator_page.context.close()


def send_through_api(live_server, patient, path: str, body: dict) -> dict:
    """A POST from the patient's phone (bearer token, over HTTP)."""
    _, token = auth_token_issue(user=patient.user)
    response = requests.post(
        f"{live_server.url}/api/v1/me/{path}/",
        json={"client_id": str(uuid.uuid4()), **body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def htmx_settled(page) -> None:
    """Wait until htmx has finished a swap (new content is live only once it settles)."""
    expect(
        page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
    ).to_have_count(0)


def test_patient_page_shows_the_weight_trend_a_red_flag_and_grades_a_rash(
    live_server, page, nurse, patient_on_plan, artifacts
):
    """Issue 16 on the patient page: a red-flag alert with its actions in words, the weight
    trend from the baseline, a nurse's weight, and the grade form's term select narrowing the
    grades (htmx, under the CSP)."""
    patient = patient_on_plan
    send_through_api(live_server, patient, "weights", {"weight_kg": "70.0"})  # the baseline
    send_through_api(live_server, patient, "weights", {"weight_kg": "74.0"})
    send_through_api(
        live_server, patient, "side-effects", {"symptom": "rash", "answers": {"presence": 1}}
    )
    send_through_api(
        live_server,
        patient,
        "side-effects",
        {"symptom": "black_stools", "answers": {"presence": 1}},
    )
    red_flag = Alert.objects.get(patient=patient, kind="red_flag")
    assert red_flag.priority == "urgent"

    sign_in(page, live_server, nurse)
    queue_row = page.locator(f"#alert-{red_flag.pk}")
    expect(queue_row).to_contain_text("Red flag")
    expect(queue_row.get_by_role("list", name="Advised actions")).to_contain_text("Urgent review")
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")

    weights = page.locator("table.weights")
    expect(weights.locator("tbody tr")).to_have_count(2)
    expect(weights.locator("tbody tr").first).to_contain_text("74.0 kg")
    expect(weights.locator("tbody tr").first).to_contain_text("+4.0 kg (+5.7 %)")
    expect(weights.locator("tr.baseline")).to_contain_text("Baseline")
    expect(weights.locator("tr.baseline")).to_contain_text("70.0 kg")

    alerts = page.locator("section[aria-labelledby='alerts-heading']")
    expect(alerts).to_contain_text("Red-flag symptom")
    expect(alerts).to_contain_text("black, tarry or bloody stools")
    expect(alerts.locator(".badge-red-flag")).to_have_count(1)
    red_row = alerts.locator("tr", has=page.locator(".badge-red-flag"))
    expect(red_row.get_by_role("list", name="Advised actions")).to_contain_text("Urgent review")
    expect(alerts).to_contain_text("Weight gain (fluid retention)")
    reports = page.locator("table.reports")
    expect(reports.locator("tr.red-flag")).to_contain_text("Red flag: Black, tarry or bloody")

    # The grade form: the newest report (black stools) is chosen and its terms are offered;
    # picking the rash report brings the rash terms; Stevens-Johnson syndrome offers grades 3
    # to 5 only.
    expect(page.get_by_label("CTCAE v5.0 term").locator("option:checked")).to_have_text(
        "Lower gastrointestinal hemorrhage (grades 1 to 5)"
    )
    rash = page.locator("#id_report option").filter(has_text=re.compile("^Rash, "))
    page.get_by_label("Report", exact=True).select_option(rash.get_attribute("value"))
    term = page.get_by_label("CTCAE v5.0 term")
    expect(term.locator("option:checked")).to_have_text("Rash maculo-papular (grades 1 to 3)")
    htmx_settled(page)
    term.select_option("Stevens-Johnson syndrome")
    page.wait_for_timeout(1500)
    print("HTML", page.locator("#grade-term-fields").inner_html())
    grade = page.get_by_label("CTCAE v5.0 grade")
    expect(grade.locator("option")).to_have_text(
        ["Choose a grade", "Grade 3 (severe)", "Grade 4 (life-threatening)", "Grade 5 (death)"]
    )

    # A nurse's weight, marked as the new baseline.
    page.get_by_label("Weight (kg)").fill("73.2")
    page.get_by_label(re.compile("^Make this the new baseline")).check()
    page.get_by_role("button", name="Record weight").click()
    expect(weights.locator("tbody tr")).to_have_count(3)
    expect(weights.locator("tr.baseline")).to_contain_text("73.2 kg")
    expect(weights.locator("tr.baseline")).to_contain_text("Nurse")
    page.locator("#weights-heading").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-patient-triage.png"), full_page=True)
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
    )
    assert results.violations_count == 0, results.generate_snapshot()
    assert page.problems == []


def test_patient_page_records_lab_results_and_shows_the_trend_with_thresholds(
    live_server, page, nurse, patient_on_plan, artifacts
):
    """Issue 17 on the patient page: the lab form (a refusal on its field, then results that
    cross the label's liver and blood-count hold thresholds), the trend of each test with the
    hold and resume lines, the hold alert with its actions in words, and what is due next."""
    patient = patient_on_plan
    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    expect(page.locator("section[aria-labelledby='due-heading']")).to_contain_text("Overdue")

    form = page.locator("form.lab-form")
    # ALT without its upper limit of normal: refused on that field, nothing stored
    form.get_by_label("ALT value").fill("250")
    form.get_by_role("button", name="Record lab results").click()
    alt_row = page.locator("form.lab-form tr", has=page.get_by_label("ALT value"))
    expect(alt_row.locator(".field-error")).to_contain_text("Required for ALT")
    assert not Alert.objects.filter(patient=patient).exists()

    form = page.locator("form.lab-form")
    form.get_by_label("ALT upper limit of normal").fill("40")
    form.get_by_label("Bilirubin (total) value").fill("0.6")
    form.get_by_label("Bilirubin (total) unit").select_option("mg/dL")
    form.get_by_label("Bilirubin (total) upper limit of normal").fill("1.2")
    form.get_by_label("Absolute neutrophil count value").fill("0.8")
    form.get_by_label("Platelets value").fill("180")
    form.get_by_role("button", name="Record lab results").click()

    alt = page.locator("#lab-alt")
    expect(alt.locator("svg.lab-chart")).to_be_visible()
    expect(alt.locator("svg .threshold-words-hold")).to_have_text("Hold: above 5 \u00d7 ULN")
    expect(alt.locator("svg .threshold-words-resume")).to_have_text("Resume: below 2.5 \u00d7 ULN")
    expect(alt.locator("path.lab-point-hold")).to_have_count(1)
    expect(alt.locator("tr.lab-hold")).to_contain_text("6.25 \u00d7 ULN")
    anc = page.locator("#lab-anc")
    expect(anc.locator("svg .threshold-words-hold")).to_contain_text("Hold: below 1.0")
    expect(anc.locator("tr.lab-hold")).to_contain_text("Beyond: below 1.0")
    expect(page.locator("#lab-bilirubin_total tbody tr")).to_contain_text("0.6 mg/dL (ULN 1.2)")

    alerts = page.locator("section[aria-labelledby='alerts-heading']")
    expect(alerts).to_contain_text("Liver tests: hold imatinib")
    expect(alerts).to_contain_text("Blood counts: hold imatinib")
    expect(alerts).to_contain_text("Repeat the blood tests")
    expect(alerts).to_contain_text("Based on lab results")
    assert Alert.objects.filter(patient=patient, kind="liver_hold").count() == 1
    assert Alert.objects.filter(patient=patient, kind="blood_count_hold").count() == 1

    page.locator("#labs-heading").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-patient-labs.png"), full_page=True)
    page.locator("section[aria-labelledby='labs-heading']").screenshot(
        path=str(artifacts / "dashboard-patient-labs-section.png")
    )
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
    )
    assert results.violations_count == 0, results.generate_snapshot()
    # the one refused form (a 400 page, as designed) is the only thing the console reports
    assert [p for p in page.problems if "status of 400" not in p] == []


def test_an_administrator_sets_a_care_teams_phone_and_hours(
    live_server, page, admin_user, care_team, artifacts
):
    """Issue 21, contact: the care team settings pages, refusing bad input on its field, and
    passing axe (WCAG 2 AA)."""
    axe = Axe()
    wcag_aa = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    page.goto(f"{live_server.url}/dashboard/sign-in/")
    page.get_by_label("Username").fill(admin_user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Care teams").click()
    expect(page.get_by_role("heading", name="Care teams", level=1)).to_be_visible()
    assert axe.run(page, options=wcag_aa).violations_count == 0
    page.get_by_role("link", name=f"Change the contact details of {care_team.name}").click()
    page.get_by_label("Phone patients call").fill("ring us")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error", has_text="Digits, spaces")).to_be_visible()
    assert axe.run(page, options=wcag_aa).violations_count == 0
    page.get_by_label("Phone patients call").fill("+34 910 000 111")
    page.get_by_label("When it is answered").fill("Mon-Fri 08:00-15:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="+34 910 000 111")).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-care-teams.png"), full_page=True)
    care_team.refresh_from_db()
    assert (care_team.phone, care_team.hours) == ("+34 910 000 111", "Mon-Fri 08:00-15:00")


def test_the_queue_counts_down_to_escalation_and_puts_escalated_alerts_first(
    live_server, page, nurse, patient_on_plan, artifacts
):
    """Issue 21, triage context: an open high alert shows the minutes left before the whole
    team is told; an escalated alert sorts above it; the alert's page has the context."""
    from datetime import timedelta

    from django.utils import timezone

    report_through_api(live_server, patient_on_plan, severity=4, note="all night")
    high = Alert.objects.get(patient=patient_on_plan)
    assert high.priority == "high"
    escalated = Alert.objects.create(
        patient=patient_on_plan,
        kind="missed_dose_streak",
        priority="normal",
        priority_rank=2,
        rule="alert.missed_streak",
        summary="missed 3 days in a row",
        opened_at=timezone.now() - timedelta(hours=6),
        last_seen_at=timezone.now(),
        escalated_at=timezone.now() - timedelta(hours=1),
    )
    sign_in(page, live_server, nurse)
    rows = page.locator("#alert-queue tbody tr")
    expect(rows.first).to_have_id(f"alert-{escalated.pk}")
    high_row = page.locator(f"#alert-{high.pk}")
    expect(high_row.locator(".escalation-due")).to_contain_text(re.compile(r"Escalates in \d+ min"))
    page.screenshot(path=str(artifacts / "dashboard-escalation-countdown.png"), full_page=True)
    high_row.get_by_role("link", name=re.compile("^Details of the alert")).click()
    expect(page.get_by_role("heading", name="Reports behind this alert")).to_be_visible()
    expect(page.get_by_text("all night")).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-alert-detail.png"), full_page=True)
    assert page.problems == []

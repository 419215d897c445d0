"""Clinician-facing words in the PDF and FHIR exports (issue 16 point 8): a plan's flags and
its rules' statuses in plain words, sources as primary references; never a raw
``unconfirmed_rule:`` flag, a bracketed internal note or an internal document's name, also for
a plan stored before reasons carried their status."""

import json
import re
from datetime import date
from io import BytesIO

import pytest
import time_machine
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from backend.accounts.models import Patient
from backend.adherence.models import TreatmentPlan
from backend.guidelines import rules
from backend.reports.data import patient_report_data
from backend.reports.fhir import patient_fhir_bundle
from backend.reports.pdf import patient_report_pdf
from tests.factories.plans import TreatmentPlanFactory
from tests.reports.conftest import NOW

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 10, 1), date(2026, 11, 19)
# Adjuvant, colon (AFIP column extrapolated: UNCONFIRMED), mutation unknown, rupture: every
# kind of flag and rules of every status.
FLAGGED_CASE = {
    "setting": "adjuvant",
    "site": "colon",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "rupture": True,
    "mutation": "unknown",
    "start_date": "2026-10-01",
}
NEVER_SHOWN = (
    "unconfirmed_rule:",
    "[DESIGN",
    "[UNCONFIRMED",
    "re-verify]",
    "SEED",
    "AI-written",
    "droracle",
    "secondary",
)
NOT_CONFIRMED = "not confirmed by a primary source"
CONVENTION = "a product convention, not a clinical fact"
OLD_NOTES = {
    rules.C_2ND: "secondary source only, re-verify",
    rules.UNCONFIRMED: "UNCONFIRMED, default to be verified",
    rules.DESIGN: "DESIGN convention, not a clinical fact",
}


@pytest.fixture
def flagged_plan(nurse, patient: Patient) -> TreatmentPlan:
    with time_machine.travel(NOW, tick=False):
        plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=FLAGGED_CASE)
    flags = plan.recommendation["flags"]
    assert "unconfirmed_rule:risk.afip.site_extrapolated" in flags
    assert "unconfirmed_rule:review.schedule" in flags
    return plan


def make_old(plan: TreatmentPlan) -> None:
    """Store the plan's reasons as versions up to 2026.11-2 did: the status as a bracketed
    note at the end of the text, no ``status`` key."""
    stored = dict(plan.recommendation)
    stored["reasons"] = [
        {
            "rule": r["rule"],
            "text": r["text"] + (f" [{OLD_NOTES[r['status']]}]" if r["status"] != rules.C else ""),
            "sources": r["sources"],
        }
        for r in plan.recommendation["reasons"]
    ]
    plan.recommendation = stored
    plan.save(update_fields=["recommendation"])


def pdf_text(patient: Patient) -> str:
    with time_machine.travel(NOW, tick=False):
        document = patient_report_pdf(patient_report_data(patient, FIRST, LAST))
    pages = PdfReader(BytesIO(document)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def fhir_notes(patient: Patient) -> tuple[dict, str]:
    with time_machine.travel(NOW, tick=False):
        bundle = patient_fhir_bundle(
            patient_report_data(patient, FIRST, LAST), base_url="https://ehr.example.test/fhir"
        )
    Bundle.model_validate(bundle)
    (request,) = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    return bundle, " ".join(note["text"] for note in request["note"])


@pytest.mark.parametrize("stored", ["current", "old"])
def test_pdf_says_flags_and_statuses_in_plain_words(
    flagged_plan: TreatmentPlan, patient: Patient, stored: str
) -> None:
    if stored == "old":
        make_old(flagged_plan)
    text = pdf_text(patient)
    # the C-2nd status in words is the one place "secondary" may appear
    assert f"({rules.status_words(rules.C_2ND)})" in text
    for marker in NEVER_SHOWN:
        assert marker not in text.replace(rules.status_words(rules.C_2ND) or "", ""), marker
    assert "Mutation testing required before relying on this plan" in text
    # one line per status, naming its rules (more rules join as the guideline grows)
    assert re.search(
        r"Not confirmed by a primary source \(rules?: [^)]*risk\.afip\.site_extrapolated", text
    )
    assert re.search(
        r"A product convention, not a clinical fact \(rules: "
        r"duration\.end_date_calendar_months, review\.schedule[,)]",
        text,
    )
    assert f"({CONVENTION})" in text
    assert f"({NOT_CONFIRMED})" in text
    assert f"S26: {rules.SOURCES['S26']}"[:60] in text
    assert f"S36: {rules.SOURCES['S36']}" in text


@pytest.mark.parametrize("stored", ["current", "old"])
def test_fhir_notes_say_flags_and_statuses_in_plain_words(
    flagged_plan: TreatmentPlan, patient: Patient, stored: str
) -> None:
    if stored == "old":
        make_old(flagged_plan)
    bundle, notes = fhir_notes(patient)
    everything = json.dumps(bundle)
    for marker in NEVER_SHOWN[:-1]:
        assert marker not in everything, marker
    assert "Flags: " in notes
    assert "Mutation testing required before relying on this plan;" in notes
    assert re.search(
        r"Not confirmed by a primary source \(rules?: [^)]*risk\.afip\.site_extrapolated", notes
    )
    assert f"Rule review.schedule: {rules.RULES['review.schedule'].text} Status: {CONVENTION}." in (
        notes
    )
    assert "Rule risk.afip.site_extrapolated: " in notes
    assert f"Status: {NOT_CONFIRMED}." in notes
    assert f"S4 {rules.SOURCES['S4']}" in notes
    # a confirmed rule says nothing about its status
    high_risk = notes.split("Rule decision.adjuvant_high_risk: ")[1].split("Rule ")[0]
    assert "Status:" not in high_risk

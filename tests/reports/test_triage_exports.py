"""Issue 16 in the PDF and the FHIR export: a patient-reported level is named as the
patient's (with its PRO-CTCAE composite grade) and never called a CTCAE grade; red flags are
marked; a clinician's grade carries the CTCAE v5.0 term graded."""

import re
from datetime import date
from io import BytesIO
from uuid import uuid4

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class
from pypdf import PdfReader

from backend.reports.data import PatientReportData, patient_report_data
from backend.reports.fhir import patient_fhir_bundle
from backend.reports.pdf import patient_report_pdf
from backend.sideeffects.models import SideEffectReport
from backend.sideeffects.services import clinician_assessment_record, side_effect_report_record
from tests.reports.conftest import NOW, REPORT_FIRST, REPORT_LAST, History, local

pytestmark = pytest.mark.django_db

BASE = "https://ehr.example.test/fhir"
REPORTED = local(date(2026, 11, 15), "10:00")


@pytest.fixture
def triage(history: History) -> PatientReportData:
    """The history, plus a red flag (black stools) and a rash the nurse graded as
    Stevens-Johnson syndrome grade 4."""
    patient = history.patient
    assert patient.user is not None
    with time_machine.travel(REPORTED, tick=False):
        for symptom, answers in (
            ("black_stools", {"presence": 1}),
            ("rash", {"presence": 1, "blisters": 1}),
        ):
            side_effect_report_record(
                patient=patient,
                reported_by=patient.user,
                client_id=uuid4(),
                symptom=symptom,
                answers=answers,
            )
    rash = SideEffectReport.objects.get(patient=patient, symptom="rash")
    with time_machine.travel(local(date(2026, 11, 15), "11:00"), tick=False):
        clinician_assessment_record(
            report=rash,
            assessed_by=history.nurse,
            grade=4,
            ctcae_term="Stevens-Johnson syndrome",
            note="sloughing 15 %",
        )
    with time_machine.travel(NOW, tick=False):
        return patient_report_data(patient, REPORT_FIRST, REPORT_LAST)


def surveys(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        categories = resource.get("category") or [{"coding": [{}]}]
        if categories[0]["coding"][0].get("code") == "survey":
            found.setdefault(resource["code"]["coding"][0]["code"], []).append(resource)
    return found


def test_fhir_names_the_composite_as_patient_reported(triage: PatientReportData) -> None:
    bundle = patient_fhir_bundle(triage, base_url=BASE)
    by_symptom = surveys(bundle)
    mild, severe = by_symptom["nausea"]
    for observation, composite in ((mild, 1), (severe, 3)):
        get_fhir_model_class("Observation").model_validate(observation)
        assert observation["method"]["text"].startswith("Patient-reported")
        (interpretation,) = observation["interpretation"]
        assert interpretation["coding"] == [
            {
                "system": "urn:gist-adherence:pro-ctcae-composite-grade",
                "code": str(composite),
                "display": f"Patient-reported PRO-CTCAE composite grade {composite} of 3 "
                "(not a CTCAE grade)",
            }
        ]
    # Nothing about a patient's answers is called a CTCAE grade without saying it is not one.
    for observations in by_symptom.values():
        for observation in observations:
            words = str(observation)
            assert len(re.findall(r"CTCAE grade", words)) == len(
                re.findall(r"not a CTCAE grade", words)
            )


def test_fhir_marks_red_flags(triage: PatientReportData) -> None:
    by_symptom = surveys(patient_fhir_bundle(triage, base_url=BASE))
    (stools,) = by_symptom["black_stools"]
    assert stools["code"]["text"].startswith("PRO-CTCAE-style (not a PRO-CTCAE item)")
    answer, flag = stools["interpretation"]
    assert answer["text"] == "Patient answered yes (a yes/no question; no composite grade)"
    assert flag["coding"][0] == {
        "system": "urn:gist-adherence:red-flag",
        "code": "black_stools",
        "display": "Black, tarry or bloody stools",
    }
    (rash,) = by_symptom["rash"]
    assert [i["coding"][0]["code"] for i in rash["interpretation"][1:]] == ["blistering_rash"]


def test_fhir_grade_carries_the_term(triage: PatientReportData) -> None:
    bundle = patient_fhir_bundle(triage, base_url=BASE)
    exams = [
        e["resource"]
        for e in bundle["entry"]
        if (e["resource"].get("category") or [{"coding": [{}]}])[0]["coding"][0].get("code")
        == "exam"
    ]
    texts = sorted(exam["code"]["text"] for exam in exams)
    assert texts == [
        "CTCAE v5.0 grade: Nausea",
        "CTCAE v5.0 grade: Stevens-Johnson syndrome (reported as Rash)",
    ]
    (sjs,) = [exam for exam in exams if "Stevens" in exam["code"]["text"]]
    assert sjs["valueInteger"] == 4
    get_fhir_model_class("Observation").model_validate(sjs)


def test_pdf_says_patient_reported_composite_red_flags_and_terms(
    triage: PatientReportData,
) -> None:
    document = patient_report_pdf(triage)
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(BytesIO(document)).pages
    )
    assert "Patient-reported (not a CTCAE grade)" in text
    assert "Highest answer 3 (severe) Composite 3 of 3" in text
    assert "Answered yes (yes/no question)" in text
    assert "RED FLAG: Black, tarry or bloody stools" in text
    assert "RED FLAG: Blisters, peeling skin or mouth sores" in text
    assert "Stevens-Johnson syndrome — Grade 4, 15 Nov 2026 11:00: sloughing 15 %" in text
    assert "Nausea — Grade 2, 11 Nov 2026 10:00: seen" in text
    assert "not CTCAE grades" in text

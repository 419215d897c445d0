"""Lab results in the per-patient exports (issue 17): the PDF lists the period's values with
their ULN and multiple of it, states the label's thresholds and flags a result beyond a hold
threshold; the FHIR Bundle has one laboratory Observation per result (LOINC, UCUM,
referenceRange high = ULN, HH / LL / H interpretations with their meaning), and stays valid R4."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from backend.common.presentation.charts import LAB_THRESHOLDS
from backend.guidelines import rules
from backend.guidelines.labs import CANONICAL_UNITS, TESTS
from backend.labs import units
from backend.labs.fhir import LOINC_TESTS
from backend.labs.models import LabResult, LabSource
from backend.labs.services import lab_results_record, panel_inputs
from backend.reports.data import PatientReportData, patient_report_data
from backend.reports.fhir import EXPORT_LOINC, UCUM_CODES, patient_fhir_bundle
from backend.reports.pdf import HOLD_FLAG, patient_report_pdf
from tests.reports.conftest import NOW, REPORT_FIRST, REPORT_LAST, History
from tests.reports.test_pdf import text_of

pytestmark = pytest.mark.django_db

BASE = "https://ehr.example.test/fhir"
TIMES = "\u00d7"
ARTIFACT = (
    Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "patient-report-labs.pdf"
)


def record(history: History, day: date, results: list[dict]) -> None:
    with time_machine.travel(NOW, tick=False):
        lab_results_record(
            patient=history.patient,
            recorded_by=history.nurse,
            items=panel_inputs(day, results),
            source=LabSource.MANUAL,
        )


def uln(test: str, value: str, unit: str, upper: str | None = None) -> dict:
    return {
        "test": test,
        "value": Decimal(value),
        "unit": unit,
        "upper_limit_of_normal": Decimal(upper) if upper is not None else None,
    }


@pytest.fixture
def lab_data(history: History) -> PatientReportData:
    # before the period: not exported
    record(history, date(2026, 9, 20), [uln("alt", "33", "U/L", "40")])
    record(
        history,
        date(2026, 10, 6),
        [
            uln("alt", "30", "U/L", "40"),
            uln("bilirubin_total", "0.6", "mg/dL", "1.2"),  # 10.26 µmol/L, ULN 20.52
            uln("anc", "2100", "/µL"),  # 2.1 x 10^9/L
            uln("platelets", "210", "10^9/L"),
        ],
    )
    record(
        history,
        date(2026, 11, 3),
        [
            uln("alt", "250", "U/L", "40"),  # 6.25 x ULN: beyond the hold threshold
            uln("ast", "200", "U/L", "40"),  # exactly 5 x ULN: not beyond
            uln("anc", "0.8", "10^9/L"),  # below 1.0: beyond
            uln("platelets", "60", "10^9/L"),  # below 75 but not below 50
            uln("haemoglobin", "11.2", "g/dL"),
        ],
    )
    with time_machine.travel(NOW, tick=False):
        return patient_report_data(history.patient, REPORT_FIRST, REPORT_LAST)


def test_report_data_holds_the_periods_results_oldest_first(lab_data: PatientReportData) -> None:
    assert [r.taken_on for r in lab_data.lab_results] == sorted(
        r.taken_on for r in lab_data.lab_results
    )
    assert len(lab_data.lab_results) == 9
    assert all(REPORT_FIRST <= r.taken_on <= REPORT_LAST for r in lab_data.lab_results)


# ---------------------------------------------------------------- PDF


def test_pdf_lists_values_uln_and_thresholds_and_flags_a_hold(lab_data: PatientReportData) -> None:
    document = patient_report_pdf(lab_data)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_bytes(document)
    text = text_of(document)
    assert "Lab results" in text
    # the label's thresholds stated, with the guideline module's numbers
    assert f"bilirubin is above {rules.LIVER_HOLD_BILIRUBIN_X_ULN:g} {TIMES} ULN" in text
    assert f"ALT or AST above {rules.LIVER_HOLD_TRANSAMINASES_X_ULN:g} {TIMES} ULN" in text
    assert f"below {rules.LIVER_RESUME_BILIRUBIN_X_ULN:g} {TIMES} ULN" in text
    assert f"below {rules.LIVER_RESUME_TRANSAMINASES_X_ULN:g} {TIMES} ULN" in text
    assert "ANC is below 1.0" in text and "platelets below 50" in text
    assert "ANC is 1.5" in text and "platelets 75" in text
    # values with their ULN and multiple of it
    assert "6 Oct 2026" in text and "3 Nov 2026" in text
    assert "20 Sep 2026" not in text
    assert "250 U/L" in text and "40 U/L" in text
    assert f"6.25 {TIMES} ULN" in text
    assert f"0.75 {TIMES} ULN" in text
    assert "10.26 µmol/L" in text and "20.52 µmol/L" in text
    assert "0.6 mg/dL (ULN 1.2)" in text  # as entered
    assert "Haemoglobin" in text and "11.2 g/dL" in text
    assert "no hold rule on the label" in text
    # flagged where a hold threshold is crossed: ALT 6.25 x ULN and ANC 0.8; not AST at 5 x
    assert text.count(HOLD_FLAG) == 2 + 1  # two rows and the note under the table


def test_pdf_without_lab_results_says_so(history: History) -> None:
    with time_machine.travel(NOW, tick=False):
        data = patient_report_data(history.patient, REPORT_FIRST, REPORT_LAST)
    text = text_of(patient_report_pdf(data))
    assert "Lab results" in text
    assert "No lab results taken in this period." in text
    assert HOLD_FLAG not in text


# ---------------------------------------------------------------- FHIR


def lab_observations(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "Observation":
            continue
        categories = [c["code"] for cat in resource.get("category", []) for c in cat["coding"]]
        if "laboratory" in categories:
            test = LOINC_TESTS[resource["code"]["coding"][0]["code"]]
            found.setdefault(test, []).append(resource)
    return found


def test_fhir_has_an_observation_per_lab_result_and_stays_valid(
    lab_data: PatientReportData,
) -> None:
    bundle = patient_fhir_bundle(lab_data, base_url=BASE)
    assert json.loads(json.dumps(bundle)) == bundle
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    found = lab_observations(bundle)
    assert sum(len(v) for v in found.values()) == 9
    ids = [o["id"] for v in found.values() for o in v]
    assert len(set(ids)) == len(ids)

    alt_normal, alt_high = sorted(found["alt"], key=lambda o: o["effectiveDateTime"])
    assert alt_high["code"]["coding"][0] == {"system": "http://loinc.org", "code": "1742-6"}
    assert alt_high["effectiveDateTime"] == "2026-11-03"
    assert alt_high["status"] == "final"
    assert alt_high["subject"] == {"reference": f"Patient/{lab_data.patient.pk}"}
    assert alt_high["valueQuantity"] == {
        "value": 250.0,
        "unit": "U/L",
        "system": "http://unitsofmeasure.org",
        "code": "U/L",
    }
    assert alt_high["referenceRange"][0]["high"]["value"] == 40.0
    assert alt_high["referenceRange"][0]["high"]["code"] == "U/L"
    [interpretation] = alt_high["interpretation"]
    assert interpretation["coding"][0]["code"] == "HH"
    assert "withhold imatinib" in interpretation["text"]
    assert f"above 5 {TIMES} ULN" in interpretation["text"]
    assert f"6.25 {TIMES} ULN" in alt_high["note"][0]["text"]
    assert "interpretation" not in alt_normal

    [ast] = found["ast"]  # exactly 5 x ULN: above the ULN, not beyond the hold threshold
    assert ast["interpretation"][0]["coding"][0]["code"] == "H"
    assert "not beyond the label's hold threshold" in ast["interpretation"][0]["text"]

    [bilirubin] = found["bilirubin_total"]  # molar LOINC code for a µmol/L value
    assert bilirubin["code"]["coding"][0]["code"] == "14631-6"
    assert bilirubin["valueQuantity"]["value"] == 10.26
    assert bilirubin["valueQuantity"]["code"] == "umol/L"
    assert bilirubin["referenceRange"][0]["high"]["value"] == 20.52
    assert "Entered as 0.6 mg/dL (ULN 1.2)" in bilirubin["note"][0]["text"]

    anc_ok, anc_low = sorted(found["anc"], key=lambda o: o["effectiveDateTime"])
    assert anc_ok["valueQuantity"]["value"] == 2.1
    assert anc_ok["valueQuantity"]["code"] == "10*9/L"
    assert "referenceRange" not in anc_ok and "interpretation" not in anc_ok
    assert anc_low["interpretation"][0]["coding"][0]["code"] == "LL"
    assert "below 1.0" in anc_low["interpretation"][0]["text"]

    platelets_low = max(found["platelets"], key=lambda o: o["effectiveDateTime"])
    assert "interpretation" not in platelets_low  # 60: below resume, not below the hold line


def test_exported_codes_and_units_are_the_labs_modules() -> None:
    for test in TESTS:
        assert LOINC_TESTS[EXPORT_LOINC[test]] == test
        code = UCUM_CODES[CANONICAL_UNITS[test]]
        assert units.factor_for(test, code) == units.factor_for(test, CANONICAL_UNITS[test])
    assert set(LAB_THRESHOLDS) <= set(TESTS)


def test_lab_observation_ids_are_stable(lab_data: PatientReportData, history: History) -> None:
    first = lab_observations(patient_fhir_bundle(lab_data, base_url=BASE))
    with time_machine.travel(NOW, tick=False):
        wider = patient_report_data(history.patient, date(2026, 9, 1), REPORT_LAST)
    second = lab_observations(patient_fhir_bundle(wider, base_url=BASE))
    assert {o["id"] for v in first.values() for o in v} < {
        o["id"] for v in second.values() for o in v
    }
    assert LabResult.objects.filter(patient=history.patient).count() == 10

"""The FHIR export: valid R4 (checked with fhir.resources' R4B models, a test dependency
only), one resource per fact with ids that stay the same from one export to the next, and
figures equal to the ones the adherence selectors give every other screen."""

import ast
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

import backend.reports.fhir as fhir_module
from backend.reports.data import PatientReportData, patient_report_data
from backend.reports.fhir import dose_fhir_id, patient_fhir_bundle, plan_fhir_id
from tests.reports.conftest import NOW, History

pytestmark = pytest.mark.django_db

BASE = "https://ehr.example.test/fhir"
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
DAY = re.compile(r"^\d{4}-\d\d-\d\d$")


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def walk(value: Any, key: str) -> list[Any]:
    """Every value under `key`, at any depth."""
    found: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                found.append(v)
            found += walk(v, key)
    elif isinstance(value, list):
        for v in value:
            found += walk(v, key)
    return found


def category_of(observation: dict) -> str | None:
    categories = observation.get("category") or [{"coding": [{}]}]
    return categories[0]["coding"][0].get("code")


@pytest.fixture
def bundle(report_data: PatientReportData) -> dict:
    return patient_fhir_bundle(report_data, base_url=BASE)


def test_bundle_and_every_resource_validate_as_fhir(bundle: dict) -> None:
    assert json.loads(json.dumps(bundle)) == bundle  # plain JSON, nothing to serialise
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    types = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert types["Patient"] == 1
    assert types["MedicationRequest"] == 1
    assert types["MedicationStatement"] == 1


# fhir.resources does not check required code bindings, so the statuses are checked here
# against R4's value sets.
R4_STATUSES = {
    "MedicationRequest": {
        "active",
        "on-hold",
        "cancelled",
        "completed",
        "entered-in-error",
        "stopped",
        "draft",
        "unknown",
    },
    "MedicationAdministration": {
        "in-progress",
        "not-done",
        "on-hold",
        "completed",
        "entered-in-error",
        "stopped",
        "unknown",
    },
    "MedicationStatement": {
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    },
    "Observation": {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    "Flag": {"active", "inactive", "entered-in-error"},
}


def test_statuses_are_r4_codes(bundle: dict) -> None:
    for entry in bundle["entry"]:
        resource = entry["resource"]
        allowed = R4_STATUSES.get(resource["resourceType"])
        if allowed is not None:
            assert resource["status"] in allowed, resource


def test_bundle_header(bundle: dict, report_data: PatientReportData) -> None:
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == report_data.generated_at.isoformat().replace("+00:00", "Z")
    assert bundle["identifier"]["value"].startswith("urn:uuid:")
    again = patient_fhir_bundle(report_data, base_url=BASE + "/")
    assert again["identifier"] == bundle["identifier"]
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]


def test_one_administration_per_logged_dose(bundle: dict, report_data: PatientReportData) -> None:
    logged = [item for item in report_data.calendar if item.log is not None]
    administrations = resources(bundle, "MedicationAdministration")
    assert len(administrations) == len(logged) == 47
    patient_id = report_data.patient.pk
    assert {a["id"] for a in administrations} == {
        dose_fhir_id(patient_id, item.dose.date, item.dose.slot) for item in logged
    }
    statuses = Counter(a["status"] for a in administrations)
    metrics = report_data.metrics
    assert statuses["completed"] == metrics.taken + metrics.taken_late == 36
    assert statuses["not-done"] == metrics.skipped + metrics.missed == 11
    assert report_data.plan is not None
    request = {"reference": f"MedicationRequest/{plan_fhir_id(report_data.plan.plan.pk)}"}
    assert all(a["request"] == request for a in administrations)
    assert all(a["dosage"]["dose"]["value"] == 400 for a in administrations)


def test_administration_times_reasons_and_lateness(
    bundle: dict, report_data: PatientReportData
) -> None:
    by_id = {a["id"]: a for a in resources(bundle, "MedicationAdministration")}
    late = 0
    for item in report_data.calendar:
        if item.log is None:
            continue
        resource = by_id[dose_fhir_id(report_data.patient.pk, item.dose.date, item.dose.slot)]
        if item.log.state == "taken":
            assert item.log.taken_at is not None
            assert resource["effectiveDateTime"] == item.log.taken_at.isoformat().replace(
                "+00:00", "Z"
            )
            assert "statusReason" not in resource
            taken_late = {"url": fhir_module.TAKEN_LATE_EXTENSION, "valueBoolean": True}
            if item.log.late:
                late += 1
                assert resource["extension"] == [taken_late]
                assert "late" in resource["note"][0]["text"].lower()
            else:
                assert "extension" not in resource
        else:
            # A dose not taken is dated when it was due.
            assert resource["effectiveDateTime"] == item.dose.due_at.isoformat().replace(
                "+00:00", "Z"
            )
            (reason,) = resource["statusReason"]
            if item.log.state == "skipped":
                assert reason["coding"][0]["code"] == "side_effects"
                assert "side effects" in reason["text"]
            else:
                assert reason["coding"][0]["code"] == "missed"
                assert "Missed" in reason["text"]
    assert late == report_data.metrics.taken_late == 6


def test_pdc_observation_matches_the_metrics(bundle: dict, report_data: PatientReportData) -> None:
    (pdc,) = [
        o
        for o in resources(bundle, "Observation")
        if o["code"]["text"] == "Proportion of days covered (imatinib)"
    ]
    ratio = report_data.metrics.pdc
    assert pdc["valueQuantity"] == {
        "value": ratio.percent,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert ratio.percent == 76.6
    assert pdc["effectivePeriod"] == {"start": "2026-10-01", "end": "2026-11-19"}
    assert [c["valueInteger"] for c in pdc["component"]] == [36, 47]
    assert "non-adherent" in pdc["interpretation"][0]["text"]


def test_side_effect_observations(bundle: dict, history: History) -> None:
    observations = resources(bundle, "Observation")
    surveys = [o for o in observations if category_of(o) == "survey"]
    exams = [o for o in observations if category_of(o) == "exam"]
    assert [o["valueInteger"] for o in surveys] == [1, 3]
    assert all(o["code"]["text"] == "PRO-CTCAE Nausea" for o in surveys)
    assert all(o["performer"] == [{"reference": f"Patient/{history.patient.pk}"}] for o in surveys)
    severe = surveys[1]
    assert severe["effectiveDateTime"] == "2026-11-10T18:00:00Z"
    assert {
        c["code"]["text"].rsplit(": ", 1)[1]: c["valueInteger"] for c in severe["component"]
    } == {
        "frequency": 3,
        "severity": 3,
    }
    (grade,) = exams
    assert grade["code"]["text"] == "CTCAE v5.0 grade: Nausea"
    assert grade["valueInteger"] == 2
    assert grade["effectiveDateTime"] == "2026-11-11T09:00:00Z"
    assert grade["derivedFrom"] == [{"reference": f"Observation/{severe['id']}"}]


def test_medication_request_and_statement(bundle: dict, report_data: PatientReportData) -> None:
    (request,) = resources(bundle, "MedicationRequest")
    assert request["status"] == "active"
    assert request["intent"] == "order"
    assert request["medicationCodeableConcept"]["coding"][0]["code"] == "282388"
    assert request["medicationCodeableConcept"]["text"] == "imatinib"
    (dosage,) = request["dosageInstruction"]
    assert dosage["text"] == "400 mg once daily at 08:00 (local time)"
    assert dosage["timing"]["repeat"] == {
        "boundsPeriod": {"start": "2026-09-01", "end": "2029-09-01"},
        "frequency": 1,
        "period": 1,
        "periodUnit": "d",
        "timeOfDay": ["08:00:00"],
    }
    assert dosage["doseAndRate"] == [
        {
            "doseQuantity": {
                "value": 400,
                "unit": "mg",
                "system": "http://unitsofmeasure.org",
                "code": "mg",
            }
        }
    ]
    notes = " ".join(n["text"] for n in request["note"])
    assert report_data.plan is not None
    assert report_data.plan.plan.guideline_version in notes
    assert all(f"Rule {reason.rule}:" in notes for reason in report_data.reasons)
    assert "Held 2026-10-20 to 2026-10-22: Grade 3 rash" in notes

    (statement,) = resources(bundle, "MedicationStatement")
    assert statement["status"] == "active"
    assert statement["effectivePeriod"] == {"start": "2026-10-01", "end": "2026-11-19"}
    summary = statement["note"][0]["text"]
    assert "76.6 %" in summary
    assert "30 taken on time, 6 taken late, 6 skipped (6 for side effects), 5 missed" in summary


def test_an_indefinite_plan_has_no_end(report_data: PatientReportData) -> None:
    assert report_data.plan is not None
    report_data.plan.plan.planned_end_date = None  # in memory only
    bundle = patient_fhir_bundle(report_data, base_url=BASE)
    (request,) = resources(bundle, "MedicationRequest")
    assert request["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] == {
        "start": "2026-09-01"
    }
    Bundle.model_validate(bundle)


def test_patient_holds_only_what_we_hold(bundle: dict, report_data: PatientReportData) -> None:
    (patient,) = resources(bundle, "Patient")
    record = report_data.patient
    assert set(patient) == {"resourceType", "id", "identifier", "name", "communication"}
    assert patient["id"] == str(record.pk)
    (identifier,) = patient["identifier"]
    assert identifier["system"] == f"urn:gist-adherence:mrn:{record.care_team_id}"
    assert identifier["value"] == record.medical_record_number
    assert patient["name"] == [{"text": record.display_name}]
    assert patient["communication"][0]["language"]["coding"][0]["code"] == record.language


def test_one_flag_per_unresolved_alert_none_for_the_resolved(
    bundle: dict, report_data: PatientReportData, history: History
) -> None:
    # The severe report (nausea frequently and severe, after "rarely" a month before, with
    # doses skipped for side effects) also opened a worsening alert and the combined alert
    # (issue 16: a rise is compared with the previous report whatever its age); only the
    # severe-symptom alert was resolved.
    assert {a.status for a in report_data.alerts} == {"open", "resolved"}
    unresolved = [a for a in report_data.alerts if a.status != "resolved"]
    assert {a.kind for a in unresolved} == {"worsening_symptom", "side_effect_nonadherence"}
    flags = {flag["identifier"][0]["value"]: flag for flag in resources(bundle, "Flag")}
    assert set(flags) == {str(a.pk) for a in unresolved}
    assert str(history.alert.pk) not in flags
    for alert in unresolved:
        flag = flags[str(alert.pk)]
        assert flag["status"] == "active"
        assert flag["code"]["text"] == alert.summary
        assert flag["period"] == {"start": alert.opened_at.isoformat().replace("+00:00", "Z")}


def test_ids_are_stable_across_exports_and_periods(
    bundle: dict, report_data: PatientReportData, history: History
) -> None:
    again = patient_fhir_bundle(report_data, base_url=BASE)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]

    with time_machine.travel(NOW, tick=False):
        other = patient_report_data(history.patient, date(2026, 10, 15), date(2026, 11, 5))
    other_bundle = patient_fhir_bundle(other, base_url=BASE)
    first = {a["id"]: a for a in resources(bundle, "MedicationAdministration")}
    second = {a["id"]: a for a in resources(other_bundle, "MedicationAdministration")}
    shared = set(first) & set(second)
    # Every dose of the shorter period is in the longer one, under the same id.
    assert shared == set(second)
    dose = dose_fhir_id(history.patient.pk, date(2026, 10, 16), 1)
    assert first[dose] == second[dose]
    assert (
        resources(bundle, "MedicationRequest")[0]["id"]
        == (resources(other_bundle, "MedicationRequest")[0]["id"])
    )
    assert other_bundle["identifier"] != bundle["identifier"]


def test_every_reference_resolves_in_the_bundle(bundle: dict) -> None:
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    references = walk(bundle, "reference")
    assert references
    assert set(references) <= present


def test_ids_urls_and_times_are_well_formed(bundle: dict) -> None:
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids))
    assert all(FHIR_ID.match(resource_id) for resource_id in ids)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"
    instants = [bundle["timestamp"]]
    for key in ("effectiveDateTime", "authoredOn", "issued", "dateAsserted"):
        instants += walk(bundle, key)
    assert all(INSTANT.match(value) for value in instants)
    for period in walk(bundle, "effectivePeriod") + walk(bundle, "boundsPeriod"):
        assert all(DAY.match(value) or INSTANT.match(value) for value in period.values())


def test_the_runtime_does_not_import_fhir_resources() -> None:
    """fhir.resources is a test dependency: production would fail to import the module."""
    tree = ast.parse(Path(fhir_module.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [name for name in imported if name.startswith("fhir")]


def test_building_reads_nothing_more_from_the_database(
    report_data: PatientReportData, django_assert_num_queries: Any
) -> None:
    """Everything comes from PatientReportData's fixed set of queries."""
    with django_assert_num_queries(0):
        patient_fhir_bundle(report_data, base_url=BASE)

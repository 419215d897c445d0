"""POST patients/<id>/fhir/Observation: FHIR R4 Observations from a lab system, one or a Bundle.
What is accepted is checked to be valid R4 with fhir.resources (a test dependency); a malformed
resource is refused with the reason and the element's path, and nothing is stored."""

import copy
import json
import uuid
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.labs.models import LabResult
from backend.notifications.models import OutboxMessage
from tests.factories.clients import client_for
from tests.labs.conftest import fhir_url

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


def observation(
    patient: Any,
    loinc: str,
    value: Any,
    unit: str,
    *,
    ucum: str | None = None,
    high: float | None = None,
    when: str = "2026-05-18T07:45:00+02:00",
    ident: str | None = None,
) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit}
    if ucum is not None:
        quantity.update(system="http://unitsofmeasure.org", code=ucum)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident or f"obs-{uuid.uuid4().hex[:12]}",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.999", "value": ident or "x"}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "effectiveDateTime": when,
        "issued": "2026-05-18T12:00:00+02:00",
        "valueQuantity": quantity,
    }
    if ident is None:
        del resource["identifier"]
    if high is not None:
        resource["referenceRange"] = [{"high": {"value": high, "unit": unit}}]
    return resource


def lab_panel(patient: Any, bundle_type: str = "transaction") -> dict[str, Any]:
    """What a lab system sends: liver tests and a blood count as one Bundle."""
    resources = [
        observation(patient, "1742-6", 250, "U/L", ucum="U/L", high=40, ident="alt-1"),
        observation(patient, "1920-8", 35, "U/L", ucum="U/L", high=40, ident="ast-1"),
        observation(patient, "1975-2", 0.8, "mg/dL", ucum="mg/dL", high=1.2, ident="bili-1"),
        observation(patient, "26499-4", 2.1, "10*3/uL", ucum="10*3/uL", ident="anc-1"),
        observation(patient, "777-3", 180, "10^9/L", ucum="10*9/L", ident="plt-1"),
        observation(patient, "718-7", 12.9, "g/dL", ucum="g/dL", ident="hb-1"),
    ]
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": resource}
        if bundle_type in ("transaction", "batch"):
            entry["request"] = {"method": "POST", "url": "Observation"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": bundle_type, "entry": entries}


def send(client, patient, body: Any, content_type: str = FHIR_JSON):
    return client.post(fhir_url(patient), data=json.dumps(body), content_type=content_type)


# ---------------------------------------------------------------------------------- accepted


def test_one_observation_is_stored_and_answered_with_a_valid_bundle(nurse_client, patient):
    resource = observation(
        patient, "1742-6", 48, "U/L", ucum="U/L", high=40, when="2026-05-18T23:30:00Z"
    )
    Observation.model_validate(resource)  # what we accept is valid R4
    response = send(nurse_client, patient, resource)
    assert response.status_code == 201, response.json()
    answer = response.json()
    Bundle.model_validate(answer)
    assert answer["type"] == "batch-response"
    (entry,) = answer["entry"]
    assert entry["response"]["status"] == "201 Created"
    stored = LabResult.objects.get()
    assert entry["response"]["location"] == f"urn:uuid:{stored.pk}"
    assert (stored.test, stored.value, stored.unit, stored.upper_limit_of_normal) == (
        "alt",
        48,
        "U/L",
        40,
    )
    assert stored.source == "fhir" and stored.external_id == resource["id"]
    # 23:30 UTC on 18 May is 19 May in Madrid, the patient's zone.
    assert stored.taken_on.isoformat() == "2026-05-19"
    assert AuditEvent.objects.get(action="labs.record").detail["source"] == "fhir"


@pytest.mark.parametrize("bundle_type", ["transaction", "batch", "collection"])
def test_a_bundle_from_a_lab_is_stored_and_raises_the_hold(
    nurse, nurse_client, patient, plan, bundle_type
):
    bundle = lab_panel(patient, bundle_type)
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        Observation.model_validate(entry["resource"])
    response = send(nurse_client, patient, bundle)
    assert response.status_code == 201, response.json()
    answer = response.json()
    Bundle.model_validate(answer)
    expected = "transaction-response" if bundle_type == "transaction" else "batch-response"
    assert answer["type"] == expected
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 6
    values = {r.test: (float(r.value), r.unit) for r in LabResult.objects.all()}
    assert values == {
        "alt": (250, "U/L"),
        "ast": (35, "U/L"),
        "bilirubin_total": (pytest.approx(13.68), "µmol/L"),
        "anc": (pytest.approx(2.1), "10^9/L"),
        "platelets": (180, "10^9/L"),
        "haemoglobin": (pytest.approx(12.9), "g/dL"),
    }
    assert LabResult.objects.get(test="alt").external_identifier == (
        "urn:oid:2.16.840.1.113883.3.999|alt-1"
    )
    alert = Alert.objects.get()
    assert (alert.kind, alert.priority) == ("liver_hold", "urgent")
    assert OutboxMessage.objects.filter(kind="alert_opened", recipient=nurse).count() == 1


def test_a_resent_bundle_stores_nothing_twice(nurse_client, patient, plan):
    bundle = lab_panel(patient)
    assert send(nurse_client, patient, bundle).status_code == 201
    again = send(nurse_client, patient, bundle)
    assert again.status_code == 200
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 6
    assert LabResult.objects.count() == 6
    alert = Alert.objects.get()
    assert alert.occurrences == 1


def test_the_same_observation_id_with_other_content_is_a_conflict(nurse_client, patient):
    resource = observation(patient, "777-3", 180, "10^9/L", ident="plt-9")
    assert send(nurse_client, patient, resource).status_code == 201
    corrected = {
        **resource,
        "status": "corrected",
        "valueQuantity": {"value": 18, "unit": "10^9/L"},
    }
    response = send(nurse_client, patient, corrected)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "identifier[0]"
    assert LabResult.objects.count() == 1


def test_plain_json_is_accepted_too(nurse_client, patient):
    resource = observation(patient, "718-7", 8.1, "mmol/L", ucum="mmol/L")
    response = send(nurse_client, patient, resource, "application/json")
    assert response.status_code == 201
    assert float(LabResult.objects.get().value) == pytest.approx(13.0519, abs=1e-4)


def test_unit_from_the_ucum_code_or_the_text_and_dates_from_period_or_issued(nurse_client, patient):
    by_text = observation(patient, "751-8", 1500, "/uL")
    by_code = observation(patient, "2160-0", 1.0, "milligram per decilitre", ucum="mg/dL")
    period = observation(patient, "2164-2", 1.1, "mL/s", ucum="mL/s")
    del period["effectiveDateTime"]
    period["effectivePeriod"] = {"start": "2026-05-17", "end": "2026-05-18"}
    issued = observation(patient, "6768-6", 95, "U/L")
    del issued["effectiveDateTime"]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (by_text, by_code, period, issued)],
    }
    Bundle.model_validate(bundle)
    assert send(nurse_client, patient, bundle).status_code == 201
    stored = {r.test: r for r in LabResult.objects.all()}
    assert float(stored["anc"].value) == pytest.approx(1.5)
    assert float(stored["creatinine"].value) == pytest.approx(88.4)
    assert stored["creatinine"].unit_entered == "mg/dL"
    assert float(stored["creatinine_clearance"].value) == pytest.approx(66)
    assert stored["creatinine_clearance"].taken_on.isoformat() == "2026-05-17"
    assert stored["alkaline_phosphatase"].taken_on.isoformat() == "2026-05-18"


# ---------------------------------------------------------------------------------- refused


def mutate(path: list[Any], value: Any = None, *, delete: bool = False):
    def change(bundle: dict[str, Any]) -> dict[str, Any]:
        bundle = copy.deepcopy(bundle)
        target = bundle
        for key in path[:-1]:
            target = target[key]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return bundle

    return change


R = ["entry", 2, "resource"]  # the bilirubin
ALT = ["entry", 0, "resource"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (mutate([*R, "valueQuantity", "value"], "high"), "entry[2].resource.valueQuantity.value"),
        (mutate([*R, "valueQuantity", "value"], True), "entry[2].resource.valueQuantity.value"),
        (mutate([*R, "valueQuantity", "value"], -1), "entry[2].resource.valueQuantity.value"),
        (
            mutate([*R, "valueQuantity", "value"], delete=True),
            "entry[2].resource.valueQuantity.value",
        ),
        (mutate([*R, "valueQuantity"], delete=True), "entry[2].resource.valueQuantity"),
        (
            mutate([*R, "valueQuantity", "comparator"], "<"),
            "entry[2].resource.valueQuantity.comparator",
        ),
        (
            mutate([*R, "valueQuantity"], {"value": 1, "unit": "g/L"}),
            "entry[2].resource.valueQuantity.unit",
        ),
        (
            mutate(
                [*R, "valueQuantity"],
                {"value": 1, "system": "http://unitsofmeasure.org", "code": "g/L"},
            ),
            "entry[2].resource.valueQuantity.code",
        ),
        (mutate([*R, "valueQuantity"], {"value": 1}), "entry[2].resource.valueQuantity.unit"),
        (mutate([*R, "status"], "preliminary"), "entry[2].resource.status"),
        (mutate([*R, "status"], delete=True), "entry[2].resource.status"),
        (mutate([*R, "code", "coding", 0, "code"], "2345-7"), "entry[2].resource.code.coding"),
        (
            mutate([*R, "code", "coding", 0, "system"], "http://snomed.info/sct"),
            "entry[2].resource.code.coding",
        ),
        (mutate([*R, "code"], "bilirubin"), "entry[2].resource.code"),
        (mutate([*R, "referenceRange"], delete=True), "entry[2].resource.referenceRange[0].high"),
        (
            mutate([*R, "referenceRange", 0, "high", "value"], "1.2"),
            "entry[2].resource.referenceRange[0].high.value",
        ),
        (
            mutate([*R, "referenceRange", 0, "high", "unit"], "µmol/L"),
            "entry[2].resource.referenceRange[0].high.unit",
        ),
        (
            mutate([*R, "referenceRange", 0, "high", "value"], 0),
            "entry[2].resource.referenceRange[0].high",
        ),
        (
            mutate([*R, "subject", "reference"], f"Patient/{uuid.uuid4()}"),
            "entry[2].resource.subject.reference",
        ),
        (mutate([*R, "effectiveDateTime"], "2026-05"), "entry[2].resource.effectiveDateTime"),
        (
            mutate([*R, "effectiveDateTime"], "2026-05-18T08:00:00"),
            "entry[2].resource.effectiveDateTime",
        ),
        (mutate([*R, "effectiveDateTime"], "18/05/2026"), "entry[2].resource.effectiveDateTime"),
        (mutate([*R, "effectiveDateTime"], "2026-05-30"), "entry[2].resource.effectiveDateTime"),
        (mutate([*R, "resourceType"], "Patient"), "entry[2].resource.resourceType"),
        (mutate(["entry", 2], "Observation"), "entry[2]"),
        (mutate(["entry", 2, "resource"], delete=True), "entry[2].resource"),
        (
            mutate([*ALT, "valueQuantity", "value"], 50000000),
            "entry[0].resource.valueQuantity.value",
        ),
        (mutate(["type"], "searchset"), "type"),
        (mutate(["entry"], []), "entry"),
        (mutate(["entry"], "none"), "entry"),
        (mutate(["resourceType"], "Parameters"), "resourceType"),
    ],
)
def test_a_malformed_bundle_is_refused_with_the_path_and_nothing_is_stored(
    nurse_client, patient, plan, change, field
):
    response = send(nurse_client, patient, change(lab_panel(patient)))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}
    assert [error["field"] for error in body["errors"]] == [field], body
    assert body["errors"][0]["reason"]
    assert not LabResult.objects.exists()
    assert not Alert.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="labs.record").exists()


def test_drop_effective_and_issued_needs_a_date(nurse_client, patient):
    resource = observation(patient, "777-3", 180, "10^9/L")
    del resource["effectiveDateTime"], resource["issued"]
    response = send(nurse_client, patient, resource)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "effectiveDateTime"


def test_a_single_observations_paths_start_at_the_resource(nurse_client, patient):
    resource = observation(patient, "1742-6", 48, "U/L")  # no referenceRange: no ULN
    response = send(nurse_client, patient, resource)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "referenceRange[0].high"
    assert "upper limit of normal" in response.json()["errors"][0]["reason"]


@pytest.mark.parametrize("body", ["[]", '"Observation"', "{", ""])
def test_not_a_resource_is_400(nurse_client, patient, body):
    response = nurse_client.post(fhir_url(patient), data=body, content_type=FHIR_JSON)
    assert response.status_code == 400


def test_other_content_types_are_415(nurse_client, patient):
    response = nurse_client.post(
        fhir_url(patient), data="<Observation/>", content_type="application/fhir+xml"
    )
    assert response.status_code == 415


def test_who_may_send(coordinator, other_team_nurse, admin_user, patient):
    resource = observation(patient, "777-3", 180, "10^9/L")
    assert send(client_for(coordinator), patient, resource).status_code == 403
    assert send(client_for(patient.user), patient, resource).status_code == 403
    assert send(client_for(other_team_nurse), patient, resource).status_code == 404
    assert not LabResult.objects.exists()
    assert send(client_for(admin_user), patient, resource).status_code == 201


def test_the_trailing_slash_reaches_the_same_endpoint(nurse, patient):
    from tests.factories.clients import client_for

    url = f"/api/v1/patients/{patient.pk}/fhir/Observation/"
    response = client_for(nurse).post(url, {"resourceType": "Observation"}, format="json")
    assert response.status_code == 400  # validated by the FHIR view, not a 404

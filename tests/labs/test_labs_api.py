"""POST/GET patients/<id>/labs/: who may, what is stored (canonical units), bad input as a 400
naming the field, resends storing nothing twice, and the audit log."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from backend.audit.models import AuditEvent
from backend.labs.models import LabResult
from tests.factories.clients import client_for
from tests.labs.conftest import TODAY, blood_count, labs_url, liver_panel

pytestmark = pytest.mark.django_db


def body(**changes: Any) -> dict[str, Any]:
    return {**liver_panel("2026-05-18"), **changes}


def one(result: dict[str, Any], taken_on: str = "2026-05-18") -> dict[str, Any]:
    return {"taken_on": taken_on, "results": [result]}


# ---------------------------------------------------------------------------------- access


def test_nurse_records_results_in_canonical_units(nurse, nurse_client, patient):
    response = nurse_client.post(
        labs_url(patient),
        {
            "taken_on": "2026-05-18",
            "results": [
                {
                    "test": "bilirubin_total",
                    "value": 1.2,
                    "unit": "mg/dL",
                    "upper_limit_of_normal": 1.2,
                },
                {"test": "platelets", "value": 150000, "unit": "/µL"},
                {"test": "haemoglobin", "value": 128, "unit": "g/L"},
                {"test": "anc", "value": 0, "unit": "10^9/L"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == {"results", "alerts"}
    bilirubin, platelets, haemoglobin, anc = data["results"]
    assert bilirubin["test"] == "bilirubin_total"
    assert (bilirubin["value"], bilirubin["unit"]) == (pytest.approx(20.52), "µmol/L")
    assert bilirubin["upper_limit_of_normal"] == pytest.approx(20.52)
    assert bilirubin["x_uln"] == 1.0
    assert (bilirubin["value_entered"], bilirubin["unit_entered"]) == (1.2, "mg/dL")
    assert bilirubin["upper_limit_of_normal_entered"] == 1.2
    assert (platelets["value"], platelets["unit"]) == (150, "10^9/L")
    assert platelets["upper_limit_of_normal"] is None and platelets["x_uln"] is None
    assert (haemoglobin["value"], haemoglobin["unit"]) == (12.8, "g/dL")
    assert anc["value"] == 0  # a count of nothing is a result (and a hold)
    assert bilirubin["source"] == "manual" and bilirubin["recorded_by"] == nurse.username
    assert LabResult.objects.filter(patient=patient).count() == 4
    stored = LabResult.objects.get(pk=bilirubin["id"])
    assert str(stored.value) == "20.520000" and stored.taken_on.isoformat() == "2026-05-18"


def test_admin_may_record(admin_user, patient):
    response = client_for(admin_user).post(labs_url(patient), body(), format="json")
    assert response.status_code == 201


def test_coordinator_may_read_but_not_record(coordinator, patient):
    client = client_for(coordinator)
    assert client.post(labs_url(patient), body(), format="json").status_code == 403
    assert client.get(labs_url(patient)).status_code == 200
    assert not LabResult.objects.exists()


def test_another_teams_patient_is_404(other_team_nurse, patient):
    client = client_for(other_team_nurse)
    assert client.post(labs_url(patient), body(), format="json").status_code == 404
    assert client.get(labs_url(patient)).status_code == 404
    assert client.post(labs_url(uuid.uuid4()), body(), format="json").status_code == 404
    assert not LabResult.objects.exists()


def test_patients_may_not_call_the_staff_routes(patient, foreign_patient):
    client = client_for(patient.user)
    for target in (patient, foreign_patient):
        assert client.post(labs_url(target), body(), format="json").status_code == 403
        assert client.get(labs_url(target)).status_code == 403
    assert not LabResult.objects.exists()


def test_signed_out_is_401(api_client, patient):
    assert api_client.get(labs_url(patient)).status_code == 401
    assert api_client.post(labs_url(patient), body(), format="json").status_code == 401


# ---------------------------------------------------------------------------------- reading


def test_list_is_newest_first_and_audited(nurse, nurse_client, coordinator, patient):
    nurse_client.post(labs_url(patient), liver_panel("2026-05-01"), format="json")
    nurse_client.post(labs_url(patient), blood_count("2026-05-18"), format="json")
    nurse_client.post(labs_url(patient), liver_panel("2026-05-10", alt=35), format="json")
    response = client_for(coordinator).get(labs_url(patient))
    assert response.status_code == 200
    days = [row["taken_on"] for row in response.json()]
    assert days == sorted(days, reverse=True) and len(days) == 8
    assert days[0] == "2026-05-18"
    reads = AuditEvent.objects.filter(action="labs.view")
    assert reads.count() == 1
    assert reads.get().actor == coordinator and reads.get().patient_id == patient.pk


def test_recording_is_audited(nurse, nurse_client, patient):
    response = nurse_client.post(labs_url(patient), body(), format="json")
    event = AuditEvent.objects.get(action="labs.record")
    assert event.actor == nurse and event.patient_id == patient.pk
    assert event.detail["source"] == "manual"
    assert sorted(event.detail["results"]) == sorted(r["id"] for r in response.json()["results"])
    assert event.detail["tests"] == ["alt", "ast", "bilirubin_total"]
    # A resend records nothing, so it writes no event.
    nurse_client.post(labs_url(patient), body(), format="json")
    assert AuditEvent.objects.filter(action="labs.record").count() == 1


# ---------------------------------------------------------------------------------- resends


def test_a_resend_stores_nothing_twice(nurse_client, patient):
    first = nurse_client.post(labs_url(patient), body(), format="json")
    assert first.status_code == 201
    again = nurse_client.post(labs_url(patient), body(), format="json")
    assert again.status_code == 200
    assert again.json()["results"] == first.json()["results"]
    assert LabResult.objects.count() == 3
    # The same value written another way (40 vs 40.0) is the same result.
    alt = {"test": "alt", "value": "30.0", "unit": "U/L", "upper_limit_of_normal": 40}
    assert nurse_client.post(labs_url(patient), one(alt), format="json").status_code == 200
    # One result new, the others resent: 201, and only the new one is stored.
    mixed = body()
    mixed["results"].append({"test": "creatinine", "value": 80, "unit": "µmol/L"})
    response = nurse_client.post(labs_url(patient), mixed, format="json")
    assert response.status_code == 201
    assert LabResult.objects.count() == 4
    assert len(response.json()["results"]) == 4


def test_a_resend_with_the_same_client_id_returns_what_was_stored(nurse_client, patient):
    client_id = str(uuid.uuid4())
    first = nurse_client.post(labs_url(patient), body(client_id=client_id), format="json")
    assert first.status_code == 201
    assert {r["client_id"] for r in first.json()["results"]} == {client_id}
    changed = body(client_id=client_id, taken_on="2026-05-19")
    again = nurse_client.post(labs_url(patient), changed, format="json")
    assert again.status_code == 200
    assert {r["id"] for r in again.json()["results"]} == {r["id"] for r in first.json()["results"]}
    assert LabResult.objects.count() == 3


def test_a_client_id_of_another_patient_is_refused(nurse_client, patient, care_team):
    from tests.factories.accounts import activated_patient

    other = activated_patient(care_team=care_team)
    client_id = str(uuid.uuid4())
    nurse_client.post(labs_url(patient), body(client_id=client_id), format="json")
    response = nurse_client.post(labs_url(other), body(client_id=client_id), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "client_id"


# ---------------------------------------------------------------------------------- bad input

ALT_OK = {"test": "alt", "value": 30, "unit": "U/L", "upper_limit_of_normal": 40}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (one({**ALT_OK, "unit": "mg/dL"}), "results[0].unit"),
        (one({**ALT_OK, "unit": ""}), "results[0].unit"),
        (one({"test": "alt", "value": 30, "unit": "U/L"}), "results[0].upper_limit_of_normal"),
        (one({**ALT_OK, "upper_limit_of_normal": None}), "results[0].upper_limit_of_normal"),
        (
            {
                "taken_on": "2026-05-18",
                "results": [ALT_OK, {"test": "bilirubin_total", "value": 9, "unit": "µmol/L"}],
            },
            "results[1].upper_limit_of_normal",
        ),
        (
            {
                "taken_on": "2026-05-18",
                "results": [ALT_OK, {"test": "ast", "value": 9, "unit": "U/L"}],
            },
            "results[1].upper_limit_of_normal",
        ),
        (one({**ALT_OK, "upper_limit_of_normal": 0}), "results[0].upper_limit_of_normal"),
        (one({**ALT_OK, "upper_limit_of_normal": -40}), "results[0].upper_limit_of_normal"),
        (one({**ALT_OK, "value": -1}), "results[0].value"),
        (one({**ALT_OK, "value": 0}), "results[0].value"),
        (one({**ALT_OK, "value": "high"}), "results[0].value"),
        (one({**ALT_OK, "value": True}), "results[0].value"),
        (one({**ALT_OK, "value": None}), "results[0].value"),
        (one({**ALT_OK, "value": 999999}), "results[0].value"),
        (one({"test": "platelets", "value": 250000, "unit": "10^9/L"}), "results[0].value"),
        (one({"test": "haemoglobin", "value": 135, "unit": "g/dL"}), "results[0].value"),
        (one({"test": "haemoglobin", "value": 0, "unit": "g/dL"}), "results[0].value"),
        (one({**ALT_OK, "test": "glucose"}), "results[0].test"),
        (one({**ALT_OK, "colour": "red"}), "results[0].colour"),
        (one({"value": 30, "unit": "U/L"}), "results[0].test"),
        (one({**ALT_OK, "value": 1.1234567}), "results[0].value"),
        ({**one(ALT_OK), "taken_on": "2026-05-21"}, "taken_on"),
        ({**one(ALT_OK), "taken_on": "yesterday"}, "taken_on"),
        ({"results": [ALT_OK]}, "taken_on"),
        ({"taken_on": "2026-05-18", "results": []}, "results"),
        ({"taken_on": "2026-05-18"}, "results"),
        ({"taken_on": "2026-05-18", "results": ALT_OK}, "results"),
        ({**one(ALT_OK), "client_id": "abc"}, "client_id"),
        ({**one(ALT_OK), "note": "x"}, "note"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(nurse_client, patient, payload, field):
    good = {"test": "creatinine", "value": 80, "unit": "µmol/L"}
    if isinstance(payload.get("results"), list) and payload["results"]:
        payload = {**payload, "results": [good, *payload["results"]]}
        field = field.replace("results[1]", "results[2]").replace("results[0]", "results[1]")
    response = nurse_client.post(labs_url(patient), payload, format="json")
    assert response.status_code == 400, response.json()
    body_ = response.json()
    assert set(body_) == {"code", "detail", "errors"}
    assert field in [error["field"] for error in body_["errors"]], body_
    # All or nothing: the good result sent with the bad one is not stored either.
    assert not LabResult.objects.exists()


def test_an_unknown_unit_names_the_accepted_units(nurse_client, patient):
    response = nurse_client.post(
        labs_url(patient), one({"test": "anc", "value": 2, "unit": "g/dL"}), format="json"
    )
    reason = response.json()["errors"][0]["reason"]
    for unit in ("10^9/L", "10*9/L", "/µL", "/mm3"):
        assert unit in reason


def test_a_missing_uln_says_why_it_is_needed(nurse_client, patient):
    response = nurse_client.post(
        labs_url(patient),
        one({"test": "bilirubin_total", "value": 30, "unit": "µmol/L"}),
        format="json",
    )
    assert response.json()["errors"] == [
        {
            "field": "results[0].upper_limit_of_normal",
            "reason": "Required for bilirubin: the label's rules are in multiples of the upper "
            "limit of normal (give it in the same unit as the value, µmol/L).",
        }
    ]


def test_the_uln_is_optional_where_no_rule_needs_it(nurse_client, patient):
    for result in (
        {"test": "alkaline_phosphatase", "value": 90, "unit": "U/L"},
        {"test": "creatinine", "value": 1.1, "unit": "mg/dL", "upper_limit_of_normal": 1.2},
        {"test": "creatinine_clearance", "value": 1.2, "unit": "mL/s"},
    ):
        response = nurse_client.post(labs_url(patient), one(result), format="json")
        assert response.status_code == 201, response.json()
    clearance = LabResult.objects.get(test="creatinine_clearance")
    assert (clearance.value, clearance.unit) == (72, "mL/min")


def test_taken_on_is_checked_against_the_patients_own_date(nurse, patient):
    # 23:30 UTC on 20 May is already 21 May in Madrid.
    with time_machine.travel(datetime(2026, 5, 20, 23, 30, tzinfo=UTC)):
        nurse_client = client_for(nurse)  # signed in then: a staff token lapses when idle
        ok = nurse_client.post(labs_url(patient), one(ALT_OK, "2026-05-21"), format="json")
        late = nurse_client.post(labs_url(patient), one(ALT_OK, "2026-05-22"), format="json")
    assert ok.status_code == 201, ok.json()
    assert late.status_code == 400
    assert late.json()["errors"][0]["field"] == "taken_on"
    assert TODAY == "2026-05-20"


def test_json_nan_is_refused(nurse_client, patient):
    response = nurse_client.post(
        labs_url(patient),
        data='{"taken_on": "2026-05-18", "results": [{"test": "anc", "value": NaN, "unit": "g"}]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not LabResult.objects.exists()


def test_the_service_takes_a_forms_plain_numbers_for_the_dashboard(nurse, patient):
    from datetime import date

    from backend.common.errors import ServiceValidationError
    from backend.labs.services import lab_results_record, panel_inputs

    items = panel_inputs(
        date(2026, 5, 18),
        [
            {"test": "alt", "value": 250.5, "unit": "U/L", "upper_limit_of_normal": 40},
            {"test": "platelets", "value": 180, "unit": "10^9/L"},
        ],
    )
    result = lab_results_record(patient=patient, recorded_by=nurse, items=items, source="dashboard")
    assert result.created and [r.source for r in result.results] == ["dashboard", "dashboard"]
    assert float(result.results[0].value_entered) == 250.5
    assert [a.kind for a in result.alerts] == ["liver_hold"]
    again = lab_results_record(patient=patient, recorded_by=nurse, items=items, source="dashboard")
    assert not again.created and again.alerts == []
    with pytest.raises(ServiceValidationError) as error:
        lab_results_record(
            patient=patient,
            recorded_by=nurse,
            items=panel_inputs(date(2026, 5, 18), [{"test": "alt", "value": "x", "unit": "U/L"}]),
            source="dashboard",
        )
    assert error.value.field == "results[0].value"

"""Plan-time safety (issue 17) through the API and the command: the new case fields, their
400s, the flags on the recommendation and on the plan, and completing a neoadjuvant plan's
case after the operation."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine

from backend.adherence.models import TreatmentPlan
from backend.audit.models import AuditEvent
from backend.guidelines import recommend
from tests.factories.clients import client_for

ROOT = Path(__file__).resolve().parents[2]
RECOMMEND_URL = "/api/v1/guidelines/recommendation/"
HIGH_RISK: dict[str, Any] = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
    "age_years": 55,
    "start_date": "2025-03-15",
}
SAFETY = {
    "creatinine_clearance_ml_min": 30,
    "hepatic_impairment": "none",
    "comedications": ["Rifampin 600 mg", "warfarin", "Omeprazole"],
    "surgery_date": "2024-11-01",
    "resection_margin": "R0",
    "thyroidectomy": True,
    "hbv_status": "past_infection",
    "pregnant_or_planning": False,
}
EXPECTED_FLAGS = {
    "renal_dose_cap",
    "cyp3a4_interaction:rifampicin",
    "cyp3a4_interaction:warfarin",
    "comedications_not_recognised",
    "late_adjuvant_start",
    "hbv_reactivation_risk",
}
INVALID: list[tuple[dict[str, Any], str]] = [
    ({"creatinine_clearance_ml_min": -5}, "creatinine_clearance_ml_min"),
    ({"creatinine_clearance_ml_min": "thirty"}, "creatinine_clearance_ml_min"),
    ({"creatinine_clearance_ml_min": 5000}, "creatinine_clearance_ml_min"),
    ({"hepatic_impairment": "child_pugh_b"}, "hepatic_impairment"),
    ({"comedications": "warfarin"}, "comedications"),
    ({"comedications": [42]}, "comedications"),
    ({"surgery_date": "2024-13-01"}, "surgery_date"),
    ({"surgery_date": "2025-04-01"}, "surgery_date"),  # after the adjuvant start
    ({"resection_margin": "R4"}, "resection_margin"),
    ({"thyroidectomy": "yes"}, "thyroidectomy"),
    ({"hbv_status": "positive"}, "hbv_status"),
    ({"pregnant_or_planning": 1}, "pregnant_or_planning"),
]


def run_command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", "guideline", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


# ------------------------------------------------------------------ the command


def test_command_prints_the_safety_flags() -> None:
    case = {**HIGH_RISK, **SAFETY}
    result = run_command("--case", "-", stdin=json.dumps(case))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body == recommend(case)
    assert set(body["flags"]) >= EXPECTED_FLAGS
    assert body["dose_mg_per_day"] == 200


def test_command_flags_missing_checks() -> None:
    case = {k: v for k, v in HIGH_RISK.items() if k != "age_years"}
    body = json.loads(run_command("--case", "-", stdin=json.dumps(case)).stdout)
    assert {"renal_hepatic_not_checked", "age_not_given"} <= set(body["flags"])


def test_command_names_each_invalid_new_field() -> None:
    for change, field in INVALID:
        result = run_command("--case", "-", stdin=json.dumps({**HIGH_RISK, **change}))
        assert result.returncode == 2, (field, result.stdout)
        assert result.stderr.startswith(f"{field}: "), result.stderr
        assert result.stdout == ""


# ------------------------------------------------------------------ the recommendation endpoint


@pytest.mark.django_db
def test_api_gives_the_safety_flags(nurse) -> None:
    case = {**HIGH_RISK, **SAFETY}
    response = client_for(nurse).post(RECOMMEND_URL, case, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body == recommend(case)
    assert set(body["flags"]) >= EXPECTED_FLAGS


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("crcl", "decision", "dose"),
    [
        (60, "treat", 400),
        (59.9, "treat", 400),
        (39.9, "treat", 200),
        (20, "treat", 200),
        (19.9, "specialist_only", None),
    ],
)
def test_api_renal_boundaries(nurse, crcl, decision, dose) -> None:
    case = {**HIGH_RISK, "creatinine_clearance_ml_min": crcl, "hepatic_impairment": "none"}
    body = client_for(nurse).post(RECOMMEND_URL, case, format="json").json()
    assert (body["decision"], body["dose_mg_per_day"]) == (decision, dose)
    assert ("renal_dose_cap" in body["flags"]) is (crcl < 60)


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), INVALID)
def test_api_invalid_new_field_is_a_400_naming_it(nurse, change, field) -> None:
    response = client_for(nurse).post(RECOMMEND_URL, {**HIGH_RISK, **change}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


# ------------------------------------------------------------------ plans


def plans_url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/plans/"


def case_url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/plan/case/"


@pytest.mark.django_db
def test_plan_is_created_at_the_renal_dose_with_the_flags(nurse, patient) -> None:
    client = client_for(nurse)
    case = {**HIGH_RISK, **SAFETY}
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        response = client.post(
            plans_url(patient), {"case": case, "dose_times": ["08:00"]}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dose_mg_per_day"] == 200 and body["doses_per_day"] == 1
    assert set(body["flags"]) >= EXPECTED_FLAGS
    rules_shown = {r["rule"] for r in body["guideline"]["reasons"]}
    assert {
        "dose.renal_moderate",
        "dose.renal_below_gist_ladder",
        "interaction.warfarin",
    } <= rules_shown
    assert body["guideline"]["case"]["comedications"] == SAFETY["comedications"]
    # a later dose change may go to 200 mg too (it is a dose level of its own)
    with time_machine.travel("2025-03-20 09:00:00+01:00", tick=False):
        revised = client.post(
            f"/api/v1/patients/{patient.pk}/plan/revisions/",
            {"dose_mg_per_day": 300, "dose_times": ["08:00"], "reason": "Tolerated."},
            format="json",
        )
    assert revised.status_code == 201, revised.json()


@pytest.mark.django_db
def test_plan_shows_the_not_checked_flag(nurse, patient) -> None:
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        response = client_for(nurse).post(
            plans_url(patient), {"case": HIGH_RISK, "dose_times": ["08:00"]}, format="json"
        )
    body = response.json()
    assert "renal_hepatic_not_checked" in body["flags"]
    assert any(r["rule"] == "flag.renal_hepatic_not_checked" for r in body["guideline"]["reasons"])


@pytest.mark.django_db
def test_severe_renal_needs_an_override(nurse, patient) -> None:
    case = {**HIGH_RISK, "creatinine_clearance_ml_min": 15, "hepatic_impairment": "none"}
    client = client_for(nurse)
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        refused = client.post(
            plans_url(patient), {"case": case, "dose_times": ["08:00"]}, format="json"
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == "guideline_decision"
        override = {"dose_mg_per_day": 300, "duration_months": 36, "reason": "Nephrologist agreed."}
        made = client.post(
            plans_url(patient),
            {"case": case, "dose_times": ["08:00"], "override": override},
            format="json",
        )
    assert made.status_code == 201, made.json()
    assert {"renal_dose_cap", "renal_severe_impairment"} <= set(made.json()["flags"])


@pytest.mark.django_db
def test_plan_invalid_new_field_names_it(nurse, patient) -> None:
    case = {**HIGH_RISK, "hbv_status": "maybe"}
    response = client_for(nurse).post(
        plans_url(patient), {"case": case, "dose_times": ["08:00"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "case.hbv_status"


NEOADJUVANT = {  # gastric 7 cm: the mitotic count decides intermediate or high
    "setting": "neoadjuvant",
    "site": "stomach",
    "size_cm": 7,
    "mutation": "kit_exon_11",
    "age_years": 50,
    "start_date": "2025-03-15",
    "creatinine_clearance_ml_min": 80,
    "hepatic_impairment": "none",
}


@pytest.mark.django_db
def test_neoadjuvant_plan_is_completed_after_the_operation(nurse, patient) -> None:
    client = client_for(nurse)
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        made = client.post(
            plans_url(patient), {"case": NEOADJUVANT, "dose_times": ["08:00"]}, format="json"
        )
    assert made.status_code == 201, made.json()
    assert "duration_provisional" in made.json()["flags"]
    assert made.json()["planned_end_date"] is None

    pathology = {"surgery_date": "2025-10-01", "resection_margin": "R0", "mitoses_per_50hpf": 8}
    with time_machine.travel("2025-10-20 09:00:00+01:00", tick=False):
        refused = client.post(
            case_url(patient), {"case": {"setting": "adjuvant"}, "reason": "x"}, format="json"
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "case.setting"
        bad = client.post(
            case_url(patient),
            {"case": {"resection_margin": "R9"}, "reason": "Pathology."},
            format="json",
        )
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "case.resection_margin"
        response = client.post(
            case_url(patient), {"case": pathology, "reason": "Resection pathology."}, format="json"
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert "duration_provisional" not in body["flags"]
    assert body["duration_months"] == 36 and body["planned_end_date"] == "2028-03-15"
    assert body["guideline"]["case"]["resection_margin"] == "R0"
    assert body["dose_mg_per_day"] == 400  # the dose changes only through a revision
    plan = TreatmentPlan.objects.get()
    assert plan.recommendation["duration_months"] == 36
    event = AuditEvent.objects.filter(action="plan.case.update").get()
    assert event.detail["fields"] == ["mitoses_per_50hpf", "resection_margin", "surgery_date"]
    assert "duration_provisional" in event.detail["before"]["flags"]


@pytest.mark.django_db
def test_case_update_adds_safety_fields_and_keeps_an_overridden_duration(nurse, patient) -> None:
    client = client_for(nurse)
    override = {"duration_months": 60, "reason": "PERSIST-5 discussed."}
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        made = client.post(
            plans_url(patient),
            {"case": HIGH_RISK, "dose_times": ["08:00"], "override": override},
            format="json",
        )
        assert made.status_code == 201, made.json()
        response = client.post(
            case_url(patient),
            {
                "case": {
                    "creatinine_clearance_ml_min": 45,
                    "hepatic_impairment": "none",
                    "comedications": ["clarithromycin"],
                },
                "reason": "Renal function and medicines checked.",
            },
            format="json",
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert "renal_hepatic_not_checked" not in body["flags"]
    assert {"renal_dose_cap", "cyp3a4_interaction:clarithromycin"} <= set(body["flags"])
    assert body["duration_months"] == 60


@pytest.mark.django_db
def test_case_update_is_for_nurses_and_admins(coordinator, nurse, patient) -> None:
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        client_for(nurse).post(
            plans_url(patient), {"case": HIGH_RISK, "dose_times": ["08:00"]}, format="json"
        )
        response = client_for(coordinator).post(
            case_url(patient), {"case": {"hbv_status": "negative"}, "reason": "x"}, format="json"
        )
    assert response.status_code == 403

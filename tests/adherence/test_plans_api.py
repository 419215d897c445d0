"""Treatment plans through the API: created from a case, overridden with a reason, held,
revised, stopped; scoped to the care team; the end date drives everything after."""

from datetime import date

import pytest
import time_machine

from backend.adherence.models import PlanRevision, TreatmentPlan
from backend.audit.models import AuditEvent
from backend.guidelines import GUIDELINE_VERSION
from tests.factories.clients import client_for
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, HIGH_RISK_CASE

pytestmark = pytest.mark.django_db

HIGH_RISK = {**HIGH_RISK_CASE, "start_date": "2025-03-15"}
INTERMEDIATE = {**HIGH_RISK, "site": "stomach", "mitoses_per_50hpf": 4}
ADVANCED_EXON_9 = {**ADVANCED_KIT_EXON_9_CASE, "start_date": "2025-03-15"}


def plans_url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/plans/"


def plan_url(patient, suffix: str = "") -> str:
    return f"/api/v1/patients/{patient.pk}/plan/{suffix}"


def create(client, patient, case=HIGH_RISK, dose_times=("08:00",), **extra):
    body = {"case": case, "dose_times": list(dose_times), **extra}
    return client.post(plans_url(patient), body, format="json")


@pytest.fixture
def nurse_client(nurse):
    return client_for(nurse)


# ------------------------------------------------------------------ creation


def test_high_risk_plan_is_created_with_its_end_date(nurse_client, patient):
    with time_machine.travel("2025-03-15 09:00:00+01:00", tick=False):
        response = create(nurse_client, patient)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["planned_end_date"] == "2028-03-15"
    assert body["duration_months"] == 36
    assert body["dose_mg_per_day"] == 400 and body["doses_per_day"] == 1
    assert body["dose_times"] == ["08:00"]
    assert body["state"] == "active"
    assert body["day_of_plan"] == 1 and body["total_days"] == 1097
    assert body["guideline"]["decision"] == "treat"
    assert body["guideline"]["version"] == GUIDELINE_VERSION
    assert body["guideline"]["case"] == HIGH_RISK
    assert any(
        r["rule"].startswith("duration.") and r["sources"] for r in body["guideline"]["reasons"]
    )
    assert body["override"] is None
    plan = TreatmentPlan.objects.get()
    assert plan.recommendation["planned_end_date"] == "2028-03-15"
    assert plan.revisions.count() == 1


def test_kit_exon_9_advanced_is_twice_daily_and_indefinite(nurse_client, patient):
    one_time = create(nurse_client, patient, ADVANCED_EXON_9, ["08:00"])
    assert one_time.status_code == 400
    assert one_time.json()["errors"][0]["field"] == "dose_times"
    response = create(nurse_client, patient, ADVANCED_EXON_9, ["20:00", "08:00"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["dose_mg_per_day"], body["doses_per_day"]) == (800, 2)
    assert body["dose_times"] == ["08:00", "20:00"]
    assert body["planned_end_date"] is None and body["total_days"] is None
    assert body["days_remaining"] is None


@pytest.mark.parametrize(
    ("case", "decision"),
    [
        ({**HIGH_RISK, "mutation": "pdgfra_d842v"}, "no_imatinib"),
        ({**HIGH_RISK, "mutation": "sdh_deficient"}, "no_adjuvant"),
        ({**HIGH_RISK, "size_cm": 4, "mitoses_per_50hpf": 3, "site": "stomach"}, "no_adjuvant"),
        ({**HIGH_RISK, "age_years": 16}, "specialist_only"),
        (INTERMEDIATE, "discuss"),
    ],
)
def test_decision_other_than_treat_is_refused_without_override(
    nurse_client, patient, case, decision
):
    response = create(nurse_client, patient, case)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "guideline_decision"
    assert body["errors"][0]["field"] == "override"
    assert decision in body["errors"][0]["reason"]
    assert not TreatmentPlan.objects.exists()


def test_intermediate_risk_plan_after_discussion(nurse_client, patient):
    override = {
        "dose_mg_per_day": 400,
        "duration_months": 12,
        "reason": "Tumour board 2025-03-10: 12 months as in Z9001.",
    }
    response = create(nurse_client, patient, INTERMEDIATE, override=override)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["planned_end_date"] == "2026-03-15"
    assert body["override"] == override
    assert body["guideline"]["decision"] == "discuss"
    assert body["revisions"][0]["reason"] == override["reason"]


def test_override_needs_a_reason(nurse_client, patient):
    for override in ({"duration_months": 60}, {"duration_months": 60, "reason": "   "}):
        response = create(nurse_client, patient, override=override)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "override.reason"
    assert not TreatmentPlan.objects.exists()


def test_five_year_override_moves_the_end_date(nurse_client, patient):
    override = {"duration_months": 60, "reason": "Rupture; PERSIST-5 discussed with patient."}
    body = create(nurse_client, patient, override=override).json()
    assert body["planned_end_date"] == "2030-03-15"
    assert body["guideline"]["planned_end_date"] == "2028-03-15"  # the suggestion is kept


def test_discuss_override_without_a_dose_is_refused(nurse_client, patient):
    response = create(
        nurse_client, patient, INTERMEDIATE, override={"duration_months": 12, "reason": "Board."}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "override.dose_mg_per_day"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"dose_mg_per_day": 350, "reason": "r"}, "override.dose_mg_per_day"),
        ({"doses_per_day": 3, "reason": "r"}, "override.doses_per_day"),
        ({"duration_months": 0, "reason": "r"}, "override.duration_months"),
        ({"duration_months": 121, "reason": "r"}, "override.duration_months"),
        ({"duration_months": "long", "reason": "r"}, "override.duration_months"),
        ({"reason": "r", "colour": "blue"}, "override.colour"),
    ],
)
def test_invalid_override_fields(nurse_client, patient, override, field):
    response = create(nurse_client, patient, override=override)
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("dose_times", "field"),
    [
        (["8am"], "dose_times.0"),
        (["24:00"], "dose_times.0"),
        (["08:00", "08:00"], "dose_times"),
        ([], "dose_times"),
        (["08:00", "12:00", "20:00"], "dose_times"),
    ],
)
def test_invalid_dose_times(nurse_client, patient, dose_times, field):
    response = create(nurse_client, patient, dose_times=dose_times)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"setting": "palliative"}, "case.setting"),
        ({"size_cm": -1}, "case.size_cm"),
        ({"start_date": "15/03/2025"}, "case.start_date"),
        ({"mutation": "kit"}, "case.mutation"),
    ],
)
def test_invalid_case_names_the_field(nurse_client, patient, change, field):
    response = create(nurse_client, patient, {**HIGH_RISK, **change})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_case_must_be_an_object(nurse_client, patient):
    response = create(nurse_client, patient, case=["adjuvant"])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "case"


def test_one_active_plan_per_patient(nurse_client, patient):
    assert create(nurse_client, patient).status_code == 201
    second = create(nurse_client, patient)
    assert second.status_code == 409
    assert TreatmentPlan.objects.count() == 1
    stop = nurse_client.post(plan_url(patient, "stop/"), {"reason": "Progression on CT."})
    assert stop.status_code == 200 and stop.json()["state"] == "stopped"
    assert create(nurse_client, patient, ADVANCED_EXON_9, ["08:00", "20:00"]).status_code == 201
    assert nurse_client.get(plans_url(patient)).json()[0]["setting"] == "advanced"
    assert len(nurse_client.get(plans_url(patient)).json()) == 2


def test_a_plan_past_its_end_date_is_completed_and_a_new_one_allowed(nurse_client, patient):
    case = {**HIGH_RISK, "start_date": "2020-01-01"}
    assert create(nurse_client, patient, case).status_code == 201
    with time_machine.travel("2023-06-01 12:00:00+00:00"):
        current = nurse_client.get(plan_url(patient)).json()
        assert current["state"] == "completed" and current["day_of_plan"] is None
        assert create(nurse_client, patient, ADVANCED_EXON_9, ["08:00", "20:00"]).status_code == 201
    states = sorted(TreatmentPlan.objects.values_list("status", flat=True))
    assert states == ["active", "completed"]


# ------------------------------------------------------------------ roles and scoping


def test_coordinator_reads_but_cannot_create(coordinator, nurse_client, patient):
    client = client_for(coordinator)
    assert create(client, patient).status_code == 403
    create(nurse_client, patient)
    assert client.get(plan_url(patient)).status_code == 200
    assert client.post(plan_url(patient, "stop/"), {"reason": "x"}).status_code == 403


def test_patient_cannot_create_or_use_staff_routes(patient):
    client = client_for(patient.user)
    assert create(client, patient).status_code == 403
    assert client.get(plan_url(patient)).status_code == 403


def test_other_team_gets_404_everywhere(nurse_client, patient, other_care_team):
    from tests.factories.accounts import StaffFactory

    create(nurse_client, patient)
    stranger = client_for(StaffFactory(role="nurse", care_teams=[other_care_team]))
    assert create(stranger, patient).status_code == 404
    assert stranger.get(plan_url(patient)).status_code == 404
    assert stranger.get(plans_url(patient)).status_code == 404
    hold = {"start_date": "2025-04-01", "reason": "grade 3 rash"}
    assert stranger.post(plan_url(patient, "holds/"), hold).status_code == 404
    assert stranger.post(plan_url(patient, "stop/"), {"reason": "x"}).status_code == 404
    assert TreatmentPlan.objects.get().status == "active"


def test_patient_sees_own_plan_with_day_x_of_y(nurse_client, patient):
    create(nurse_client, patient)
    client = client_for(patient.user)
    # 2025-04-13 23:30 UTC is already 2025-04-14 in Madrid: day 31 of 1,097.
    with time_machine.travel("2025-04-13 23:30:00+00:00", tick=False):
        body = client.get("/api/v1/me/plan/").json()
    assert body["today"] == "2025-04-14"
    assert (body["day_of_plan"], body["total_days"]) == (31, 1097)
    assert body["days_remaining"] == 1066
    assert body["guideline"]["reasons"]


def test_patient_without_a_plan_gets_404(patient, nurse):
    assert client_for(patient.user).get("/api/v1/me/plan/").status_code == 404
    assert client_for(nurse).get(plan_url(patient)).status_code == 404


def test_staff_reads_and_changes_are_audited(nurse_client, patient, nurse):
    create(nurse_client, patient)
    nurse_client.get(plan_url(patient))
    nurse_client.post(plan_url(patient, "holds/"), {"start_date": "2025-04-01", "reason": "rash"})
    actions = list(
        AuditEvent.objects.filter(patient=patient).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["plan.create", "plan.view", "plan.hold.add"]
    assert AuditEvent.objects.filter(actor=nurse).count() == 3


# ------------------------------------------------------------------ holds


def test_hold_shifts_nothing_but_days_on_drug(nurse_client, patient):
    create(nurse_client, patient)
    with time_machine.travel("2025-05-01 12:00:00+00:00", tick=False):
        before = nurse_client.get(plan_url(patient)).json()
        response = nurse_client.post(
            plan_url(patient, "holds/"),
            {"start_date": "2025-04-01", "end_date": "2025-04-10", "reason": "Grade 3 rash"},
        )
        assert response.status_code == 201, response.json()
        after = response.json()
    for unchanged in (
        "planned_end_date",
        "total_days",
        "days_remaining",
        "day_of_plan",
        "dose_mg_per_day",
        "dose_times",
    ):
        assert after[unchanged] == before[unchanged], unchanged
    assert before["days_on_drug"] - after["days_on_drug"] == 10
    assert after["held_days"] == 10
    assert after["holds"][0]["reason"] == "Grade 3 rash"


def test_open_hold_puts_the_plan_on_hold_until_ended(nurse_client, patient):
    create(nurse_client, patient)
    with time_machine.travel("2025-06-01 12:00:00+00:00", tick=False):
        held = nurse_client.post(
            plan_url(patient, "holds/"), {"start_date": "2025-05-30", "reason": "ALT 6x ULN"}
        ).json()
        assert held["state"] == "on_hold"
        hold_id = held["holds"][0]["id"]
        ended = nurse_client.post(
            plan_url(patient, f"holds/{hold_id}/end/"), {"end_date": "2025-06-01"}
        )
        assert ended.status_code == 200
        assert ended.json()["state"] == "on_hold"  # today is the last held day
    with time_machine.travel("2025-06-02 12:00:00+00:00", tick=False):
        assert nurse_client.get(plan_url(patient)).json()["state"] == "active"
    again = nurse_client.post(
        plan_url(patient, f"holds/{hold_id}/end/"), {"end_date": "2025-06-03"}
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("hold", "status", "field"),
    [
        ({"start_date": "2025-03-01", "reason": "x"}, 400, "start_date"),
        ({"start_date": "2028-03-16", "reason": "x"}, 400, "start_date"),
        ({"start_date": "2025-04-10", "end_date": "2025-04-01", "reason": "x"}, 400, "end_date"),
        ({"start_date": "2025-04-05", "end_date": "2025-04-06", "reason": "x"}, 409, "start_date"),
        ({"start_date": "2025-04-01", "reason": ""}, 400, "reason"),
        ({"start_date": "next week", "reason": "x"}, 400, "start_date"),
    ],
)
def test_invalid_holds(nurse_client, patient, hold, status, field):
    create(nurse_client, patient)
    nurse_client.post(
        plan_url(patient, "holds/"),
        {"start_date": "2025-04-01", "end_date": "2025-04-10", "reason": "first"},
    )
    response = nurse_client.post(plan_url(patient, "holds/"), hold)
    assert response.status_code == status
    assert response.json()["errors"][0]["field"] == field


def test_unknown_hold_is_404(nurse_client, patient):
    create(nurse_client, patient)
    response = nurse_client.post(plan_url(patient, "holds/999/end/"), {"end_date": "2025-06-01"})
    assert response.status_code == 404


# ------------------------------------------------------------------ dose revisions


def test_dose_reduction_is_a_revision_with_history(nurse_client, patient):
    create(nurse_client, patient)
    response = nurse_client.post(
        plan_url(patient, "revisions/"),
        {
            "dose_mg_per_day": 300,
            "dose_times": ["09:00"],
            "effective_date": "2025-06-01",
            "reason": "Recurrent neutropenia: label step 3.",
        },
    )
    assert response.status_code == 201, response.json()
    with time_machine.travel("2025-05-31 12:00:00+00:00", tick=False):
        before = nurse_client.get(plan_url(patient)).json()
    with time_machine.travel("2025-06-01 12:00:00+00:00", tick=False):
        after = nurse_client.get(plan_url(patient)).json()
    assert (before["dose_mg_per_day"], before["dose_times"]) == (400, ["08:00"])
    assert (after["dose_mg_per_day"], after["dose_times"]) == (300, ["09:00"])
    assert [r["dose_mg_per_day"] for r in after["revisions"]] == [400, 300]
    assert after["planned_end_date"] == "2028-03-15"
    assert PlanRevision.objects.count() == 2


@pytest.mark.parametrize(
    ("revision", "field"),
    [
        ({"dose_mg_per_day": 350, "dose_times": ["08:00"], "reason": "x"}, "dose_mg_per_day"),
        ({"dose_mg_per_day": 800, "dose_times": ["08:00"], "reason": "x"}, "dose_times"),
        ({"dose_mg_per_day": 300, "dose_times": ["08:00"], "reason": ""}, "reason"),
        (
            {
                "dose_mg_per_day": 300,
                "dose_times": ["08:00"],
                "reason": "x",
                "effective_date": "2025-01-01",
            },
            "effective_date",
        ),
    ],
)
def test_invalid_revisions(nurse_client, patient, revision, field):
    create(nurse_client, patient)
    response = nurse_client.post(plan_url(patient, "revisions/"), revision, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert PlanRevision.objects.count() == 1


def test_a_regimen_records_the_tablet_strengths(nurse_client, patient):
    """Default: the strengths the fewest tablets use; a revision keeps the patient's tablets
    while they can still make the dose; strengths that cannot make it are refused."""
    body = create(nurse_client, patient).json()
    assert body["revisions"][0]["tablet_strengths_mg"] == [400]
    assert body["revisions"][0]["tablets_per_dose"] == [{"strength_mg": 400, "count": 1}]
    refused = nurse_client.post(
        plan_url(patient, "revisions/"),
        {
            "dose_mg_per_day": 300,
            "dose_times": ["08:00"],
            "reason": "Neutropenia.",
            "tablet_strengths_mg": [400],
        },
        format="json",
    )
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == "tablet_strengths_mg" and "300 mg" in error["reason"]
    assert PlanRevision.objects.count() == 1
    reduced = nurse_client.post(
        plan_url(patient, "revisions/"),
        {"dose_mg_per_day": 300, "dose_times": ["08:00"], "reason": "Neutropenia."},
        format="json",
    )
    assert reduced.status_code == 201, reduced.json()
    assert reduced.json()["revisions"][1]["tablets_per_dose"] == [{"strength_mg": 100, "count": 3}]
    back = nurse_client.post(
        plan_url(patient, "revisions/"),
        {"dose_mg_per_day": 400, "dose_times": ["08:00"], "reason": "Recovered."},
        format="json",
    )
    # The patient now has 100 mg tablets, which make 400 mg too: kept, four of them.
    assert back.json()["revisions"][2]["tablet_strengths_mg"] == [100]
    assert back.json()["revisions"][2]["tablets_per_dose"] == [{"strength_mg": 100, "count": 4}]
    both = nurse_client.post(
        plan_url(patient, "revisions/"),
        {
            "dose_mg_per_day": 600,
            "dose_times": ["08:00"],
            "reason": "Progression.",
            "tablet_strengths_mg": [400, 100],
        },
        format="json",
    )
    assert both.json()["revisions"][3]["tablet_strengths_mg"] == [100, 400]
    assert both.json()["revisions"][3]["tablets_per_dose"] == [
        {"strength_mg": 400, "count": 1},
        {"strength_mg": 100, "count": 2},
    ]


def test_stopped_plan_cannot_be_changed(nurse_client, patient):
    create(nurse_client, patient)
    nurse_client.post(plan_url(patient, "stop/"), {"reason": "Patient's decision."})
    response = nurse_client.post(
        plan_url(patient, "holds/"), {"start_date": "2025-04-01", "reason": "x"}
    )
    assert response.status_code == 409
    assert nurse_client.post(plan_url(patient, "stop/"), {"reason": "again"}).status_code == 409


def test_stop_needs_a_reason(nurse_client, patient):
    create(nurse_client, patient)
    assert nurse_client.post(plan_url(patient, "stop/"), {"reason": " "}).status_code == 400
    assert TreatmentPlan.objects.get().status == "active"


def test_day_of_plan_uses_the_patient_zone_on_the_start_day(nurse_client, care_team):
    from tests.factories.accounts import activated_patient

    auckland = activated_patient(care_team=care_team, time_zone="Pacific/Auckland")
    create(nurse_client, auckland)
    # 2025-03-14 12:00 UTC is 2025-03-15 01:00 in Auckland: the plan's first day there.
    with time_machine.travel("2025-03-14 12:00:00+00:00", tick=False):
        body = nurse_client.get(plan_url(auckland)).json()
    assert body["today"] == str(date(2025, 3, 15)) and body["day_of_plan"] == 1


def test_a_plan_past_its_end_date_cannot_be_changed(nurse_client, patient):
    create(nurse_client, patient, {**HIGH_RISK, "start_date": "2020-01-01"})
    with time_machine.travel("2023-06-01 12:00:00+00:00"):
        hold = {"start_date": "2022-06-01", "reason": "late entry"}
        response = nurse_client.post(plan_url(patient, "holds/"), hold)
        assert response.status_code == 409
        assert "ended on 2023-01-01" in response.json()["detail"]
        assert nurse_client.post(plan_url(patient, "stop/"), {"reason": "x"}).status_code == 409


def test_a_stopped_plan_has_no_days_remaining(nurse_client, patient):
    create(nurse_client, patient)
    with time_machine.travel("2025-04-01 12:00:00+00:00"):
        body = nurse_client.post(plan_url(patient, "stop/"), {"reason": "Intolerance."}).json()
    assert body["state"] == "stopped"
    assert body["days_remaining"] is None
    assert "exposure_shortfall_likely" not in body["flags"]

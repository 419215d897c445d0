"""Lab results that raise the label's urgent hold alerts: raised once (a resend or a further
abnormal result never opens a second), pushed to the nurses in the same transaction, updated
(and pushed again) when later results meet the resume rule, never resolved automatically."""

from typing import Any

import pytest

from backend.adherence.models import TreatmentPlan
from backend.adherence.services.plans import plan_revise
from backend.alerts.models import Alert, AlertStatus
from backend.alerts.services import alert_resolve
from backend.labs.models import LabResult
from backend.notifications.models import OutboxMessage
from tests.factories.clients import client_for
from tests.labs.conftest import blood_count, labs_url, liver_panel

pytestmark = pytest.mark.django_db


def post(client, patient, payload: dict[str, Any]):
    response = client.post(labs_url(patient), payload, format="json")
    assert response.status_code in (200, 201), response.json()
    return response


def pushes(kind: str | None = None) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.order_by("created_at", "id")
    return list(rows.filter(kind=kind) if kind else rows)


# ---------------------------------------------------------------------------------- liver


def test_transaminases_above_five_times_uln_raise_one_urgent_liver_hold(
    nurse, second_nurse, nurse_client, patient, plan
):
    response = post(nurse_client, patient, liver_panel("2026-05-04", alt=250))
    assert response.status_code == 201
    (alert,) = Alert.objects.filter(patient=patient)
    assert (alert.kind, alert.priority, alert.status) == ("liver_hold", "urgent", "open")
    assert alert.rule == "toxicity.liver_hold" and alert.sources == ["S1", "S2"]
    assert alert.symptom == ""
    assert "ALT 250 U/L (6.25 x ULN 40), above 5 x ULN" in alert.summary
    assert alert.advice["basis"] == "lab_result"
    assert alert.advice["actions"][:2] == ["withhold", "call_patient"]
    assert "400 → 300 mg/day" in alert.advice["text"]
    assert "Resume when bilirubin is below 1.5 x ULN" in alert.advice["text"]
    ids = {r["id"] for r in response.json()["results"]}
    assert set(alert.details["lab_results"]) == ids
    assert {v["test"]: v["x_uln"] for v in alert.details["values"]} == {
        "alt": 6.25,
        "ast": 0.625,
        "bilirubin_total": 0.5,
    }
    assert alert.details["hold_taken_on"] == "2026-05-04"
    assert alert.details["dose_before_hold_mg"] == 400
    assert alert.details["resume_dose_mg"] == 300
    assert alert.details["resume_criteria_met_on"] is None
    assert response.json()["alerts"][0]["id"] == str(alert.pk)
    # One push per nurse of the team, written with the results; no clinical detail in it.
    opened = pushes("alert_opened")
    assert {p.recipient_id for p in opened} == {nurse.pk, second_nurse.pk}
    assert all(p.payload == {"alert": str(alert.pk), "priority": "urgent"} for p in opened)


def test_normal_results_raise_nothing(nurse_client, patient, plan):
    post(nurse_client, patient, liver_panel("2026-05-04", alt=200, bilirubin=60))  # 5 and 3 x
    post(nurse_client, patient, blood_count("2026-05-04", anc=1.0, platelets=50))
    assert not Alert.objects.exists() and not pushes()


def test_a_resend_or_a_further_abnormal_result_never_opens_a_second_alert(
    nurse_client, patient, plan
):
    post(nurse_client, patient, liver_panel("2026-05-04", bilirubin=70))
    sent = len(pushes())
    again = post(nurse_client, patient, liver_panel("2026-05-04", bilirubin=70))
    assert again.status_code == 200 and again.json()["alerts"] == []
    alert = Alert.objects.get()
    assert alert.occurrences == 1 and len(pushes()) == sent
    post(nurse_client, patient, liver_panel("2026-05-08", bilirubin=90, alt=260))
    alert = Alert.objects.get()
    assert alert.occurrences == 2
    assert alert.details["hold_taken_on"] == "2026-05-08"
    assert len(alert.details["lab_results"]) == 6
    assert alert.details["abnormal"] == ["bilirubin_total", "alt"]
    assert len(pushes()) == sent  # same priority: no new push
    assert LabResult.objects.count() == 6


def test_recovery_updates_the_open_alert_and_tells_the_nurses(
    nurse, second_nurse, nurse_client, patient, plan
):
    post(nurse_client, patient, liver_panel("2026-05-04", alt=250))
    alert = Alert.objects.get()
    # Not yet: bilirubin fine but ALT still 2.5 x ULN.
    post(nurse_client, patient, liver_panel("2026-05-11", alt=100))
    assert Alert.objects.get().details["resume_criteria_met_on"] is None
    assert not pushes("alert_updated")
    # Only bilirubin measured: both sides of the rule are needed.
    post(
        nurse_client,
        patient,
        {
            "taken_on": "2026-05-12",
            "results": [
                {
                    "test": "bilirubin_total",
                    "value": 10,
                    "unit": "µmol/L",
                    "upper_limit_of_normal": 20,
                }
            ],
        },
    )
    assert Alert.objects.get().details["resume_criteria_met_on"] is None
    response = post(nurse_client, patient, liver_panel("2026-05-18", alt=99, ast=60))
    alert = Alert.objects.get()
    assert response.json()["alerts"][0]["id"] == str(alert.pk)
    assert alert.status == AlertStatus.OPEN  # a nurse resolves it
    assert alert.occurrences == 1
    assert alert.details["resume_criteria_met_on"] == "2026-05-18"
    assert len(alert.details["resume_results"]) == 3
    assert alert.details["resume_action"] == "resume_lower_dose"
    assert alert.summary.startswith("Resume criteria met on 2026-05-18")
    assert "resume_lower_dose" in alert.advice["actions"]
    assert "400 → 300 mg/day" in alert.advice["text"]
    updated = pushes("alert_updated")
    assert {p.recipient_id for p in updated} == {nurse.pk, second_nurse.pk}
    assert all(p.payload == {"alert": str(alert.pk), "priority": "urgent"} for p in updated)
    # Further good results say nothing new and push nothing.
    post(nurse_client, patient, liver_panel("2026-05-19", alt=40))
    assert len(pushes("alert_updated")) == 2
    assert Alert.objects.get().details["resume_criteria_met_on"] == "2026-05-18"


def test_a_hold_again_after_recovery_updates_the_same_alert_and_pushes(nurse_client, patient, plan):
    post(nurse_client, patient, liver_panel("2026-05-04", alt=250))
    post(nurse_client, patient, liver_panel("2026-05-11"))
    assert Alert.objects.get().details["resume_criteria_met_on"] == "2026-05-11"
    post(nurse_client, patient, liver_panel("2026-05-15", ast=300))
    alert = Alert.objects.get()
    assert alert.occurrences == 2
    assert alert.details["resume_criteria_met_on"] is None
    assert alert.advice["actions"] == ["withhold", "call_patient", "repeat_labs"]
    keys = [p.dedupe_key for p in pushes("alert_updated")]
    assert any(":hold-again-2026-05-15:" in key for key in keys)
    assert any(":resume-met-2026-05-11:" in key for key in keys)


def test_a_back_dated_result_older_than_a_stored_one_decides_nothing(nurse_client, patient, plan):
    post(nurse_client, patient, liver_panel("2026-05-18"))
    post(nurse_client, patient, liver_panel("2026-05-01", alt=400))
    assert not Alert.objects.exists()


def test_after_resolution_a_new_hold_opens_a_new_alert(nurse, nurse_client, patient, plan):
    post(nurse_client, patient, liver_panel("2026-05-04", alt=250))
    alert_resolve(alert=Alert.objects.get(), user=nurse, outcome="dose_held", note="held")
    post(nurse_client, patient, liver_panel("2026-05-18", alt=260))
    assert Alert.objects.count() == 2
    assert Alert.objects.exclude(status="resolved").get().kind == "liver_hold"


def test_the_resume_dose_comes_from_the_plan_in_force(nurse, nurse_client, patient, plan):
    plan_revise(
        plan=TreatmentPlan.objects.get(pk=plan["id"]),
        created_by=nurse,
        dose_mg_per_day=300,
        dose_times=["08:00"],
        reason="toxicity",
    )
    post(nurse_client, patient, liver_panel("2026-05-19", bilirubin=80))
    alert = Alert.objects.get()
    assert alert.details["dose_before_hold_mg"] == 300
    assert alert.details["resume_dose_mg"] is None
    assert alert.details["flags"] == ["unconfirmed_rule:toxicity.below_300"]
    assert "no lower label dose step below 300 mg/day" in alert.advice["text"]
    assert alert.advice["flags"] == ["unconfirmed_rule:toxicity.below_300"]


def test_without_a_plan_the_hold_still_alerts_with_the_general_rule(nurse_client, patient):
    post(nurse_client, patient, liver_panel("2026-05-04", alt=250))
    alert = Alert.objects.get()
    assert alert.details["dose_before_hold_mg"] is None
    assert "No current plan dose is recorded" in alert.advice["text"]


# ---------------------------------------------------------------------------------- blood


def test_blood_count_hold_first_episode_resumes_at_the_previous_dose(nurse_client, patient, plan):
    post(nurse_client, patient, blood_count("2026-05-04", anc=0.8))
    alert = Alert.objects.get()
    assert (alert.kind, alert.priority, alert.rule) == (
        "blood_count_hold",
        "urgent",
        "toxicity.blood_hold",
    )
    assert "ANC 0.8 x 10^9/L, below 1.0 x 10^9/L" in alert.summary
    assert alert.details["episode"] == 1 and alert.details["resume_dose_mg"] == 400
    post(nurse_client, patient, blood_count("2026-05-11", anc=1.49, platelets=200))
    assert Alert.objects.get().details["resume_criteria_met_on"] is None
    post(nurse_client, patient, blood_count("2026-05-18", anc=1.5, platelets=75))
    alert = Alert.objects.get()
    assert alert.details["resume_criteria_met_on"] == "2026-05-18"
    assert alert.advice["actions"] == ["withhold", "resume_previous_dose", "call_patient"]
    assert "400 mg/day" in alert.advice["text"]
    assert len(pushes("alert_updated")) == 1


def test_a_recurrence_resumes_at_300_shown_as_unconfirmed(nurse, nurse_client, patient, plan):
    post(nurse_client, patient, blood_count("2026-05-01", platelets=40))
    alert_resolve(alert=Alert.objects.get(), user=nurse, outcome="dose_held", note="held")
    post(nurse_client, patient, blood_count("2026-05-10", platelets=45))
    alert = Alert.objects.exclude(status="resolved").get()
    assert alert.details["episode"] == 2
    assert alert.details["resume_dose_mg"] == 300
    assert alert.details["flags"] == ["unconfirmed_rule:toxicity.blood_recurrence_300"]
    assert "UNCONFIRMED" in alert.advice["text"]
    post(nurse_client, patient, blood_count("2026-05-18"))
    alert.refresh_from_db()
    assert alert.advice["actions"] == ["withhold", "resume_lower_dose", "call_patient"]
    assert "300 mg/day" in alert.advice["text"]


def test_liver_and_blood_holds_are_separate_alerts(nurse_client, patient, plan):
    payload = liver_panel("2026-05-04", alt=300)
    payload["results"] += blood_count("2026-05-04", anc=0.5)["results"]
    response = post(nurse_client, patient, payload)
    assert sorted(a["kind"] for a in response.json()["alerts"]) == [
        "blood_count_hold",
        "liver_hold",
    ]
    assert Alert.objects.count() == 2


def test_hold_alerts_are_listed_like_other_alerts(nurse_client, coordinator, patient, plan):
    post(nurse_client, patient, blood_count("2026-05-04", anc=0.5))
    response = client_for(coordinator).get("/api/v1/alerts/?kind=blood_count_hold")
    assert response.status_code == 200
    assert [a["kind"] for a in response.json()["results"]] == ["blood_count_hold"]

"""Symptom triage through the public API (issue 16): a patient reports, a nurse reads the alert
and grades it. Red flags, rash follow-ups and persistence, weights, advice after a grade."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.alerts.models import Alert
from backend.guidelines import RED_FLAGS
from backend.notifications.models import OutboxMessage
from backend.sideeffects.models import SideEffectReport, WeightMeasurement
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/me/side-effects/"
WEIGHTS = "/api/v1/me/weights/"
TEAM_PHONE = "+34 600 123 456"

EXPECTED_LEVELS = {
    "black_stools": "emergency",
    "vomiting_blood": "emergency",
    "severe_abdominal_pain": "emergency",
    "breathlessness": "emergency",
    "chest_pain": "emergency",
    "jaundice": "call_now",
    "fever": "call_now",
    "bleeding_bruising": "call_now",
    "blistering_rash": "call_now",
}


@pytest.fixture
def phone(nurse, patient, care_team):
    care_team.phone = TEAM_PHONE
    care_team.save()
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    return client_for(patient.user)


def report(phone, symptom, **answers):
    body = {"client_id": str(uuid.uuid4()), "symptom": symptom, "answers": answers}
    response = phone.post(REPORTS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_catalogue_marks_every_item_and_lists_red_flags_first(phone):
    symptoms = phone.get("/api/v1/symptoms/").json()["symptoms"]
    assert all(isinstance(item["red_flag"], bool) for item in symptoms)
    flagged = [item["code"] for item in symptoms if item["red_flag"]]
    assert flagged == list(EXPECTED_LEVELS) == list(RED_FLAGS)
    assert [item["code"] for item in symptoms[: len(flagged)]] == flagged
    for item in symptoms[: len(flagged)]:
        assert [q["attribute"] for q in item["questions"]] == ["presence"]
        assert item["instruction_level"] == EXPECTED_LEVELS[item["code"]]


@pytest.mark.parametrize("red_flag", list(EXPECTED_LEVELS))
def test_each_red_flag_is_urgent_at_once_pushed_and_instructed(phone, nurse, red_flag):
    body = report(phone, red_flag, present=True)
    assert body["red_flag"] is True and body["red_flags"] == [red_flag]
    assert body["care_team_alerted"] is True
    instruction = body["patient_instruction"]
    assert instruction["level"] == EXPECTED_LEVELS[red_flag]
    assert instruction["phone"] == TEAM_PHONE and TEAM_PHONE in instruction["text"]
    assert instruction["emergency_number"] == "112" and "112" in instruction["text"]
    alert = Alert.objects.get(kind="red_flag")
    assert (alert.symptom, alert.priority) == (red_flag, "urgent")
    assert "urgent_review" in alert.advice["actions"]
    assert not {"withhold", "resume_lower_dose", "continue"} & set(alert.advice["actions"])
    push = OutboxMessage.objects.get(recipient=nurse, kind="alert_opened")
    assert push.payload == {"alert": str(alert.pk), "priority": "urgent"}
    listed = client_for(nurse).get("/api/v1/alerts/").json()["results"]
    assert [(a["kind"], a["priority"]) for a in listed] == [("red_flag", "urgent")]


def test_a_red_flag_answered_no_is_not_an_alert(phone):
    body = report(phone, "chest_pain", present=False)
    assert body["red_flag"] is False and not Alert.objects.exists()
    assert body["patient_instruction"]["level"] == "self_care"


def test_a_resent_red_flag_is_stored_and_alerted_once(phone):
    body = {"client_id": str(uuid.uuid4()), "symptom": "fever", "answers": {"present": True}}
    first = phone.post(REPORTS, body, format="json")
    again = phone.post(REPORTS, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["patient_instruction"] == first.json()["patient_instruction"]
    assert SideEffectReport.objects.count() == 1
    assert Alert.objects.get().occurrences == 1


@pytest.mark.parametrize("answer", ["yes", 2, None])
def test_a_red_flag_needs_true_or_false(phone, answer):
    body = {"client_id": str(uuid.uuid4()), "symptom": "jaundice", "answers": {"present": answer}}
    response = phone.post(REPORTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] in ("answers.present", "answers.presence")


def test_red_flag_instruction_in_spanish(phone, patient):
    patient.language = "es"
    patient.save()
    body = report(phone, "black_stools", present=True)
    assert body["patient_instruction"]["text"].startswith("Esto necesita ayuda ahora. Llame al 112")


def test_an_ordinary_report_is_never_called_a_ctcae_grade(phone, nurse):
    body = report(phone, "nausea", frequency=3, severity=1)
    assert (body["patient_level"], body["composite_grade"]) == (3, 1)
    assert body["patient_instruction"]["level"] == "contact_soon"
    alert = client_for(nurse).get("/api/v1/alerts/").json()["results"][0]
    assert alert["priority"] == "normal"
    assert "CTCAE grade 3" not in alert["summary"] and "composite 1 of 3" in alert["summary"]
    assert alert["advice"]["basis"] == "patient_reported"
    assert alert["advice"]["actions"] == [
        "supportive_care",
        "clinician_assessment",
        "call_patient",
    ]
    assert "large glass of water" in alert["advice"]["text"]
    assert "withhold" not in alert["advice"]["text"].lower()


def test_rash_blisters_raise_the_red_flag_and_extent_sets_the_priority(phone):
    body = report(phone, "rash", present=True, body_area=2, blisters=True, fever=False)
    assert body["red_flags"] == ["blistering_rash"]
    assert body["patient_scores"] == {"presence": 1, "body_area": 2, "blisters": 1, "fever": 0}
    assert body["patient_instruction"]["level"] == "call_now"
    kinds = {(a.kind, a.symptom): a.priority for a in Alert.objects.all()}
    assert kinds == {
        ("red_flag", "blistering_rash"): "urgent",
        ("worsening_symptom", "rash"): "high",
    }


def test_rash_follow_ups_are_refused_without_a_rash(phone):
    body = {
        "client_id": str(uuid.uuid4()),
        "symptom": "rash",
        "answers": {"present": False, "blisters": True},
    }
    response = phone.post(REPORTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "answers.blisters"


def test_a_rash_still_present_alerts_again(phone):
    start = timezone.now()
    for day in (0, 7, 13, 14, 21, 28):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            report(phone, "rash", present=True, body_area=0)
    persistent = Alert.objects.filter(kind="persistent_symptom", symptom="rash").get()
    # Day 14 opened it; day 21 was too soon after it; day 28 counted again.
    assert persistent.occurrences == 2
    assert "still present after 28 days" in persistent.summary
    assert Alert.objects.filter(kind="worsening_symptom", symptom="rash").count() == 1


def test_a_rash_that_went_away_starts_counting_again(phone):
    start = timezone.now()
    for day, present in ((0, True), (10, False), (12, True), (20, True)):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            report(phone, "rash", present=present)
    assert not Alert.objects.filter(kind="persistent_symptom").exists()


def test_clinician_grades_rash_under_its_ctcae_terms_and_sjs_is_urgent(phone, nurse):
    created = report(phone, "rash", present=True, body_area=1)
    url = f"/api/v1/side-effects/{created['id']}/assessment/"
    staff = client_for(nurse)
    refused = staff.post(url, {"grade": 4, "ctcae_term": "Rash maculo-papular"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "grade"
    refused = staff.post(
        url, {"grade": 3, "ctcae_term": "Toxic epidermal necrolysis"}, format="json"
    )
    assert refused.status_code == 400
    bad_term = staff.post(url, {"grade": 3, "ctcae_term": "Sunburn"}, format="json")
    assert bad_term.json()["errors"][0]["field"] == "ctcae_term"
    graded = staff.post(url, {"grade": 3, "ctcae_term": "stevens-johnson syndrome"}, format="json")
    assert graded.status_code == 201, graded.json()
    assert graded.json()["assessments"][-1]["ctcae_term"] == "Stevens-Johnson syndrome"
    severe = Alert.objects.get(kind="severe_symptom", symptom="rash")
    assert severe.priority == "urgent"
    assert graded.json()["advice"]["actions"][0] == "withhold"
    ten = staff.post(url, {"grade": 4, "ctcae_term": "Toxic epidermal necrolysis"}, format="json")
    assert ten.status_code == 201
    em = staff.post(url, {"grade": 5, "ctcae_term": "Erythema multiforme"}, format="json")
    assert em.status_code == 201


def test_a_low_grade_turns_the_advice_to_continue(phone, nurse):
    created = report(phone, "diarrhoea", frequency=4)
    alert = Alert.objects.get()
    assert alert.priority == "high"  # composite 3
    graded = client_for(nurse).post(
        f"/api/v1/side-effects/{created['id']}/assessment/", {"grade": 2}, format="json"
    )
    alert.refresh_from_db()
    assert alert.advice == graded.json()["advice"]
    assert alert.advice["actions"] == ["continue", "supportive_care"]
    assert "400 mg/day" in alert.advice["text"]
    # A later patient report does not replace the clinician's advice.
    report(phone, "diarrhoea", frequency=4)
    alert.refresh_from_db()
    assert alert.advice["basis"] == "clinician_grade"


def test_grade_3_on_300_mg_says_the_clinician_decides(nurse, care_team):
    from tests.factories.accounts import activated_patient

    patient = activated_patient(care_team=care_team)
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        start_date="2026-01-05",
        override={"dose_mg_per_day": 300, "reason": "intolerance"},
    )
    created = report(client_for(patient.user), "fatigue", severity=2, interference=2)
    graded = client_for(nurse).post(
        f"/api/v1/side-effects/{created['id']}/assessment/", {"grade": 3}, format="json"
    )
    advice = graded.json()["advice"]
    assert advice["actions"] == ["withhold"]
    assert "clinician's decision" in advice["text"]


def _skip_yesterday(phone):
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = phone.post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid.uuid4()),
            "date": day,
            "slot": 1,
            "status": "skipped",
            "skip_reason": "side_effects",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_a_dose_skipped_for_side_effects_never_says_continue(phone):
    report(phone, "vomiting", frequency=2, severity=2)
    _skip_yesterday(phone)
    alert = Alert.objects.get(kind="side_effect_nonadherence")
    assert alert.priority == "high"
    assert "continue" not in alert.advice["actions"]
    assert "Continue" not in alert.advice["text"]
    assert {"clinician_assessment", "call_patient", "supportive_care"} <= set(
        alert.advice["actions"]
    )


def test_a_skip_with_a_red_flag_is_urgent(phone):
    report(phone, "vomiting_blood", present=True)
    _skip_yesterday(phone)
    alert = Alert.objects.get(kind="side_effect_nonadherence")
    assert alert.priority == "urgent"
    assert "urgent_review" in alert.advice["actions"]


# ---------------------------------------------------------------------------------- weights


def weigh(phone, kg, day=None):
    body = {"client_id": str(uuid.uuid4()), "weight_kg": kg}
    if day is not None:
        body["measured_on"] = day.isoformat()
    response = phone.post(WEIGHTS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_first_weight_is_the_baseline_and_5_percent_alerts(phone, nurse):
    today = timezone.localdate()
    first = weigh(phone, "80.0", today - timedelta(days=30))
    assert first["is_baseline"] is True
    weigh(phone, "83.9", today - timedelta(days=20))  # +4.9 %: nothing
    assert not Alert.objects.exists()
    latest = weigh(phone, "84.0", today - timedelta(days=10))  # +5.0 %
    assert (latest["change_from_baseline_kg"], latest["change_from_baseline_percent"]) == (
        "4.0",
        5.0,
    )
    alert = Alert.objects.get(kind="weight_gain")
    assert alert.priority == "normal"
    assert "from baseline 80.0 kg" in alert.summary
    assert "diuretics" in alert.advice["text"] and "supportive_care" in alert.advice["actions"]
    listed = phone.get(WEIGHTS).json()
    assert [w["weight_kg"] for w in listed] == ["84.0", "83.9", "80.0"]
    staff_view = client_for(nurse).get(f"/api/v1/patients/{alert.patient_id}/weights/")
    assert staff_view.status_code == 200 and len(staff_view.json()) == 3


def test_two_kilos_within_a_week_alerts(phone, nurse, patient):
    today = timezone.localdate()
    weigh(phone, "70.0", today - timedelta(days=60))
    client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/weights/",
        {"client_id": str(uuid.uuid4()), "weight_kg": "75.0", "baseline": True},
        format="json",
    )
    weigh(phone, "75.0", today)  # the nurse's weight is the new baseline: +0 %
    assert not Alert.objects.exists()
    assert WeightMeasurement.objects.filter(is_baseline=True).count() == 2
    weigh(phone, "76.9", today)  # +1.9 kg in a week
    assert not Alert.objects.exists()
    weigh(phone, "77.0", today)  # +2.0 kg within 7 days
    assert "within 7 days" in Alert.objects.get(kind="weight_gain").summary


def test_a_patient_cannot_set_the_baseline_and_bad_weights_are_400(phone):
    for body, field in (
        ({"weight_kg": "70", "baseline": True}, "baseline"),
        ({"weight_kg": "19.9"}, "weight_kg"),
        ({"weight_kg": "70", "measured_on": "2999-01-01"}, "measured_on"),
    ):
        response = phone.post(WEIGHTS, {"client_id": str(uuid.uuid4()), **body}, format="json")
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["field"] == field


def test_a_weight_in_a_report_counts_and_a_resend_is_one_weight(phone):
    weigh(phone, "60.0", timezone.localdate() - timedelta(days=30))
    body = {
        "client_id": str(uuid.uuid4()),
        "symptom": "limb_swelling",
        "answers": {"frequency": 2, "severity": 2, "interference": 1},
        "weight_kg": "63.5",
    }
    assert phone.post(REPORTS, body, format="json").status_code == 201
    assert phone.post(REPORTS, body, format="json").status_code == 200
    assert WeightMeasurement.objects.count() == 2
    assert Alert.objects.get(kind="weight_gain").priority == "normal"


def test_weights_are_scoped(phone, other_care_team, patient):
    from tests.factories.accounts import StaffFactory

    weigh(phone, "70.0")
    stranger = client_for(StaffFactory(role="nurse", care_teams=[other_care_team]))
    assert stranger.get(f"/api/v1/patients/{patient.pk}/weights/").status_code == 404
    body = {"client_id": str(uuid.uuid4()), "weight_kg": "70"}
    assert (
        stranger.post(f"/api/v1/patients/{patient.pk}/weights/", body, format="json").status_code
        == 404
    )


def test_a_rash_graded_4_without_a_term_is_urgent_and_says_so(phone, nurse):
    created = report(phone, "rash", present=True)
    url = f"/api/v1/side-effects/{created['id']}/assessment/"
    graded = client_for(nurse).post(url, {"grade": 4}, format="json")
    assert graded.status_code == 201, graded.json()
    assert graded.json()["assessments"][-1]["ctcae_term"] == ""  # the nurse named none
    alert = Alert.objects.get(kind="severe_symptom")
    assert alert.priority == "urgent" and "term not given" in alert.summary
    by_alias = client_for(nurse).post(
        url, {"grade": 5, "term": "Toxic epidermal necrolysis"}, format="json"
    )
    assert by_alias.json()["assessments"][-1]["ctcae_term"] == "Toxic epidermal necrolysis"
    nausea = report(phone, "nausea", frequency=1, severity=1)
    too_high = client_for(nurse).post(
        f"/api/v1/side-effects/{nausea['id']}/assessment/", {"grade": 4}, format="json"
    )
    assert too_high.status_code == 400  # CTCAE v5.0 nausea stops at 3


def test_grading_a_blistering_rash_puts_the_grade_advice_on_its_red_flag(phone, nurse):
    created = report(phone, "rash", present=True, mouth_eye_sores=True)
    client_for(nurse).post(
        f"/api/v1/side-effects/{created['id']}/assessment/",
        {"grade": 3, "ctcae_term": "Stevens-Johnson syndrome"},
        format="json",
    )
    red_flag = Alert.objects.get(kind="red_flag", symptom="blistering_rash")
    assert red_flag.advice["basis"] == "clinician_grade"
    assert red_flag.advice["actions"][0] == "withhold"

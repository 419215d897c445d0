"""Side-effect reports through the API, and the alerts they raise for the care team."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.alerts.models import Alert
from backend.notifications.models import OutboxMessage
from backend.sideeffects.models import SideEffectReport
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/me/side-effects/"


@pytest.fixture
def phone(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-01-05")
    return client_for(patient.user)


def report(phone, symptom="nausea", **answers):
    body = {"client_id": str(uuid.uuid4()), "symptom": symptom, "answers": answers}
    return phone.post(REPORTS, body, format="json")


def test_report_stores_scores_and_level_and_resend_is_idempotent(phone):
    body = {
        "client_id": str(uuid.uuid4()),
        "symptom": "nausea",
        "answers": {"frequency": 2, "severity": 1},
        "note": "after breakfast",
    }
    first = phone.post(REPORTS, body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["patient_scores"] == {"frequency": 2, "severity": 1}
    assert first.json()["patient_level"] == 2
    assert first.json()["clinician_grade"] is None
    again = phone.post(REPORTS, {**body, "note": "changed"}, format="json")
    assert again.status_code == 200 and again.json() == first.json()
    assert SideEffectReport.objects.count() == 1


@pytest.mark.parametrize(
    ("body_change", "field"),
    [
        ({"symptom": "headache"}, "symptom"),
        ({"answers": {"frequency": 2}}, "answers.severity"),
        ({"answers": {"frequency": 5, "severity": 1}}, "answers.frequency"),
        ({"answers": {"frequency": -1, "severity": 1}}, "answers.frequency"),
        ({"answers": {"frequency": "2", "severity": 1}}, "answers.frequency"),
        ({"onset_date": "2099-01-01"}, "onset_date"),
        ({"note": "x" * 2001}, "note"),
        ({"mood": "bad"}, "mood"),
    ],
)
def test_invalid_reports_are_400_naming_the_field(phone, body_change, field):
    body = {
        "client_id": str(uuid.uuid4()),
        "symptom": "nausea",
        "answers": {"frequency": 2, "severity": 1},
        **body_change,
    }
    response = phone.post(REPORTS, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not SideEffectReport.objects.exists()


def test_score_2_raises_nothing_score_3_alerts_with_priority_from_the_composite(
    phone, patient, nurse
):
    report(phone, frequency=2, severity=2)
    assert not Alert.objects.exists()
    report(phone, frequency=2, severity=3)  # SYMPATHY trigger; composite 2 (Basch 2021)
    alert = Alert.objects.get()
    assert (alert.kind, alert.symptom, alert.priority) == ("severe_symptom", "nausea", "normal")
    assert alert.sources and alert.rule
    assert alert.advice["for_clinician"] is True
    assert "withhold" not in alert.advice["actions"]
    assert OutboxMessage.objects.filter(recipient=nurse, kind="alert_opened").count() == 1
    report(phone, frequency=3, severity=3)  # composite 3: high (a rise of 1: no worsening)
    alert.refresh_from_db()
    assert Alert.objects.count() == 1  # the open alert is updated, never a second one
    assert (alert.priority, alert.occurrences) == ("high", 2)
    assert OutboxMessage.objects.filter(recipient=nurse, kind="alert_escalated").count() == 1


def test_worsening_is_a_rise_of_two_in_one_answer(phone):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        report(phone, frequency=1, severity=0)
    with time_machine.travel(start + timedelta(days=14), tick=False):
        report(phone, frequency=2, severity=0)  # a rise of 1: nothing
        assert not Alert.objects.filter(kind="worsening_symptom").exists()
        report(phone, frequency=2, severity=1)  # severity 0 -> 1: nothing
        assert not Alert.objects.filter(kind="worsening_symptom").exists()
        report(phone, frequency=2, severity=3)  # severity 1 -> 3: a rise of 2
    alert = Alert.objects.get(kind="worsening_symptom")
    assert alert.priority == "normal"  # composite 2


def test_worsening_compares_with_the_previous_report_whatever_its_age(phone, care_team):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        report(phone, symptom="fatigue", severity=1, interference=0)
    with time_machine.travel(start + timedelta(days=25), tick=False):  # within token life
        report(phone, symptom="fatigue", severity=3, interference=1)
    alert = Alert.objects.get(kind="worsening_symptom")
    assert alert.symptom == "fatigue"


def test_a_team_window_limits_the_comparison(phone, care_team):
    from backend.alerts.models import CareTeamAlertSettings

    CareTeamAlertSettings.objects.create(care_team=care_team, worsening_window_days=14)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        report(phone, symptom="fatigue", severity=1, interference=0)
    with time_machine.travel(start + timedelta(days=15), tick=False):
        report(phone, symptom="fatigue", severity=3, interference=1)  # 15 days: too old
    assert not Alert.objects.filter(kind="worsening_symptom").exists()
    with time_machine.travel(start + timedelta(days=29), tick=False):
        report(phone, symptom="fatigue", severity=1, interference=1)
    with time_machine.travel(start + timedelta(days=43), tick=False):
        report(phone, symptom="fatigue", severity=3, interference=1)  # 14 days: counts
    assert Alert.objects.get(kind="worsening_symptom").symptom == "fatigue"


def test_skipping_for_side_effects_with_a_symptom_at_2_is_one_combined_alert(phone):
    report(phone, frequency=2, severity=2)  # nausea at 2: no alert by itself
    today = timezone.localdate()
    for days_back in (1, 2):
        day = (today - timedelta(days=days_back)).isoformat()
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
    alerts = list(Alert.objects.all())
    assert [a.kind for a in alerts] == ["side_effect_nonadherence"]
    assert alerts[0].occurrences == 2


def test_skipping_for_side_effects_with_symptoms_at_1_raises_nothing(phone):
    report(phone, frequency=1, severity=1)
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    phone.post(
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
    assert not Alert.objects.exists()


def test_clinician_grade_3_raises_an_alert_and_is_kept_apart(phone, nurse, patient):
    created = report(phone, symptom="limb_swelling", frequency=1, severity=1, interference=1).json()
    url = f"/api/v1/side-effects/{created['id']}/assessment/"
    graded = client_for(nurse).post(url, {"grade": 2, "note": "10-30 % BSA"}, format="json")
    assert graded.status_code == 201, graded.json()
    assert graded.json()["clinician_grade"] == 2
    assert graded.json()["patient_level"] == created["patient_level"]  # untouched
    assert not Alert.objects.exists()
    graded = client_for(nurse).post(url, {"grade": 3}, format="json")
    alert = Alert.objects.get()
    assert alert.priority == "high"
    assert alert.advice["basis"] == "clinician_grade"
    assert "withhold" in alert.advice["actions"]
    assert graded.json()["advice"] == alert.advice


def test_assessment_is_scoped_and_for_nurses(phone, coordinator, other_care_team):
    from tests.factories.accounts import StaffFactory

    created = report(phone, frequency=1, severity=1).json()
    url = f"/api/v1/side-effects/{created['id']}/assessment/"
    stranger = client_for(StaffFactory(role="nurse", care_teams=[other_care_team]))
    assert stranger.post(url, {"grade": 2}, format="json").status_code == 404
    assert client_for(coordinator).post(url, {"grade": 2}, format="json").status_code == 403
    assert phone.post(url, {"grade": 2}, format="json").status_code == 403


@pytest.mark.parametrize("grade", [0, 6, "3", None])
def test_invalid_grades(phone, nurse, grade):
    created = report(phone, frequency=1, severity=1).json()
    response = client_for(nurse).post(
        f"/api/v1/side-effects/{created['id']}/assessment/", {"grade": grade}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "grade"


def test_symptom_catalogue_is_served(phone):
    body = phone.get("/api/v1/symptoms/").json()
    assert body["recall_period"] == "the last 7 days"
    codes = {s["code"] for s in body["symptoms"]}
    assert {
        "nausea",
        "vomiting",
        "diarrhoea",
        "limb_swelling",
        "periorbital_swelling",
        "fatigue",
        "rash",
        "muscle_cramps",
        "other",
    } <= codes


def test_a_first_rash_is_a_new_rash_alert(phone):
    report(phone, symptom="rash", present=0)
    assert not Alert.objects.exists()
    report(phone, symptom="rash", present=1)
    alert = Alert.objects.get()
    assert (alert.kind, alert.symptom, alert.rule) == (
        "worsening_symptom",
        "rash",
        "alert.new_rash",
    )


@pytest.mark.parametrize(("dose_mg", "lower"), [(400, "300"), (600, "400"), (800, "600")])
def test_grade_advice_follows_the_plans_dose(nurse, care_team, dose_mg, lower):
    from tests.factories.accounts import activated_patient

    patient = activated_patient(care_team=care_team)
    override = {"dose_mg_per_day": dose_mg, "reason": "test dose level"}
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        start_date="2026-01-05",
        dose_times=["08:00", "20:00"] if dose_mg == 800 else ["08:00"],
        override=override,
    )
    created = report(client_for(patient.user), frequency=3, severity=3).json()
    advice = Alert.objects.get(patient=patient).advice
    assert "→" not in advice["text"]  # the patient's answers never lead to a dose change
    graded = client_for(nurse).post(
        f"/api/v1/side-effects/{created['id']}/assessment/", {"grade": 3}, format="json"
    )
    advice = Alert.objects.get(patient=patient).advice
    assert f"{dose_mg} → {lower} mg" in advice["text"]
    assert advice["actions"][:2] == ["withhold", "resume_lower_dose"]
    assert graded.json()["advice"] == advice
    assert advice["for_clinician"] is True


def test_catalogue_name_presence_is_accepted_too(phone):
    assert report(phone, symptom="rash", presence=1).status_code == 201
    both = report(phone, symptom="rash", presence=1, present=1)
    assert both.status_code == 400
    assert both.json()["errors"][0]["field"] == "answers.present"


def test_a_note_only_correction_does_not_count_again(phone):
    report(phone, frequency=2, severity=2)
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    log = phone.post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid.uuid4()),
            "date": day,
            "slot": 1,
            "status": "skipped",
            "skip_reason": "side_effects",
        },
        format="json",
    ).json()
    phone.patch(f"/api/v1/me/doses/{log['id']}/", {"note": "felt sick all day"}, format="json")
    assert Alert.objects.get().occurrences == 1

"""The alert queue for staff: ordering, filters, scoping, acknowledge, resolve; dedupe;
missed-dose streak alerts; an alert and its outbox rows live and die with their cause."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from backend.alerts.models import Alert
from backend.alerts.services import alert_raise
from backend.alerts.streaks import alerts_open_for_missed_streaks, current_missed_streak
from backend.guidelines import AlertDecision
from backend.notifications.models import OutboxMessage
from backend.sideeffects.services import side_effect_report_record
from tests.factories.accounts import StaffFactory, activated_patient
from tests.factories.clients import client_for
from tests.factories.doses import DoseRecord, doses_logged
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db


def decision(kind="severe_symptom", priority="high", text="nausea: severe"):
    return AlertDecision(
        kind=kind, priority=priority, rule=f"alert.{kind}", text=text, sources=("S20",)
    )


def test_queue_is_urgent_first_then_high_then_oldest(nurse, care_team):
    patients = [activated_patient(care_team=care_team) for _ in range(3)]
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    alert_raise(
        patient=patients[0], decision=decision(priority="high"), symptom="nausea", now=start
    )
    alert_raise(
        patient=patients[1],
        decision=decision(priority="high"),
        symptom="rash",
        now=start + timedelta(minutes=5),
    )
    alert_raise(
        patient=patients[2],
        decision=decision(priority="urgent"),
        symptom="fatigue",
        now=start + timedelta(minutes=10),
    )
    body = client_for(nurse).get("/api/v1/alerts/").json()
    assert [(row["priority"], row["symptom"]) for row in body["results"]] == [
        ("urgent", "fatigue"),
        ("high", "nausea"),
        ("high", "rash"),
    ]
    only_rash = client_for(nurse).get(f"/api/v1/alerts/?patient={patients[1].pk}").json()
    assert [row["symptom"] for row in only_rash["results"]] == ["rash"]
    urgent = client_for(nurse).get("/api/v1/alerts/?priority=urgent").json()
    assert urgent["count"] == 1


def test_bad_filters_are_400(nurse):
    response = client_for(nurse).get("/api/v1/alerts/?priority=critical")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "priority"


def test_same_cause_updates_the_open_alert(patient):
    first = alert_raise(patient=patient, decision=decision(), symptom="nausea")
    second = alert_raise(
        patient=patient, decision=decision(text="nausea: severe again"), symptom="nausea"
    )
    assert first.pk == second.pk
    second.refresh_from_db()
    assert second.occurrences == 2 and second.summary == "nausea: severe again"
    assert Alert.objects.count() == 1


def test_acknowledge_and_resolve_record_who_and_when(nurse, patient):
    client = client_for(nurse)
    with time_machine.travel("2026-05-01 09:00:00+00:00", tick=False):
        alert = alert_raise(patient=patient, decision=decision(), symptom="nausea")
    with time_machine.travel("2026-05-01 09:10:00+00:00", tick=False):
        acked = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == nurse.username
    assert acked["seconds_to_acknowledge"] == 600
    with time_machine.travel("2026-05-01 11:00:00+00:00", tick=False):
        refused = client.post(
            f"/api/v1/alerts/{alert.pk}/resolve/",
            {"outcome": "contacted_patient", "note": " "},
            format="json",
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "note"
        missing = client.post(
            f"/api/v1/alerts/{alert.pk}/resolve/", {"outcome": "contacted_patient"}, format="json"
        )
        assert missing.status_code == 400
        resolved = client.post(
            f"/api/v1/alerts/{alert.pk}/resolve/",
            {"outcome": "dose_held", "note": "Held 3 days, review Friday."},
            format="json",
        ).json()
    assert resolved["status"] == "resolved" and resolved["seconds_to_resolve"] == 7200
    assert resolved["resolution_outcome"] == "dose_held"
    again = client.post(
        f"/api/v1/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "x"}, format="json"
    )
    assert again.status_code == 409
    # A new cause after resolution opens a new alert.
    assert alert_raise(patient=patient, decision=decision(), symptom="nausea").pk != alert.pk


@pytest.mark.parametrize("role", ["nurse", "coordinator", "admin"])
def test_staff_of_the_team_may_act(role, care_team, patient):
    user = StaffFactory(role=role, care_teams=[] if role == "admin" else [care_team])
    alert = alert_raise(patient=patient, decision=decision(), symptom="nausea")
    assert client_for(user).post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200


def test_other_team_gets_404_and_patients_403(patient, other_care_team):
    alert = alert_raise(patient=patient, decision=decision(), symptom="nausea")
    stranger = client_for(StaffFactory(role="nurse", care_teams=[other_care_team]))
    assert stranger.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "x"}, format="json"
        ).status_code
        == 404
    )
    assert stranger.get("/api/v1/alerts/").json()["count"] == 0
    phone = client_for(patient.user)
    assert phone.get("/api/v1/alerts/").status_code == 403
    assert phone.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"


def test_alert_and_outbox_roll_back_with_their_cause(patient, nurse):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        side_effect_report_record(
            patient=patient,
            reported_by=patient.user,
            client_id=uuid.uuid4(),
            symptom="nausea",
            answers={"frequency": 4, "severity": 4},
        )
        assert Alert.objects.count() == 1 and OutboxMessage.objects.count() == 1
        raise Boom
    assert not Alert.objects.exists()
    assert not OutboxMessage.objects.exists()


# ------------------------------------------------------------------ missed-dose streaks


def test_current_streak_counts_back_from_the_latest_logged_day() -> None:
    days = {
        date(2026, 5, 1): {"taken"},
        date(2026, 5, 2): {"missed"},
        date(2026, 5, 4): {"missed", "taken"},  # 05-03 unlogged (held): skipped over
        date(2026, 5, 5): {"missed"},
    }
    assert current_missed_streak(days) == (3, date(2026, 5, 2))
    assert current_missed_streak({date(2026, 5, 1): {"taken"}}) == (0, None)


def _logs(plan, patient, statuses: dict[str, str]) -> None:
    doses_logged(
        DoseRecord(
            plan,
            date.fromisoformat(day),
            1,
            status,
            taken_at=datetime.fromisoformat(f"{day}T07:00:00+00:00") if status == "taken" else None,
            client_id=None,
        )
        for day, status in statuses.items()
    )


def test_streak_of_one_day_is_quiet_two_days_alert_growing_updates(nurse, patient):
    plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-04-20")
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    _logs(plan, patient, {"2026-05-06": "taken", "2026-05-07": "missed"})
    assert alerts_open_for_missed_streaks(now) == []
    _logs(plan, patient, {"2026-05-08": "missed"})
    [alert] = alerts_open_for_missed_streaks(now)
    assert (alert.kind, alert.summary) == ("missed_dose_streak", "missed 2 days in a row")
    assert alerts_open_for_missed_streaks(now) == []  # same streak: nothing new
    _logs(plan, patient, {"2026-05-09": "missed"})
    [grown] = alerts_open_for_missed_streaks(now)
    assert grown.pk == alert.pk and grown.details["streak_days"] == 3
    assert grown.summary == "missed 3 days in a row"


def test_a_new_streak_after_a_taken_dose_opens_a_new_alert(nurse, patient):
    plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-04-20")
    now = datetime(2026, 5, 12, 12, 0, tzinfo=UTC)
    _logs(plan, patient, {"2026-05-04": "missed", "2026-05-05": "missed"})
    [first] = alerts_open_for_missed_streaks(now)
    first.status = "resolved"
    first.save()
    _logs(plan, patient, {"2026-05-06": "taken", "2026-05-07": "missed", "2026-05-08": "missed"})
    [second] = alerts_open_for_missed_streaks(now)
    assert second.pk != first.pk and second.details["streak_started"] == "2026-05-07"


def test_team_threshold_is_configurable(nurse, patient, care_team):
    from backend.alerts.models import CareTeamAlertSettings

    CareTeamAlertSettings.objects.create(care_team=care_team, missed_streak_days=3)
    plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-04-20")
    _logs(plan, patient, {"2026-05-07": "missed", "2026-05-08": "missed"})
    assert alerts_open_for_missed_streaks(datetime(2026, 5, 10, tzinfo=UTC)) == []


def test_inconsistent_team_thresholds_are_refused_by_validation(care_team):
    from django.core.exceptions import ValidationError

    from backend.alerts.models import CareTeamAlertSettings

    row = CareTeamAlertSettings(care_team=care_team, severe_grade=4, urgent_grade=3)
    with pytest.raises(ValidationError):
        row.full_clean()


def test_escalation_counts_from_when_the_alert_became_urgent(patient, nurse):
    from backend.alerts.services import alerts_escalate

    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    alert_raise(patient=patient, decision=decision(priority="high"), symptom="nausea", now=start)
    later = start + timedelta(hours=3)
    alert_raise(patient=patient, decision=decision(priority="urgent"), symptom="nausea", now=later)
    assert alerts_escalate(later + timedelta(minutes=59)) == 0
    assert alerts_escalate(later + timedelta(minutes=60)) == 1


def test_a_team_without_nurses_is_still_told(care_team, coordinator):
    patient = activated_patient(care_team=care_team)
    alert_raise(patient=patient, decision=decision(), symptom="nausea")
    assert [m.recipient for m in OutboxMessage.objects.all()] == [coordinator]


def test_listing_alerts_is_audited(nurse, patient):
    from backend.audit.models import AuditEvent

    alert_raise(patient=patient, decision=decision(), symptom="nausea")
    client_for(nurse).get("/api/v1/alerts/")
    assert AuditEvent.objects.filter(action="alerts.list", patient=patient, actor=nurse).exists()


def test_streak_threshold_cannot_exceed_the_lookback(care_team):
    from django.core.exceptions import ValidationError

    from backend.alerts.models import CareTeamAlertSettings

    with pytest.raises(ValidationError):
        CareTeamAlertSettings(care_team=care_team, missed_streak_days=61).full_clean()


def test_new_rash_rule_can_be_switched_off_per_team(care_team, nurse):
    from backend.alerts.models import CareTeamAlertSettings

    CareTeamAlertSettings.objects.create(care_team=care_team, new_rash_alert=False)
    patient = activated_patient(care_team=care_team)
    side_effect_report_record(
        patient=patient,
        reported_by=patient.user,
        client_id=uuid.uuid4(),
        symptom="rash",
        answers={"presence": 1},
    )
    assert not Alert.objects.exists()

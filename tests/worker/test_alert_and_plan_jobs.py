"""Escalation of unacknowledged alerts (once), plan completion (stops the plan, one closing
message) and the 30-day notice to coordinators (once)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from backend.alerts.models import Alert
from backend.notifications.models import OutboxMessage
from tests.factories.alerts import AlertFactory
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory
from worker.tasks.adherence import complete_finished_plans, notify_plans_ending
from worker.tasks.alerts import escalate_unacknowledged

pytestmark = pytest.mark.django_db
OPENED = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("priority", "minutes"), [("urgent", 60), ("high", 240)])
def test_escalation_once_after_the_priority_delay(priority, minutes, patient, nurse, coordinator):
    alert = AlertFactory.create(
        patient=patient, priority=priority, summary="nausea: very severe", now=OPENED
    )
    with time_machine.travel(OPENED + timedelta(minutes=minutes - 1), tick=False):
        assert escalate_unacknowledged.apply().get() == 0
    with time_machine.travel(OPENED + timedelta(minutes=minutes), tick=False):
        assert escalate_unacknowledged.apply().get() == 1
        assert escalate_unacknowledged.apply().get() == 0
    escalations = OutboxMessage.objects.filter(kind="alert_escalated")
    assert {m.recipient for m in escalations} == {nurse, coordinator}
    alert.refresh_from_db()
    assert alert.escalated_at == OPENED + timedelta(minutes=minutes)


def test_acknowledged_alerts_are_not_escalated(patient, nurse):
    alert = AlertFactory.create(
        patient=patient, priority="urgent", summary="nausea: very severe", now=OPENED
    )
    client_for(nurse).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    with time_machine.travel(OPENED + timedelta(hours=5), tick=False):
        assert escalate_unacknowledged.apply().get() == 0
    assert not Alert.objects.filter(escalated_at__isnull=False).exists()


def test_plan_is_completed_after_its_last_local_day_with_one_message(nurse, patient):
    plan = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        start_date="2026-01-01",
        override={"duration_months": 1, "reason": "test length"},
    )  # ends 2026-02-01 (Madrid)
    with time_machine.travel("2026-02-01 23:30:00+01:00", tick=False):
        assert complete_finished_plans.apply().get() == 0  # still its last day
    with time_machine.travel("2026-02-02 00:30:00+01:00", tick=False):
        assert complete_finished_plans.apply().get() == 1
        assert complete_finished_plans.apply().get() == 0
    plan.refresh_from_db()
    assert plan.status == "completed"
    closing = OutboxMessage.objects.filter(kind="plan_completed")
    assert [m.recipient for m in closing] == [patient.user]


def test_coordinators_hear_once_about_a_plan_ending_within_30_days(nurse, coordinator, patient):
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        start_date="2026-01-01",
        override={"duration_months": 3, "reason": "test length"},
    )  # ends 2026-04-01
    with time_machine.travel("2026-02-15 12:00:00+00:00", tick=False):
        notify_plans_ending.apply()
    assert not OutboxMessage.objects.filter(kind="plan_ending").exists()
    for day in ("2026-03-03", "2026-03-04"):
        with time_machine.travel(f"{day} 12:00:00+00:00", tick=False):
            notify_plans_ending.apply()
    ending = OutboxMessage.objects.filter(kind="plan_ending")
    assert [m.recipient for m in ending] == [coordinator]

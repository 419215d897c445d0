"""The factories of tests/factories/ make their data through the services, so what a test
starts from is what the app itself would have written."""

from datetime import date

import pytest

from backend.adherence.models import DoseState, ScheduledDose
from backend.audit.models import AuditEvent
from backend.notifications.models import OutboxMessage
from tests.factories.alerts import AlertFactory
from tests.factories.devices import DeviceFactory
from tests.factories.doses import DoseLogFactory
from tests.factories.plans import TreatmentPlanFactory
from tests.factories.side_effects import SideEffectReportFactory

pytestmark = pytest.mark.django_db


def test_a_plan_comes_with_its_first_revision_ledger_and_audit_row(nurse, patient):
    plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    assert plan.start_date == date(2026, 3, 1)
    assert plan.guideline_version and plan.case["start_date"] == "2026-03-01"
    assert [r.number for r in plan.revisions.all()] == [1]
    assert ScheduledDose.objects.filter(plan=plan, local_date=date(2026, 3, 1)).exists()
    assert AuditEvent.objects.filter(action="plan.create", patient=patient).count() == 1


def test_a_dose_log_is_written_on_its_ledger_row(nurse, patient):
    plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    row = DoseLogFactory.create(plan=plan, day=date(2026, 3, 2))
    assert (row.state, row.slot, row.recorded_by) == (DoseState.TAKEN, 1, patient.user)
    assert row.taken_at == row.due_at
    skipped = DoseLogFactory.create(plan=plan, day=date(2026, 3, 3), status=DoseState.SKIPPED)
    assert (skipped.state, skipped.taken_at) == (DoseState.SKIPPED, None)


def test_a_mild_report_raises_nothing_a_severe_one_alerts_the_team(nurse, patient):
    mild = SideEffectReportFactory.create(patient=patient)
    assert (mild.symptom, mild.reported_by, mild.care_team_alerted) == (
        "nausea",
        patient.user,
        False,
    )
    severe = SideEffectReportFactory.create(patient=patient, level=4)
    assert severe.care_team_alerted is True


def test_an_alert_is_raised_once_and_the_team_is_told(nurse, patient):
    alert = AlertFactory.create(patient=patient, priority="urgent")
    assert (alert.kind, alert.symptom, alert.summary) == (
        "severe_symptom",
        "nausea",
        "nausea: urgent",
    )
    assert AlertFactory.create(patient=patient).pk == alert.pk  # the same cause: the open alert
    assert [m.recipient for m in OutboxMessage.objects.all()] == [nurse]


def test_a_device_token_registered_again_moves_to_the_new_user(patient, nurse):
    device = DeviceFactory.create(user=patient.user, token="phone-token")
    assert (device.user, device.platform, device.active) == (patient.user, "android", True)
    moved = DeviceFactory.create(user=nurse, token="phone-token", platform="ios")
    assert (moved.pk, moved.user, moved.platform) == (device.pk, nurse, "ios")

"""The 15-minute tasks: missed doses, then missed-streak alerts. Idempotent when run twice."""

from datetime import date

import pytest
import time_machine

from backend.adherence.models import ScheduledDose
from backend.alerts.models import Alert
from tests.factories.plans import TreatmentPlanFactory
from worker.celery_app import app
from worker.tasks.adherence import mark_missed_doses
from worker.tasks.alerts import open_missed_streak_alerts

pytestmark = pytest.mark.django_db


def test_sweep_then_streak_alert_and_reruns_change_nothing(nurse, patient):
    with time_machine.travel("2026-05-01 09:00:00+02:00", tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-05-01")
    # Madrid, 2026-05-04 12:00: 05-01..05-02 are past end of day + 6 h; 05-03 too (06:00).
    with time_machine.travel("2026-05-04 12:00:00+02:00", tick=False):
        assert mark_missed_doses.apply().get() == 3
        assert mark_missed_doses.apply().get() == 0
        assert open_missed_streak_alerts.apply().get() == 1
        assert open_missed_streak_alerts.apply().get() == 0
    assert sorted(ScheduledDose.objects.logged().values_list("local_date", flat=True)) == [
        date(2026, 5, 1),
        date(2026, 5, 2),
        date(2026, 5, 3),
    ]
    alert = Alert.objects.get()
    assert alert.summary == "missed 3 days in a row" and alert.occurrences == 1


def test_the_schedule_runs_both_every_15_minutes() -> None:
    schedule = app.conf.beat_schedule
    assert schedule["mark-missed-doses"]["task"] == "worker.adherence.mark_missed_doses"
    assert (
        schedule["open-missed-streak-alerts"]["task"] == "worker.alerts.open_missed_streak_alerts"
    )
    minutes = schedule["mark-missed-doses"]["schedule"].minute
    assert minutes == set(range(0, 60, 15))
    assert schedule["open-missed-streak-alerts"]["schedule"].minute == set(range(5, 60, 15))

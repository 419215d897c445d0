"""The chaos run's "open streak alerts whose streak no longer exists" figure counts with the
functions of backend/alerts/streaks.py: an alert whose missed days were later logged (here
written past the service, as the app did before issue 19) is counted; an alert whose streak
stands is not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.accounts.selectors import patient_local_today
from backend.adherence.models import ScheduledDose
from backend.adherence.services.missed_doses import doses_mark_missed
from backend.alerts.models import Alert
from backend.alerts.streaks import alerts_open_for_missed_streaks
from bench.chaos.report import _streak_rule
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def streak_alert(patient, nurse):
    today = patient_local_today(patient)
    TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, start_date=today - timedelta(days=10)
    )
    now = timezone.now()
    assert doses_mark_missed(now) >= 2
    alerts_open_for_missed_streaks(now)
    return Alert.objects.get(patient=patient, kind="missed_dose_streak")


def test_a_standing_streak_is_not_counted(streak_alert) -> None:
    stands, current, _rule = _streak_rule()
    today = patient_local_today(streak_alert.patient)
    assert stands(streak_alert, today)[0] is True
    assert current(streak_alert.patient, today) >= 2


def test_an_alert_whose_missed_days_were_logged_is_counted(streak_alert) -> None:
    ScheduledDose.objects.filter(patient=streak_alert.patient, state="missed").update(
        state="taken", taken_at=timezone.now()
    )
    stands, current, _rule = _streak_rule()
    today = patient_local_today(streak_alert.patient)
    assert stands(streak_alert, today) == (False, 0)
    assert current(streak_alert.patient, today) == 0

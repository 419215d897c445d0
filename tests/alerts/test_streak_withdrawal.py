"""Issue 19: a streak alert is recomputed when the doses the sweep had marked missed are logged
later (by the phone, within the backfill window, or corrected): shortened while a streak still
reaches the team's threshold; with none left, resolved by the system ("doses logged later",
kept in the history and shown to the nurse), or, once a nurse acknowledged it, kept open with
a note. Driven through the real pieces: the missed-dose sweep, the streak sweep and the
phone's dose API."""

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.adherence.models import DoseStatus, ScheduledDose
from backend.adherence.services.missed_doses import doses_mark_missed
from backend.alerts.models import Alert, AlertStatus
from backend.alerts.services import alert_acknowledge, alert_resolve
from backend.alerts.streaks import alerts_open_for_missed_streaks, missed_streak_runs
from backend.audit.models import AuditEvent
from backend.notifications.models import OutboxMessage
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
START = date(2026, 5, 3)  # every day of the plan is within the 7-day backfill window
# Noon in Madrid on 10 May: 3-9 May are past their grace hours, so the sweep has marked them.
NOW = datetime.combine(date(2026, 5, 10), time(12), tzinfo=MADRID)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone(patient):
    return client_for(patient.user)


@pytest.fixture
def plan(clock, nurse, patient):
    return str(TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=START).pk)


def log(phone, day: date, status: str = "taken"):
    body = {"client_id": str(uuid4()), "date": day.isoformat(), "slot": 1, "status": status}
    if status == "taken":
        body["taken_at"] = datetime.combine(day, time(8, 5), tzinfo=MADRID).isoformat()
    if status == "skipped":
        body["skip_reason"] = "forgot"
    response = phone.post("/api/v1/me/doses/", body, format="json")
    assert response.status_code in (200, 201), response.json()
    return response


def may(day: int) -> date:
    return date(2026, 5, day)


def streak_alert_after_missing(phone, days_taken: list[int]) -> Alert:
    """The patient logs these days of 3-9 May; the sweep marks the rest missed and the streak
    sweep raises the alert."""
    for day in days_taken:
        log(phone, may(day))
    doses_mark_missed(datetime.now(UTC))
    [alert] = alerts_open_for_missed_streaks(datetime.now(UTC))
    return alert


def test_runs_of_missed_days() -> None:
    days = {
        may(1): {"missed"},
        may(2): {"taken"},
        may(3): {"missed"},
        may(5): {"missed"},  # 4 May has no log: neither breaks nor extends
        may(6): {"missed", "taken"},
        may(7): {"taken"},
    }
    assert missed_streak_runs(days) == [(1, may(1)), (3, may(3))]
    assert missed_streak_runs({}) == []


def test_doses_logged_later_withdraw_the_alert(plan, phone, patient):
    alert = streak_alert_after_missing(phone, [3, 4, 5, 6])
    assert alert.details == {"streak_days": 3, "streak_started": "2026-05-07"}
    for day in (7, 8, 9):
        log(phone, may(day))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_outcome == "doses_logged_later"
    assert alert.resolved_by is None
    assert "logged later" in alert.resolution_note
    assert "was 3 days from 2026-05-07" in alert.resolution_note
    assert AuditEvent.objects.filter(action="alert.withdrawn", patient=patient).count() == 1
    # Kept, never deleted; the streak sweep does not raise it again.
    assert alerts_open_for_missed_streaks(datetime.now(UTC)) == []
    assert Alert.objects.filter(pk=alert.pk).exists()
    assert not Alert.objects.exclude(status="resolved").exists()


def test_a_dose_logged_later_shortens_the_streak(plan, phone):
    alert = streak_alert_after_missing(phone, [3, 4])
    assert alert.details["streak_days"] == 5  # 5-9 May
    log(phone, may(9))  # the newest missed day, logged late
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert (alert.details["streak_days"], alert.details["streak_started"]) == (4, "2026-05-05")
    assert alert.summary == "missed 4 days in a row"
    log(phone, may(6))  # splits what is left: 5 May alone, 7-8 May
    alert.refresh_from_db()
    assert (alert.details["streak_days"], alert.details["streak_started"]) == (2, "2026-05-07")
    assert alert.status == AlertStatus.OPEN
    log(phone, may(8))  # 5 and 7 May alone: below the team's threshold of 2
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_outcome == "doses_logged_later"


def test_a_skipped_dose_logged_later_also_breaks_the_streak(plan, phone):
    alert = streak_alert_after_missing(phone, [3, 4, 5, 6, 7])
    log(phone, may(8), "skipped")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_an_acknowledged_alert_stays_open_with_a_note(plan, phone, nurse):
    alert = streak_alert_after_missing(phone, [3, 4, 5, 6, 7])
    alert_acknowledge(alert=alert, user=nurse)
    outbox_before = OutboxMessage.objects.count()
    log(phone, may(8))
    log(phone, may(9))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.details["doses_logged_later"] is True
    assert alert.details["streak_days"] == 0
    assert "logged later" in alert.details["withdrawn_note"]
    assert "no missed streak remains" in alert.summary
    # The nurse who is on it hears (one push per nurse, once).
    assert OutboxMessage.objects.count() > outbox_before
    # The nurse closes it as usual; the system's outcome is not one they can choose.
    with pytest.raises(Exception, match="outcome"):
        alert_resolve(alert=alert, user=nurse, outcome="doses_logged_later", note="x")
    alert_resolve(alert=alert, user=nurse, outcome="contacted_patient", note="Phoned: all well.")


def test_a_correction_of_a_missed_dose_counts_too(plan, phone):
    alert = streak_alert_after_missing(phone, [3, 4, 5, 6, 7])
    missed = ScheduledDose.objects.logged().get(local_date=may(9))
    assert missed.state == DoseStatus.MISSED
    response = phone.patch(
        f"/api/v1/me/doses/{missed.pk}/",
        {"status": "taken", "taken_at": datetime.combine(may(9), time(9), MADRID).isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_todays_dose_does_not_withdraw_a_real_streak(plan, phone, clock):
    alert = streak_alert_after_missing(phone, [3, 4, 5, 6])
    log(phone, may(10))  # on time today: the 3 missed days stay missed
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert alert.details["streak_days"] == 3


def test_the_nurse_sees_the_outcome_on_the_patient_page(plan, phone, nurse, patient):
    from django.test import Client

    streak_alert_after_missing(phone, [3, 4, 5, 6, 7])
    log(phone, may(8))
    log(phone, may(9))
    browser = Client()
    browser.force_login(nurse)
    page = browser.get(f"/dashboard/patients/{patient.pk}/").content.decode()
    assert "Doses logged later" in page
    assert "no missed-dose streak remains" in page
    # Not offered in the resolve form.
    assert 'value="doses_logged_later"' not in page


def test_the_sweep_does_not_undo_a_withdrawal_it_read_before(plan, phone):
    """The streak sweep reads a batch of doses, then raises: it reads again under the patient's
    lock first, so a dose logged in between is not overwritten by the older view."""
    from backend.alerts import streaks

    streak_alert_after_missing(phone, [3, 4, 5, 6, 7])
    real = streaks._raise_if_still_missed

    def log_first(*args, **kwargs):
        log(phone, may(8))
        log(phone, may(9))
        return real(*args, **kwargs)

    # A new streak started on 8 May as the sweep saw it (the alert of 8-9 May was resolved by
    # hand first, so the sweep would raise again).
    Alert.objects.update(status="resolved")
    streaks._raise_if_still_missed = log_first
    try:
        raised = alerts_open_for_missed_streaks(datetime.now(UTC) + timedelta(minutes=1))
    finally:
        streaks._raise_if_still_missed = real
    assert raised == []
    assert not Alert.objects.exclude(status="resolved").exists()

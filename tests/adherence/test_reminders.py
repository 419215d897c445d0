"""Dose reminders: at the local dose time in every zone (DST included), follow-ups while not
logged, never for logged, held, ended or not-yet-started doses, and never twice."""

from datetime import datetime, timedelta

import pytest
import time_machine

from backend.adherence.services.ledger import ledger_extend
from backend.adherence.services.reminders import dose_reminders_enqueue
from backend.notifications.models import OutboxMessage
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db


# When the nurse makes each test's plan.
PLANNED_AT = "2026-02-20 12:00:00+00:00"


def run_every_minute(first: str, last: str) -> None:
    """Run the selection each minute, as beat does (with the dose ledger's horizon moved on
    first, as its daily job does)."""
    instant = datetime.fromisoformat(first)
    end = datetime.fromisoformat(last)
    ledger_extend(instant)
    while instant <= end:
        with time_machine.travel(instant, tick=False):
            dose_reminders_enqueue(instant)
        instant += timedelta(minutes=1)


def reminders(patient):
    return sorted(
        (m.payload["date"], m.payload["attempt"], m.created_at.isoformat())
        for m in OutboxMessage.objects.filter(kind="dose_reminder", recipient=patient.user)
    )


@pytest.mark.parametrize(
    ("zone", "local_8am_before", "local_8am_after"),
    [
        # Berlin moves to CEST on 2026-03-29; New York to EDT on 2026-03-08;
        # Auckland leaves NZDT on 2026-04-05.
        ("Europe/Berlin", "2026-03-28T07:00:00+00:00", "2026-03-29T06:00:00+00:00"),
        ("America/New_York", "2026-03-07T13:00:00+00:00", "2026-03-08T12:00:00+00:00"),
        ("Pacific/Auckland", "2026-04-03T19:00:00+00:00", "2026-04-04T20:00:00+00:00"),
    ],
)
def test_reminder_at_local_8am_on_both_sides_of_a_dst_change(
    nurse, care_team, zone, local_8am_before, local_8am_after
):
    patient = activated_patient(care_team=care_team, time_zone=zone)
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            start_date="2026-03-01",
            override={"doses_per_day": 1, "reason": "once daily for the test"},
        )
    for instant in (local_8am_before, local_8am_after):
        at = datetime.fromisoformat(instant)
        run_every_minute(
            (at - timedelta(minutes=2)).isoformat(), (at + timedelta(minutes=2)).isoformat()
        )
    sent = [(d, a, created) for d, a, created in reminders(patient) if a == 0]
    assert [created for _, _, created in sent] == [local_8am_before, local_8am_after]


def test_follow_ups_until_logged_and_never_twice(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    # Madrid, 08:00 = 07:00 UTC in March
    run_every_minute("2026-03-02T06:58:00+00:00", "2026-03-02T08:01:00+00:00")
    assert [(d, a) for d, a, _ in reminders(patient)] == [("2026-03-02", 0), ("2026-03-02", 1)]
    with time_machine.travel("2026-03-02T08:30:00+00:00", tick=False):
        logged = client_for(patient.user).post(
            "/api/v1/me/doses/",
            {
                "client_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
                "date": "2026-03-02",
                "slot": 1,
                "status": "taken",
                "taken_at": "2026-03-02T09:25:00+01:00",
            },
            format="json",
        )
        assert logged.status_code == 201
    run_every_minute("2026-03-02T08:30:00+00:00", "2026-03-02T09:10:00+00:00")
    assert len(reminders(patient)) == 2  # the second follow-up (09:00 UTC) is not sent
    # Running the same minute again sends nothing new.
    with time_machine.travel("2026-03-02T08:00:00+00:00", tick=False):
        dose_reminders_enqueue(datetime.fromisoformat("2026-03-02T08:00:00+00:00"))
    assert len(reminders(patient)) == 2


def test_no_reminder_before_the_plan_starts_or_on_held_days(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-05")
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        client_for(nurse).post(
            f"/api/v1/patients/{patient.pk}/plan/holds/",
            {"start_date": "2026-03-06", "end_date": "2026-03-06", "reason": "rash"},
        )
    run_every_minute("2026-03-04T06:58:00+00:00", "2026-03-04T07:02:00+00:00")  # before start
    run_every_minute("2026-03-06T06:58:00+00:00", "2026-03-06T07:02:00+00:00")  # held day
    assert reminders(patient) == []
    run_every_minute("2026-03-07T06:58:00+00:00", "2026-03-07T07:02:00+00:00")
    assert [(d, a) for d, a, _ in reminders(patient)] == [("2026-03-07", 0)]


def test_no_reminder_after_the_end_date(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            start_date="2026-02-01",
            override={"duration_months": 1, "reason": "short course"},
        )  # ends 2026-03-01
    run_every_minute("2026-03-01T06:58:00+00:00", "2026-03-01T07:02:00+00:00")
    run_every_minute("2026-03-02T06:58:00+00:00", "2026-03-02T07:02:00+00:00")
    assert [(d, a) for d, a, _ in reminders(patient)] == [("2026-03-01", 0)]


def test_a_stopped_plan_gets_no_more_reminders(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    with time_machine.travel("2026-03-02 12:00:00+00:00", tick=False):
        client_for(nurse).post(f"/api/v1/patients/{patient.pk}/plan/stop/", {"reason": "x"})
    run_every_minute("2026-03-03T06:58:00+00:00", "2026-03-03T07:02:00+00:00")
    assert reminders(patient) == []


def test_a_worker_down_for_hours_does_not_send_stale_reminders(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    with time_machine.travel("2026-03-02T06:00:00+00:00", tick=False):
        dose_reminders_enqueue(datetime.fromisoformat("2026-03-02T06:00:00+00:00"))
    # Back at 11:00 UTC: 08:00 local (07:00 UTC) and its follow-ups are too late to be useful.
    with time_machine.travel("2026-03-02T11:00:00+00:00", tick=False):
        dose_reminders_enqueue(datetime.fromisoformat("2026-03-02T11:00:00+00:00"))
    assert reminders(patient) == []


@pytest.mark.parametrize(
    ("back_at", "sent"),
    [
        # The second follow-up (09:00 UTC) 29 minutes late: sent; the dose time and the first
        # follow-up are more than REMINDER_MAX_DELAY_MINUTES (30) late: dropped.
        ("2026-03-02T09:29:00+00:00", [("2026-03-02", 2)]),
        ("2026-03-02T09:30:00+00:00", [("2026-03-02", 2)]),
        # 31 minutes late: nothing left to send, and the claim no longer looks at the dose
        # (due more than the last follow-up plus the max delay ago).
        ("2026-03-02T09:31:00+00:00", []),
    ],
)
def test_the_claims_window_ends_where_the_last_reminder_is_too_late(nurse, patient, back_at, sent):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    # Madrid, 08:00 = 07:00 UTC in March
    with time_machine.travel("2026-03-02T06:00:00+00:00", tick=False):
        dose_reminders_enqueue(datetime.fromisoformat("2026-03-02T06:00:00+00:00"))
    with time_machine.travel(back_at, tick=False):
        dose_reminders_enqueue(datetime.fromisoformat(back_at))
    assert [(day, attempt) for day, attempt, _ in reminders(patient)] == sent

"""Reminders the patient controls (issue 22): an offset before the dose time, follow-ups on or
off and their interval, quiet hours in the patient's own zone (across midnight too), snooze;
all on the dose ledger (next_reminder_at), a change of settings rewriting the pending rows in
one statement, and nothing ever sent twice. The Python rules (make run's SQLite claim) and
PostgreSQL's statements are run against each other."""

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from backend.adherence.models import ScheduledDose
from backend.adherence.reminder_rules import first_reminder
from backend.adherence.services.ledger import ledger_extend
from backend.adherence.services.reminders import (
    _claim_portable,
    _claim_postgresql,
    _reschedule_portable,
    dose_reminders_enqueue,
    reminders_reschedule,
)
from backend.notifications.models import OutboxMessage
from backend.notifications.selectors import ReminderPreference
from backend.notifications.services import notification_preference_update
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

PLANNED_AT = "2026-02-20 12:00:00+00:00"
DAY = "2026-03-02"  # Madrid is UTC+1: the 08:00 dose is due at 07:00 UTC


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def run_every_minute(first: str, last: str) -> None:
    instant, end = utc(first), utc(last)
    ledger_extend(instant)
    while instant <= end:
        with time_machine.travel(instant, tick=False):
            dose_reminders_enqueue(instant)
        instant += timedelta(minutes=1)


def sent(patient) -> list[tuple[str, int, str]]:
    """(date, attempt, when queued as HH:MM UTC) of the patient's reminders."""
    return sorted(
        (m.payload["date"], m.payload["attempt"], f"{m.created_at.astimezone(UTC):%H:%M}")
        for m in OutboxMessage.objects.filter(kind="dose_reminder", recipient=patient.user)
    )


def settings_of(patient, **values) -> None:
    response = client_for(patient.user).patch(
        "/api/v1/me/notification-preferences/", values, format="json"
    )
    assert response.status_code == 200, response.json()


def planned(nurse, patient, **kwargs):
    with time_machine.travel(PLANNED_AT, tick=False):
        return TreatmentPlanFactory.create(
            patient=patient, created_by=nurse, start_date="2026-03-01", **kwargs
        )


def row_of(patient, day: str = DAY, slot: int = 1) -> ScheduledDose:
    return ScheduledDose.objects.get(patient=patient, local_date=day, slot=slot)


# ---------------------------------------------------------------- the settings API


def test_settings_are_stored_and_shown_with_defaults(patient):
    client = client_for(patient.user)
    got = client.get("/api/v1/me/notification-preferences/").json()
    assert got["reminder_offset_minutes"] == 0
    assert got["follow_up_enabled"] is True
    assert got["follow_up_minutes"] == 60  # REMINDER_FOLLOW_UP_MINUTES
    assert (got["quiet_start"], got["quiet_end"]) == (None, None)
    assert got["limits"] == {
        "max_offset_minutes": 120,
        "min_follow_up_minutes": 5,
        "max_follow_up_minutes": 60,
    }
    settings_of(
        patient,
        reminder_offset_minutes=15,
        follow_up_enabled=False,
        follow_up_minutes=20,
        quiet_start="22:30",
        quiet_end="07:00",
    )
    got = client.get("/api/v1/me/notification-preferences/").json()
    assert (got["reminder_offset_minutes"], got["follow_up_enabled"], got["follow_up_minutes"]) == (
        15,
        False,
        20,
    )
    assert (got["quiet_start"], got["quiet_end"]) == ("22:30", "07:00")
    # Quiet hours off again.
    settings_of(patient, quiet_start=None, quiet_end=None)
    got = client.get("/api/v1/me/notification-preferences/").json()
    assert (got["quiet_start"], got["quiet_end"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reminder_offset_minutes": -5}, "reminder_offset_minutes"),
        ({"reminder_offset_minutes": 121}, "reminder_offset_minutes"),
        ({"reminder_offset_minutes": "soon"}, "reminder_offset_minutes"),
        ({"follow_up_minutes": 4}, "follow_up_minutes"),
        ({"follow_up_minutes": 61}, "follow_up_minutes"),
        ({"follow_up_enabled": "perhaps"}, "follow_up_enabled"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00"}, "quiet_end"),  # a start without an end
        ({"quiet_end": "07:00"}, "quiet_start"),
    ],
)
def test_bad_settings_are_a_400_naming_the_field(patient, body, field):
    response = client_for(patient.user).patch(
        "/api/v1/me/notification-preferences/", body, format="json"
    )
    assert response.status_code == 400
    assert field in str(response.json())
    got = client_for(patient.user).get("/api/v1/me/notification-preferences/").json()
    assert got["reminder_offset_minutes"] == 0 and got["quiet_start"] is None


# ---------------------------------------------------------------- the job, with the settings


def test_an_offset_sets_the_first_reminder_and_the_job_sends_it_then(nurse, patient):
    settings_of(patient, reminder_offset_minutes=15)
    planned(nurse, patient)
    assert row_of(patient).next_reminder_at == utc(f"{DAY}T06:45:00+00:00")
    run_every_minute(f"{DAY}T06:40:00+00:00", f"{DAY}T08:50:00+00:00")
    # 15 minutes before 08:00 local, then the follow-ups an hour apart.
    assert sent(patient) == [(DAY, 0, "06:45"), (DAY, 1, "07:45"), (DAY, 2, "08:45")]


def test_no_follow_ups_when_they_are_off(nurse, patient):
    settings_of(patient, follow_up_enabled=False)
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:58:00+00:00", f"{DAY}T09:10:00+00:00")
    assert sent(patient) == [(DAY, 0, "07:00")]
    assert row_of(patient).next_reminder_at is None


def test_the_follow_up_interval_is_the_patients(nurse, patient):
    settings_of(patient, follow_up_minutes=20)
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:58:00+00:00", f"{DAY}T09:10:00+00:00")
    assert sent(patient) == [(DAY, 0, "07:00"), (DAY, 1, "07:20"), (DAY, 2, "07:40")]


@pytest.mark.parametrize(
    ("zone", "quiet", "expected"),
    [
        # Across midnight, in Madrid: the 08:00 dose waits until 08:30 local (07:30 UTC);
        # its follow-ups count from there.
        ("Europe/Madrid", ("22:00", "08:30"), [(0, "07:30"), (1, "08:30")]),
        # The same hours in New York (UTC-5): the 08:00 dose is due at 13:00 UTC and waits
        # for 08:30 New York time, never Madrid's or UTC's.
        ("America/New_York", ("22:00", "08:30"), [(0, "13:30"), (1, "14:30")]),
        # Within a day: 07:00-09:00 local, the dose reminded at 09:00 local, its follow-up
        # at 10:00 local (08:00 + 2 h: the last moment it can be reminded).
        ("Europe/Madrid", ("07:00", "09:00"), [(0, "08:00"), (1, "09:00")]),
        # Quiet until 10:30: past the dose's reminder window (08:00 + 2 h): no reminder.
        ("Europe/Madrid", ("06:00", "10:30"), []),
        # A follow-up falling in quiet hours waits too: 08:00 sent, 09:00 waits until 09:45.
        ("Europe/Madrid", ("08:30", "09:45"), [(0, "07:00"), (1, "08:45")]),
    ],
)
def test_quiet_hours_in_the_patients_zone(nurse, care_team, zone, quiet, expected):
    patient = activated_patient(care_team=care_team, time_zone=zone)
    settings_of(patient, quiet_start=quiet[0], quiet_end=quiet[1])
    planned(nurse, patient)
    due = datetime.combine(date.fromisoformat(DAY), time(8), tzinfo=ZoneInfo(zone))
    run_every_minute(
        (due - timedelta(minutes=5)).isoformat(), (due + timedelta(hours=2, minutes=35)).isoformat()
    )
    assert [(a, when) for _, a, when in sent(patient)] == expected


def test_a_reminder_before_midnight_waits_for_the_next_morning_only_within_the_window(
    nurse, patient
):
    """An evening dose (22:00) and quiet hours from 21:30 to 06:00: the wait would be past the
    dose's reminder window (00:00), so it is not reminded; with quiet hours from 22:30 it is
    reminded at 22:00 and its follow-ups (23:00, 00:00 next day local) wait for 06:00: none."""
    planned(nurse, patient, dose_times=["22:00"])
    with time_machine.travel(PLANNED_AT, tick=False):
        settings_of(patient, quiet_start="21:30", quiet_end="06:00")
    assert row_of(patient).next_reminder_at is None
    with time_machine.travel(PLANNED_AT, tick=False):
        settings_of(patient, quiet_start="22:30", quiet_end="06:00")
    assert row_of(patient).next_reminder_at == utc(f"{DAY}T21:00:00+00:00")
    run_every_minute(f"{DAY}T20:58:00+00:00", f"{DAY}T23:40:00+00:00")
    assert sent(patient) == [(DAY, 0, "21:00")]


# ---------------------------------------------------------------- a change of settings


def test_a_change_of_settings_rewrites_the_pending_rows_in_one_statement(nurse, patient):
    planned(nurse, patient)
    now = utc(f"{DAY}T07:30:00+00:00")  # today's 08:00 dose reminded at 07:00
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:30:00+00:00")
    today_before = row_of(patient)
    assert (today_before.follow_ups_sent, today_before.next_reminder_at) == (
        1,
        utc(f"{DAY}T08:00:00+00:00"),
    )
    with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as queries:
        settings_of(patient, reminder_offset_minutes=30, quiet_start="07:15", quiet_end="07:45")
    ledger_updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "WITH"))
        and ScheduledDose._meta.db_table in q["sql"]
    ]
    if connection.vendor == "postgresql":
        assert len(ledger_updates) == 1  # one statement, not a row at a time
    # Today's dose was reminded already: it keeps its follow-ups.
    today_after = row_of(patient)
    assert (today_after.follow_ups_sent, today_after.next_reminder_at) == (
        1,
        utc(f"{DAY}T08:00:00+00:00"),
    )
    # Tomorrow on: 07:30 local is in quiet hours (07:15-07:45 Madrid): 07:45 local = 06:45 UTC.
    later = ScheduledDose.objects.filter(patient=patient, local_date__gt=DAY).order_by("local_date")
    assert later.count() > 5
    for row in later:
        assert row.follow_ups_sent == 0
        assert row.next_reminder_at == row.due_at - timedelta(minutes=15)


def test_rewrite_matches_the_python_rules(nurse, care_team):
    """PostgreSQL's one statement and the Python rules (make run) agree, for a spread of
    settings, zones and moments, the dose's own reminder time passed or not."""
    if connection.vendor != "postgresql":
        pytest.skip("compares PostgreSQL's statement with the Python rules")
    preferences = [
        ReminderPreference(),
        ReminderPreference(offset_minutes=45, follow_up_minutes=10),
        ReminderPreference(follow_up_enabled=False, offset_minutes=120),
        ReminderPreference(quiet_start=time(22), quiet_end=time(8, 30)),
        ReminderPreference(quiet_start=time(7, 50), quiet_end=time(8, 20), offset_minutes=5),
        ReminderPreference(quiet_start=time(19), quiet_end=time(23, 59)),
    ]
    for zone in ("Europe/Madrid", "America/New_York", "Pacific/Auckland"):
        patient = activated_patient(care_team=care_team, time_zone=zone)
        planned(
            nurse,
            patient,
            dose_times=["08:00", "20:00"],
            override={"doses_per_day": 2, "reason": "twice daily for the test"},
        )
        for preference in preferences:
            for hour in (0, 6, 7, 11, 19, 23):
                now = utc(f"2026-03-0{3 + hour % 3}T{hour:02d}:20:00+00:00")
                with transaction.atomic():
                    reminders_reschedule(patient_id=patient.pk, preference=preference, now=now)
                    by_sql = _state(patient)
                    transaction.set_rollback(True)
                with transaction.atomic():
                    _reschedule_portable(patient.pk, preference, now)
                    by_python = _state(patient)
                    transaction.set_rollback(True)
                assert by_sql == by_python, (zone, preference, now)
                rows = ScheduledDose.objects.filter(patient=patient, due_at__gt=now)
                for row in rows[:3]:
                    expected = first_reminder(row.due_at, now, row.time_zone, preference)
                    assert by_python[(row.local_date, row.slot)] == expected


def _state(patient):
    return {
        (row.local_date, row.slot): (row.next_reminder_at, row.follow_ups_sent)
        for row in ScheduledDose.objects.filter(patient=patient)
    }


def test_the_claim_matches_the_python_rules(nurse, care_team):
    """The claim's statement and make run's Python claim take the same rows and send the same
    attempt, moving each row on to the same next reminder."""
    if connection.vendor != "postgresql":
        pytest.skip("compares PostgreSQL's statement with the Python rules")
    values = [
        {},
        {"follow_up_minutes": 15},
        {"follow_up_enabled": False},
        {"quiet_start": "08:10", "quiet_end": "08:40", "follow_up_minutes": 10},
        {"quiet_start": "23:00", "quiet_end": "08:05"},
    ]
    patients = []
    for n, value in enumerate(values):
        patient = activated_patient(care_team=care_team, time_zone="Europe/Madrid")
        if value:
            settings_of(patient, **value)
        planned(nurse, patient)
        patients.append((n, patient))
    for minutes in (0, 7, 16, 40, 61, 95):
        now = utc(f"{DAY}T07:00:00+00:00") + timedelta(minutes=minutes)
        results = {}
        for name, claim in (("sql", _claim_postgresql), ("python", _claim_portable)):
            with transaction.atomic():
                ScheduledDose.objects.filter(local_date=DAY).update(
                    next_reminder_at=utc(f"{DAY}T07:00:00+00:00"), follow_ups_sent=0
                )
                if name == "sql":
                    claimed = claim(now, 100, None, timedelta(0))
                else:
                    claimed = claim(now, 100, timedelta(0))
                rows = {
                    row.patient_id: (row.next_reminder_at, row.follow_ups_sent)
                    for row in ScheduledDose.objects.filter(local_date=DAY)
                }
                results[name] = (
                    sorted((str(d.patient_id), d.attempt, d.reminder_at) for d in claimed),
                    rows,
                )
                transaction.set_rollback(True)
        assert results["sql"] == results["python"], minutes


# ---------------------------------------------------------------- snooze


def snooze(patient, minutes=30, day=DAY, slot=1):
    return client_for(patient.user).post(
        f"/api/v1/me/doses/{day}/{slot}/snooze/", {"minutes": minutes}, format="json"
    )


def test_snooze_sets_the_next_reminder_and_brings_a_reminder_of_its_own(nurse, patient):
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:05:00+00:00")
    assert sent(patient) == [(DAY, 0, "07:00")]
    with time_machine.travel(f"{DAY}T07:05:00+00:00", tick=False):
        first = snooze(patient)
        again = snooze(patient)  # the same answer: one next reminder, never two
    assert first.status_code == again.status_code == 200
    assert (
        first.json()
        == again.json()
        == {
            "date": DAY,
            "slot": 1,
            "next_reminder_at": "2026-03-02T07:35:00Z",
        }
    )
    assert row_of(patient).next_reminder_at == utc(f"{DAY}T07:35:00+00:00")
    run_every_minute(f"{DAY}T07:06:00+00:00", f"{DAY}T08:40:00+00:00")
    # The snooze's reminder is a message of its own (attempt 1); the follow-up counts from it.
    assert sent(patient) == [(DAY, 0, "07:00"), (DAY, 1, "07:35"), (DAY, 2, "08:35")]
    keys = list(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == 3
    # Running the same minutes again sends nothing new.
    with time_machine.travel(f"{DAY}T07:35:00+00:00", tick=False):
        dose_reminders_enqueue(utc(f"{DAY}T07:35:00+00:00"))
    assert len(sent(patient)) == 3


def test_a_snooze_after_the_last_follow_up_is_still_sent_once(nurse, patient):
    settings_of(patient, follow_up_enabled=False)
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:10:00+00:00")
    with time_machine.travel(f"{DAY}T07:10:00+00:00", tick=False):
        assert snooze(patient, 30).status_code == 200
    run_every_minute(f"{DAY}T07:11:00+00:00", f"{DAY}T08:50:00+00:00")
    assert sent(patient) == [(DAY, 0, "07:00"), (DAY, 1, "07:40")]


def test_snooze_refusals(nurse, patient, foreign_patient):
    planned(nurse, patient)
    with time_machine.travel(f"{DAY}T07:05:00+00:00", tick=False):
        assert snooze(patient, 0).status_code == 400
        assert "minutes" in str(snooze(patient, 0).json())
        assert snooze(patient, 500).status_code == 400
        assert snooze(patient, day="2026-13-01").status_code == 404
        assert snooze(patient, slot=7).status_code == 404
        # Another patient's dose is simply not theirs.
        assert snooze(foreign_patient).status_code == 404
        logged = client_for(patient.user).post(
            "/api/v1/me/doses/",
            {
                "client_id": str(uuid4()),
                "date": DAY,
                "slot": 1,
                "status": "taken",
                "taken_at": "2026-03-02T08:04:00+01:00",
            },
            format="json",
        )
        assert logged.status_code == 201
        refused = snooze(patient)
        assert refused.status_code == 409
        assert "already logged" in refused.json()["detail"]
    # Too late: past the dose's reminder window (due 07:00 UTC + 2 h).
    with time_machine.travel("2026-03-03T08:40:00+00:00", tick=False):
        late = snooze(patient, 30, day="2026-03-03")
        assert late.status_code == 409
        assert late.json()["errors"][0]["field"] == "minutes"


# ---------------------------------------------------------------- the in-app banner


def test_the_banner_lists_the_jobs_reminders_until_logged_snoozed_or_closed(nurse, patient):
    planned(nurse, patient)
    client = client_for(patient.user)
    with time_machine.travel(f"{DAY}T06:50:00+00:00", tick=False):
        assert client.get("/api/v1/me/reminders/").json() == []
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:02:00+00:00")
    with time_machine.travel(f"{DAY}T07:02:00+00:00", tick=False):
        shown = client.get("/api/v1/me/reminders/").json()
        assert [(r["date"], r["slot"], r["local_time"], r["attempt"]) for r in shown] == [
            (DAY, 1, "08:00", 0)
        ]
        assert snooze(patient).status_code == 200
        assert client.get("/api/v1/me/reminders/").json() == []
    run_every_minute(f"{DAY}T07:30:00+00:00", f"{DAY}T07:33:00+00:00")
    with time_machine.travel(f"{DAY}T07:33:00+00:00", tick=False):
        assert [r["attempt"] for r in client.get("/api/v1/me/reminders/").json()] == [1]
        closed = client.post(f"/api/v1/me/reminders/{DAY}/1/seen/")
        assert closed.status_code == 204
        assert client.get("/api/v1/me/reminders/").json() == []
    run_every_minute(f"{DAY}T08:31:00+00:00", f"{DAY}T08:33:00+00:00")
    with time_machine.travel(f"{DAY}T08:33:00+00:00", tick=False):
        assert [r["attempt"] for r in client.get("/api/v1/me/reminders/").json()] == [2]
        client.post(
            "/api/v1/me/doses/",
            {
                "client_id": str(uuid4()),
                "date": DAY,
                "slot": 1,
                "status": "taken",
                "taken_at": "2026-03-02T09:33:00+01:00",
            },
            format="json",
        )
        assert client.get("/api/v1/me/reminders/").json() == []


def test_preferences_of_a_staff_user_change_no_ledger(nurse):
    notification_preference_update(user=nurse, reminder_offset_minutes=10)
    assert ScheduledDose.objects.count() == 0

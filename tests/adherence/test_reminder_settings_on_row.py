"""The reminder settings the claim reads on the ledger row (issue 20: the claim joins no
settings table): follow-ups on or off, their interval and the quiet hours are copied onto
each row by the writer, rewritten on every pending row by every change of settings and on
the row by a snooze, and filled on existing rows by the migration that added them."""

from datetime import date, time
from uuid import uuid4

import pytest
import time_machine
from django.db import connection

from backend.adherence.models import ScheduledDose
from backend.adherence.reminder_rules import REMINDER_SETTINGS_ON_ROW
from backend.adherence.services.ledger import ledger_rewrite
from backend.notifications.models import NotificationPreference
from tests.factories.clients import client_for

from .test_reminder_preferences import (
    DAY,
    planned,
    row_of,
    run_every_minute,
    sent,
    settings_of,
    snooze,
)

pytestmark = pytest.mark.django_db

DEFAULTS = (True, None, None, None)


def on_row(row: ScheduledDose) -> tuple:
    return tuple(getattr(row, field) for field in REMINDER_SETTINGS_ON_ROW)


def pending_rows(patient):
    return ScheduledDose.objects.filter(patient=patient, state="pending")


def log_taken(patient, day: str = DAY) -> dict:
    response = client_for(patient.user).post(
        "/api/v1/me/doses/",
        {
            "client_id": str(uuid4()),
            "date": day,
            "slot": 1,
            "status": "taken",
            "taken_at": f"{day}T08:04:00+01:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_writer_copies_the_patients_settings_onto_each_row(nurse, patient, foreign_patient):
    settings_of(patient, follow_up_minutes=20, quiet_start="22:00", quiet_end="07:30")
    planned(nurse, patient)
    planned(nurse, foreign_patient)
    rows = list(pending_rows(patient))
    assert len(rows) > 20
    assert {on_row(row) for row in rows} == {(True, 20, time(22), time(7, 30))}
    # A patient without settings of their own: the defaults (the claim's parameters).
    assert {on_row(row) for row in pending_rows(foreign_patient)} == {DEFAULTS}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"follow_up_enabled": False}, (False, None, None, None)),
        ({"follow_up_minutes": 15}, (True, 15, None, None)),
        ({"quiet_start": "23:00", "quiet_end": "06:45"}, (True, None, time(23), time(6, 45))),
        # Only the offset changes: the rows' copied settings stay as they are.
        ({"reminder_offset_minutes": 30}, DEFAULTS),
    ],
)
def test_every_change_of_settings_rewrites_every_pending_row(nurse, patient, values, expected):
    """Every pending row, the doses already reminded and those past but not yet swept
    included; a logged dose keeps what it had (history, never claimed)."""
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:30:00+00:00")  # today's reminded
    with time_machine.travel(f"{DAY}T07:30:00+00:00", tick=False):
        log_taken(patient, "2026-03-01")
        settings_of(patient, **values)
    assert row_of(patient).follow_ups_sent == 1
    assert {on_row(row) for row in pending_rows(patient)} == {expected}
    assert on_row(row_of(patient, "2026-03-01")) == DEFAULTS
    # And back to the defaults, by the next change.
    with time_machine.travel(f"{DAY}T07:31:00+00:00", tick=False):
        settings_of(
            patient,
            follow_up_enabled=True,
            follow_up_minutes=60,
            quiet_start=None,
            quiet_end=None,
            reminder_offset_minutes=0,
        )
    assert {on_row(row) for row in pending_rows(patient)} == {(True, 60, None, None)}


def test_follow_ups_turned_off_after_the_first_reminder_stop_that_doses_follow_ups(nurse, patient):
    """The dose already reminded keeps its next reminder (08:00 UTC), and after it no more:
    as when the claim read the settings through a join."""
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:30:00+00:00")
    with time_machine.travel(f"{DAY}T07:30:00+00:00", tick=False):
        settings_of(patient, follow_up_enabled=False)
    run_every_minute(f"{DAY}T07:31:00+00:00", f"{DAY}T09:10:00+00:00")
    assert sent(patient) == [(DAY, 0, "07:00"), (DAY, 1, "08:00")]
    assert row_of(patient).next_reminder_at is None


def test_a_shorter_interval_chosen_after_the_first_reminder_spaces_that_doses_follow_ups(
    nurse, patient
):
    planned(nurse, patient)
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:30:00+00:00")
    with time_machine.travel(f"{DAY}T07:30:00+00:00", tick=False):
        settings_of(patient, follow_up_minutes=10)
    run_every_minute(f"{DAY}T07:31:00+00:00", f"{DAY}T09:10:00+00:00")
    # The next reminder stays at 08:00; the one after it comes 10 minutes later.
    assert sent(patient) == [(DAY, 0, "07:00"), (DAY, 1, "08:00"), (DAY, 2, "08:10")]


def test_a_snooze_writes_the_current_settings_on_the_row(nurse, patient):
    """An undone dose's row is pending again with the settings of when it was logged (a change
    of settings rewrites pending rows only): the snooze, which gives it a next reminder, writes
    the patient's current settings on it, so no follow-up comes after the snooze's reminder."""
    planned(nurse, patient)
    with time_machine.travel(f"{DAY}T07:05:00+00:00", tick=False):
        log = log_taken(patient)
        settings_of(patient, follow_up_enabled=False, quiet_start="23:00", quiet_end="06:00")
    assert on_row(row_of(patient)) == DEFAULTS
    with time_machine.travel(f"{DAY}T07:10:00+00:00", tick=False):
        undone = client_for(patient.user).patch(
            f"/api/v1/me/doses/{log['id']}/",
            {"change_id": str(uuid4()), "based_on": log["updated_at"], "status": "not_logged"},
            format="json",
        )
        assert undone.status_code == 200, undone.json()
        assert row_of(patient).state == "pending"
        assert on_row(row_of(patient)) == DEFAULTS
        assert snooze(patient, 20).status_code == 200
    assert on_row(row_of(patient)) == (False, None, time(23), time(6))
    run_every_minute(f"{DAY}T07:11:00+00:00", f"{DAY}T09:10:00+00:00")
    assert sent(patient) == [(DAY, 0, "07:30")]


def test_a_plan_change_rewrites_the_rows_with_the_current_settings(nurse, patient):
    plan = planned(nurse, patient)
    # Settings stored without the service (as if the rows had been written before them).
    NotificationPreference.objects.create(
        user=patient.user, follow_up_minutes=25, quiet_start=time(21), quiet_end=time(6)
    )
    with time_machine.travel(f"{DAY}T06:00:00+00:00", tick=False):
        ledger_rewrite(plan, from_day=date.fromisoformat(DAY))
    rows = ScheduledDose.objects.filter(patient=patient, state="pending", local_date__gte=DAY)
    assert rows.count() > 20
    assert {on_row(row) for row in rows} == {(True, 25, time(21), time(6))}
    # The day before was not rewritten.
    assert on_row(row_of(patient, "2026-03-01")) == DEFAULTS


# ------------------------------------------------------------------ the migration

BEFORE = ("adherence", "0012_ledger_time_ordered_ids")
SETTINGS_ON_ROW = ("adherence", "0013_ledger_row_reminder_settings")


def _migrate(target: tuple[str, str]) -> None:
    from django.db.migrations.executor import MigrationExecutor

    MigrationExecutor(connection).migrate([target])


def _migrate_to_latest() -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_pending_rows_of_patients_with_settings(
    nurse, patient, foreign_patient
):
    planned(nurse, patient)
    planned(nurse, foreign_patient)
    with time_machine.travel(f"{DAY}T07:30:00+00:00", tick=False):
        log_taken(patient, "2026-03-01")
    try:
        _migrate(BEFORE)
        # Settings chosen before the rows had the columns (written around the service, which
        # at 0012 rewrote only first reminders).
        NotificationPreference.objects.update_or_create(
            user=patient.user,
            defaults={
                "follow_up_enabled": False,
                "follow_up_minutes": 30,
                "quiet_start": time(22, 15),
                "quiet_end": time(7),
            },
        )
        _migrate(SETTINGS_ON_ROW)
    finally:
        _migrate_to_latest()
    rows = list(pending_rows(patient))
    assert len(rows) > 20
    assert {on_row(row) for row in rows} == {(False, 30, time(22, 15), time(7))}
    # The logged dose, and the patient without settings, have the defaults.
    assert on_row(row_of(patient, "2026-03-01")) == DEFAULTS
    assert {on_row(row) for row in ScheduledDose.objects.filter(patient=foreign_patient)} == {
        DEFAULTS
    }

"""The dose ledger (ScheduledDose, issue 20): rows written from the schedule's rules up
to the horizon and extended daily without duplicates; each change to a plan (revision, hold,
resume, stop, zone change) rewrites only unresolved rows from its effective day (history,
resolved rows and today's already-due dose stay); the data migration makes every existing
dose log its ledger row, with its count check; and two workers never claim the same
reminder."""

import importlib
import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from backend.accounts.services import patient_time_zone_change
from backend.adherence.dose_schedule import grace_ends_at
from backend.adherence.models import PlanHold, ScheduledDose
from backend.adherence.services.ledger import ledger_extend
from backend.adherence.services.missed_doses import doses_mark_missed
from backend.adherence.services.reminders import _claim_portable, due_doses_claim
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

MADRID = "Europe/Madrid"
AUCKLAND = "Pacific/Auckland"
DAY = date(2025, 6, 2)  # a Monday, no daylight-saving change near it
HORIZON = timedelta(days=settings.LEDGER_HORIZON_DAYS)


def local(day: date, wall: str, zone: str = MADRID) -> datetime:
    return datetime.combine(day, time.fromisoformat(wall), tzinfo=ZoneInfo(zone))


def post_dose(patient, day: date, slot: int = 1, **fields):
    body = {"client_id": str(uuid4()), "date": day.isoformat(), "slot": slot, **fields}
    response = client_for(patient.user).post("/api/v1/me/doses/", body, format="json")
    assert response.status_code == 201, response.json()
    return response


def ledger(patient, first: date | None = None, last: date | None = None):
    rows = ScheduledDose.objects.filter(patient=patient).order_by("local_date", "slot")
    if first is not None:
        rows = rows.filter(local_date__gte=first)
    if last is not None:
        rows = rows.filter(local_date__lte=last)
    return list(rows)


def snapshot(row: ScheduledDose) -> tuple:
    return (
        row.pk,
        row.local_date,
        row.slot,
        row.local_time,
        row.time_zone,
        row.due_at,
        row.state,
        row.revision_id,
        row.next_reminder_at,
        row.follow_ups_sent,
        row.updated_at,
    )


@pytest.fixture
def madrid_patient(care_team):
    return activated_patient(care_team=care_team, time_zone=MADRID)


# ------------------------------------------------------------------ writing and the horizon


def test_plan_creation_writes_rows_from_start_to_the_horizon(nurse, madrid_patient):
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        plan = TreatmentPlanFactory.create(
            patient=madrid_patient, created_by=nurse, start_date=DAY - timedelta(days=3)
        )
    rows = ledger(madrid_patient)
    assert [row.local_date for row in rows] == [
        DAY - timedelta(days=3) + timedelta(days=n) for n in range(3 + HORIZON.days + 1)
    ]
    assert plan.__class__.objects.get(pk=plan.pk).ledger_through == DAY + HORIZON
    today = next(row for row in rows if row.local_date == DAY)
    assert today.due_at == local(DAY, "08:00").astimezone(UTC)
    assert today.missed_after == grace_ends_at(
        DAY, MADRID, timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS)
    )
    assert today.next_reminder_at == today.due_at and today.follow_ups_sent == 0
    # Past doses are not reminded (their times have gone), but are swept.
    yesterday = next(row for row in rows if row.local_date == DAY - timedelta(days=1))
    assert yesterday.next_reminder_at is None and yesterday.missed_after is not None


def test_horizon_extension_adds_new_days_once_and_is_idempotent(nurse, madrid_patient):
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        plan = TreatmentPlanFactory.create(patient=madrid_patient, created_by=nurse, start_date=DAY)
    before = {row.pk: snapshot(row) for row in ledger(madrid_patient)}
    later = local(DAY + timedelta(days=10), "07:00")
    with time_machine.travel(later, tick=False):
        assert ledger_extend(later) == 10
        assert ledger_extend(later) == 0  # nothing twice
    rows = ledger(madrid_patient)
    assert rows[-1].local_date == DAY + timedelta(days=10) + HORIZON
    assert not [key for key, n in Counter((r.local_date, r.slot) for r in rows).items() if n > 1]
    # The rows already there are untouched.
    assert {row.pk: snapshot(row) for row in rows if row.pk in before} == before
    plan.refresh_from_db()
    assert plan.ledger_through == DAY + timedelta(days=10) + HORIZON


def test_ledger_rows_get_time_ordered_ids_so_a_later_day_sorts_after(nurse, madrid_patient):
    """The writer's INSERT makes version 7 ids (backend/common/ids.py): the days the
    extension adds sort after every row written before them, so a day's rows sit together
    in the primary key (the sweep's pages, docs/performance.md)."""
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        TreatmentPlanFactory.create(patient=madrid_patient, created_by=nurse, start_date=DAY)
    first = {row.pk for row in ledger(madrid_patient)}
    later = local(DAY + timedelta(days=3), "07:00")
    with time_machine.travel(later, tick=False):
        assert ledger_extend(later) == 3
    added = [row.pk for row in ledger(madrid_patient) if row.pk not in first]
    assert len(added) == 3
    assert all(pk.version == 7 for pk in [*first, *added])
    assert min(added) > max(first)


def test_extension_after_days_down_fills_the_gap_and_stops_at_the_end_date(nurse, madrid_patient):
    override = {"duration_months": 2, "reason": "Tumour board: two months, then review."}
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        plan = TreatmentPlanFactory.create(
            patient=madrid_patient, created_by=nurse, start_date=DAY, override=override
        )
    later = local(DAY + timedelta(days=50), "07:00")
    ledger_extend(later)
    days = [row.local_date for row in ledger(madrid_patient)]
    assert days == [DAY + timedelta(days=n) for n in range((plan.planned_end_date - DAY).days + 1)]
    assert ledger_extend(later + timedelta(days=1)) == 0


# ------------------------------------------------------------------ changes rewrite the future


@pytest.fixture
def logged_history(nurse, madrid_patient):
    """A plan from DAY - 3 (08:00): DAY - 3 taken, DAY - 2 missed by the sweep, DAY - 1
    unlogged and still in its grace window; now 10:00 on DAY, today's 08:00 dose due and
    unlogged."""
    with time_machine.travel(local(DAY - timedelta(days=3), "07:00"), tick=False):
        plan = TreatmentPlanFactory.create(
            patient=madrid_patient, created_by=nurse, start_date=DAY - timedelta(days=3)
        )
    with time_machine.travel(local(DAY - timedelta(days=3), "09:00"), tick=False):
        post_dose(
            madrid_patient,
            DAY - timedelta(days=3),
            status="taken",
            taken_at=local(DAY - timedelta(days=3), "08:10").isoformat(),
        )
    assert doses_mark_missed(local(DAY - timedelta(days=1), "07:00")) == 1
    return plan


def _unchanged(before: dict, patient, days: list[date]) -> None:
    rows = {(row.local_date, row.slot): snapshot(row) for row in ledger(patient)}
    for key, value in before.items():
        if key[0] in days:
            assert rows[key] == value, key


def test_a_revision_rewrites_only_unresolved_rows_from_its_day(
    nurse, madrid_patient, logged_history
):
    before = {(row.local_date, row.slot): snapshot(row) for row in ledger(madrid_patient)}
    with time_machine.travel(local(DAY, "10:00"), tick=False):
        response = client_for(nurse).post(
            f"/api/v1/patients/{madrid_patient.pk}/plan/revisions/",
            {"dose_mg_per_day": 300, "dose_times": ["09:00"], "reason": "Grade 3 neutropenia."},
            format="json",
        )
        assert response.status_code == 201, response.json()
    # The past is as it was; today's dose, due at 08:00 and not logged, is unresolved: it
    # follows the revision in force today (the schedule's own answer).
    _unchanged(before, madrid_patient, [DAY - timedelta(days=n) for n in range(1, 4)])
    (today,) = ledger(madrid_patient, DAY, DAY)
    assert (today.local_time, today.state, today.revision.number) == (time(9, 0), "pending", 2)
    tomorrow = ledger(madrid_patient, DAY + timedelta(days=1), DAY + timedelta(days=1))[0]
    assert tomorrow.local_time == time(9, 0)
    assert tomorrow.due_at == local(DAY + timedelta(days=1), "09:00").astimezone(UTC)
    assert tomorrow.next_reminder_at == tomorrow.due_at
    assert tomorrow.revision.number == 2
    assert tomorrow.pk == before[(DAY + timedelta(days=1), 1)][0]  # rewritten in place


def test_a_revision_from_today_before_the_dose_moves_todays_dose(nurse, madrid_patient):
    with time_machine.travel(local(DAY, "06:00"), tick=False):
        TreatmentPlanFactory.create(patient=madrid_patient, created_by=nurse, start_date=DAY)
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        response = client_for(nurse).post(
            f"/api/v1/patients/{madrid_patient.pk}/plan/revisions/",
            {"dose_mg_per_day": 800, "dose_times": ["09:00", "21:00"], "reason": "Escalation."},
            format="json",
        )
        assert response.status_code == 201, response.json()
    today = ledger(madrid_patient, DAY, DAY)
    assert [(row.slot, row.local_time, row.state) for row in today] == [
        (1, time(9, 0), "pending"),
        (2, time(21, 0), "pending"),
    ]


def test_a_dose_taken_early_today_is_not_rewritten(nurse, madrid_patient):
    with time_machine.travel(local(DAY, "06:00"), tick=False):
        TreatmentPlanFactory.create(patient=madrid_patient, created_by=nurse, start_date=DAY)
        post_dose(madrid_patient, DAY, status="taken", taken_at=local(DAY, "06:00").isoformat())
    (taken,) = ledger(madrid_patient, DAY, DAY)
    with time_machine.travel(local(DAY, "06:30"), tick=False):
        response = client_for(nurse).post(
            f"/api/v1/patients/{madrid_patient.pk}/plan/revisions/",
            {"dose_mg_per_day": 300, "dose_times": ["09:00"], "reason": "Toxicity."},
            format="json",
        )
        assert response.status_code == 201, response.json()
    (row,) = ledger(madrid_patient, DAY, DAY)
    assert snapshot(row) == snapshot(taken) and row.state == "taken"


def test_a_hold_and_its_end_rewrite_only_the_days_from_their_dates(
    nurse, madrid_patient, logged_history
):
    before = {(row.local_date, row.slot): snapshot(row) for row in ledger(madrid_patient)}
    holds = f"/api/v1/patients/{madrid_patient.pk}/plan/holds/"
    with time_machine.travel(local(DAY, "10:00"), tick=False):
        response = client_for(nurse).post(
            holds, {"start_date": DAY.isoformat(), "reason": "Grade 3 rash"}, format="json"
        )
        assert response.status_code == 201, response.json()
    # The past is as it was. Today's dose, already due but not logged, is on hold: the patient
    # must not take it, and the sweep must not count it missed.
    _unchanged(before, madrid_patient, [DAY - timedelta(days=n) for n in range(1, 4)])
    (today,) = ledger(madrid_patient, DAY, DAY)
    assert (today.state, today.next_reminder_at) == ("on_hold", None)
    future = ledger(madrid_patient, DAY + timedelta(days=1))
    assert {row.state for row in future} == {"on_hold"}
    assert {row.next_reminder_at for row in future} == {None}

    hold_id = PlanHold.objects.get(plan__patient=madrid_patient).pk
    with time_machine.travel(local(DAY + timedelta(days=2), "07:00"), tick=False):
        response = client_for(nurse).post(
            f"{holds}{hold_id}/end/",
            {"end_date": (DAY + timedelta(days=3)).isoformat()},
            format="json",
        )
        assert response.status_code == 200, response.json()
    states = {row.local_date: row.state for row in ledger(madrid_patient, DAY + timedelta(days=1))}
    assert [states[DAY + timedelta(days=n)] for n in (1, 2, 3, 4, 5)] == [
        "on_hold",
        "on_hold",
        "on_hold",
        "pending",
        "pending",
    ]
    resumed = ledger(madrid_patient, DAY + timedelta(days=4), DAY + timedelta(days=4))[0]
    assert resumed.next_reminder_at == resumed.due_at


def test_a_stop_removes_later_rows_and_ends_reminders(nurse, madrid_patient, logged_history):
    before = {(row.local_date, row.slot): snapshot(row) for row in ledger(madrid_patient)}
    with time_machine.travel(local(DAY, "10:00"), tick=False):
        response = client_for(nurse).post(
            f"/api/v1/patients/{madrid_patient.pk}/plan/stop/",
            {"reason": "Progression"},
            format="json",
        )
        assert response.status_code == 200, response.json()
    _unchanged(before, madrid_patient, [DAY - timedelta(days=n) for n in range(1, 4)])
    rows = ledger(madrid_patient)
    assert rows[-1].local_date == DAY  # the stop day is the last dose day
    (today,) = ledger(madrid_patient, DAY, DAY)
    assert (today.state, today.due_at, today.next_reminder_at) == (
        "pending",
        before[(DAY, 1)][5],
        None,
    )


def test_a_zone_change_moves_only_the_days_from_its_effective_day(
    nurse, madrid_patient, logged_history
):
    before = {(row.local_date, row.slot): snapshot(row) for row in ledger(madrid_patient)}
    with time_machine.travel(local(DAY, "10:00"), tick=False):
        change = patient_time_zone_change(
            patient=madrid_patient, time_zone=AUCKLAND, changed_by=nurse
        )
    assert change is not None and change.effective_date == DAY + timedelta(days=1)
    _unchanged(before, madrid_patient, [DAY - timedelta(days=n) for n in range(4)])
    tomorrow = ledger(madrid_patient, DAY + timedelta(days=1), DAY + timedelta(days=1))[0]
    assert tomorrow.time_zone == AUCKLAND
    assert tomorrow.due_at == local(DAY + timedelta(days=1), "08:00", AUCKLAND).astimezone(UTC)
    grace = timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS)
    assert tomorrow.missed_after == grace_ends_at(DAY + timedelta(days=1), AUCKLAND, grace)

    # The sweep follows the new zone's clock: Auckland's day ends 10 hours before Madrid's.
    assert doses_mark_missed(tomorrow.missed_after - timedelta(minutes=1)) == 2  # DAY-1, DAY
    assert doses_mark_missed(tomorrow.missed_after) == 1
    tomorrow.refresh_from_db()
    assert tomorrow.state == "missed"
    assert (
        ScheduledDose.objects.logged().filter(patient=madrid_patient, state="missed").count() == 4
    )


def test_a_new_plan_on_a_stopped_plans_day_takes_its_unresolved_rows(nurse, madrid_patient):
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        TreatmentPlanFactory.create(patient=madrid_patient, created_by=nurse, start_date=DAY)
    with time_machine.travel(local(DAY, "07:30"), tick=False):
        response = client_for(nurse).post(
            f"/api/v1/patients/{madrid_patient.pk}/plan/stop/", {"reason": "x"}, format="json"
        )
        assert response.status_code == 200, response.json()
        plan = TreatmentPlanFactory.create(
            patient=madrid_patient,
            created_by=nurse,
            start_date=DAY,
            case=ADVANCED_KIT_EXON_9_CASE,
            dose_times=("08:00", "20:00"),
        )
    today = ledger(madrid_patient, DAY, DAY)
    assert [(row.slot, row.plan_id, row.state) for row in today] == [
        (1, plan.pk, "pending"),
        (2, plan.pk, "pending"),
    ]
    assert all(row.next_reminder_at == row.due_at for row in today)


# ------------------------------------------------------------------ the data migration

LEDGER_ROW_MIGRATION = ("adherence", "0006_dose_log_is_the_ledger_row")
BEFORE_LEDGER_ROW = ("adherence", "0005_scheduled_dose_backfill")


def _migrate(target: tuple[str, str]):
    """Move the test database's adherence tables to `target` and return the apps there."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def _migrate_to_latest() -> None:
    """Back to every app's newest migration: later tests on this database need all of them
    (e.g. adherence 0009's revision columns), not just the ledger row's."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _logs_before_the_ledger_row(nurse, patient) -> date:
    """A week of logs through the services (two doses a day, then a backdated revision to one
    a day), so one log is for a dose the schedule no longer has. Returns the first day."""
    start = DAY - timedelta(days=4)
    with time_machine.travel(local(start, "07:00"), tick=False):
        TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            start_date=start,
            case=ADVANCED_KIT_EXON_9_CASE,
            dose_times=("08:00", "20:00"),
        )
    with time_machine.travel(local(start, "21:00"), tick=False):
        post_dose(patient, start, 1, status="taken", taken_at=local(start, "08:05").isoformat())
        post_dose(patient, start, 2, status="skipped", skip_reason="side_effects")
    doses_mark_missed(local(start + timedelta(days=2), "07:00"))  # start + 1: two missed
    with time_machine.travel(local(start + timedelta(days=2), "10:00"), tick=False):
        response = client_for(nurse).post(
            f"/api/v1/patients/{patient.pk}/plan/revisions/",
            {
                "dose_mg_per_day": 400,
                "dose_times": ["08:00"],
                "effective_date": start.isoformat(),
                "reason": "Recorded late: 400 mg once daily from the start.",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
    return start


def _as_dose_logs(apps, patient_id, start: date) -> dict:
    """Back at 0005: the logged ledger rows become DoseLog rows with ids of their own (as
    before the ledger row was the log), the ledger keeping only their mirror; the log of
    the dose no longer scheduled loses its row (as written around the services)."""
    historical_log = apps.get_model("adherence", "DoseLog")
    historical_ledger = apps.get_model("adherence", "ScheduledDose")
    logs = {}
    for row in historical_ledger.objects.filter(
        patient_id=patient_id, state__in=["taken", "skipped", "missed"]
    ):
        log = historical_log.objects.create(
            client_id=row.client_id,
            patient_id=row.patient_id,
            plan_id=row.plan_id,
            scheduled_date=row.local_date,
            slot=row.slot,
            status=row.state,
            taken_at=row.taken_at,
            late=row.late,
            skip_reason=row.skip_reason,
            recorded_by_id=row.recorded_by_id,
        )
        logs[log.pk] = (row.local_date, row.slot, row.state, row.client_id)
        historical_ledger.objects.filter(pk=row.pk).update(id=uuid4())
    historical_ledger.objects.filter(patient_id=patient_id, local_date=start, slot=2).delete()
    return logs


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_every_dose_log_its_ledger_row(nurse, madrid_patient):
    start = _logs_before_the_ledger_row(nurse, madrid_patient)
    try:
        apps = _migrate(BEFORE_LEDGER_ROW)
        logs = _as_dose_logs(apps, madrid_patient.pk, start)
        assert len(logs) == 4
        apps = _migrate(LEDGER_ROW_MIGRATION)
    finally:
        _migrate_to_latest()
    rows = {row.pk: row for row in ScheduledDose.objects.logged()}
    # Every log is its row now, under the log's own id (a phone's correction still finds it).
    assert set(rows) == set(logs)
    for log_id, (day, slot, status, client_id) in logs.items():
        row = rows[log_id]
        assert (row.local_date, row.slot, row.state) == (day, slot, status)
        assert row.client_id == client_id
        assert row.logged_at is not None
    # The dose no longer scheduled kept its log, on a row with no dose time (never pending).
    kept = ScheduledDose.objects.get(patient=madrid_patient, local_date=start, slot=2)
    assert (kept.state, kept.local_time, kept.due_at, kept.time_zone) == (
        "skipped",
        None,
        None,
        MADRID,
    )
    # A correction writes its revision against the ledger row.
    with time_machine.travel(local(start + timedelta(days=2), "12:00"), tick=False):
        taken = ScheduledDose.objects.get(patient=madrid_patient, local_date=start, slot=1)
        response = client_for(madrid_patient.user).patch(
            f"/api/v1/me/doses/{taken.pk}/", {"note": "with food"}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert taken.revisions.get().after == {"note": "with food"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_to_lose_a_log(nurse, madrid_patient, monkeypatch):
    start = _logs_before_the_ledger_row(nurse, madrid_patient)
    migration = importlib.import_module(
        "backend.adherence.migrations.0006_dose_log_is_the_ledger_row"
    )
    try:
        apps = _migrate(BEFORE_LEDGER_ROW)
        _as_dose_logs(apps, madrid_patient.pk, start)
        # A carry that forgets the logs without a row.
        monkeypatch.setattr(migration, "_carry_postgresql", lambda *args: None)
        with pytest.raises(migration.LedgerCountMismatch):
            _migrate(LEDGER_ROW_MIGRATION)
    finally:
        monkeypatch.undo()
        _migrate_to_latest()  # the refused run was rolled back: carried now


# ------------------------------------------------------------------ two workers, one reminder


@pytest.mark.postgres
def test_each_batch_of_a_run_starts_where_the_last_stopped(nurse, care_team):
    """The busy minute in small batches: every due dose is claimed once, in (due time, id)
    order, and each batch after the first reads on from the previous batch's last row (its
    SQL bounds the index range by that position) instead of passing again over the rows the
    run has already moved on."""
    zones = [MADRID, "Europe/London", "Atlantic/Canary"]  # one 08:00 and two 07:00 UTC
    patients = [activated_patient(care_team=care_team, time_zone=zones[n % 3]) for n in range(23)]
    with time_machine.travel(local(DAY, "06:00"), tick=False):
        for patient in patients:
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    now = local(DAY, "09:30", "Europe/London").astimezone(UTC)
    batches, after = [], None
    with transaction.atomic():
        while True:
            with CaptureQueriesContext(connection) as captured:
                claimed = due_doses_claim(now, 5, after=after)
            batches.append((claimed, captured.captured_queries[-1]["sql"]))
            if len(claimed) < 5:
                break
            after = max(dose.position for dose in claimed)
    claimed_order = [dose.position for claimed, _ in batches for dose in claimed]
    assert len(claimed_order) == len(set(claimed_order)) == 23
    assert [len(claimed) for claimed, _ in batches] == [5, 5, 5, 5, 3]
    # Batch after batch, every row past the previous batch's last one.
    for (earlier, _), (later, sql) in pairwise(batches):
        assert max(d.position for d in earlier) < min(d.position for d in later)
        assert "(due_at, id) >" in sql
    assert "(due_at, id) >" not in batches[0][1]


def test_the_portable_claim_gives_positions_the_run_can_compare(nurse, care_team):
    """make run's SQLite claim (no keyset there) still hands dose_reminders_enqueue positions
    it can take the largest of, doses due at the same minute included."""
    patients = [activated_patient(care_team=care_team, time_zone=MADRID) for _ in range(3)]
    with time_machine.travel(local(DAY, "06:00"), tick=False):
        for patient in patients:
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    now = local(DAY, "08:00").astimezone(UTC)
    with transaction.atomic():
        claimed = _claim_portable(now, 10)
        transaction.set_rollback(True)
    assert len(claimed) == 3 and len({dose.due_at for dose in claimed}) == 1
    assert max(dose.position for dose in claimed).id == max(str(dose.id) for dose in claimed)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_reminder(nurse, care_team):
    """Two reminder runs claim at the same moment, each from its own connection and holding
    its locks until both have claimed: every due dose is claimed exactly once (SKIP LOCKED
    passes over the other run's rows instead of waiting for them)."""
    patients = [activated_patient(care_team=care_team, time_zone=MADRID) for _ in range(30)]
    with time_machine.travel(local(DAY, "07:00"), tick=False):
        for patient in patients:
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    now = local(DAY, "08:00").astimezone(UTC)
    barrier = threading.Barrier(2, timeout=30)
    claimed: dict[str, list] = {}

    def claim(name: str) -> None:
        try:
            with transaction.atomic():
                barrier.wait()
                claimed[name] = due_doses_claim(now, 20)
                barrier.wait()  # both hold their rows' locks until both have claimed
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [(dose.patient_id, dose.local_date, dose.slot) for dose in claimed["a"] + claimed["b"]]
    assert len(keys) == len(set(keys)) == 30
    assert all(claimed.values())  # neither waited for the other
    # Each claimed row moved on to its first follow-up, in the same statement.
    follow_up = now + timedelta(minutes=settings.REMINDER_FOLLOW_UP_MINUTES)
    rows = ScheduledDose.objects.filter(local_date=DAY)
    assert {(row.follow_ups_sent, row.next_reminder_at) for row in rows} == {(1, follow_up)}

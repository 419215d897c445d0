"""The caregiver alert on a real database: one push per caregiver per dose still not logged
CAREGIVER_ALERT_AFTER_MINUTES after its due time, never twice (outbox dedupe key), never for
a logged dose, a held day, a stopped plan, a removed caregiver or a dose due before the
caregiver was linked; one statement reads the run's doses whatever the number of patients."""

from datetime import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.adherence.services.ledger import ledger_extend
from backend.caregivers.models import CaregiverLink
from backend.caregivers.services import caregiver_alerts_enqueue
from backend.notifications.models import OutboxMessage
from tests.caregivers.helpers import caregiver_of
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

PLANNED_AT = "2026-02-20 12:00:00+00:00"
LINKED_AT = "2026-02-25 12:00:00+00:00"
# Madrid in March is UTC+1: the 08:00 dose of 2 March is due at 07:00 UTC; the alert comes
# 120 minutes (CAREGIVER_ALERT_AFTER_MINUTES) later.
DUE = "2026-03-02T07:00:00+00:00"
ALERT_TIME = "2026-03-02T09:00:30+00:00"


def run(at: str) -> int:
    instant = datetime.fromisoformat(at)
    with time_machine.travel(instant, tick=False):
        ledger_extend(instant)
        return caregiver_alerts_enqueue(instant)


def alerts(user=None):
    rows = OutboxMessage.objects.filter(kind="caregiver_dose_not_logged")
    if user is not None:
        rows = rows.filter(recipient=user)
    return list(rows.order_by("pk"))


@pytest.fixture
def planned(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    with time_machine.travel(LINKED_AT, tick=False):
        caregiver = caregiver_of(patient, patient_name="Mum")
    return patient, caregiver


def test_a_dose_not_logged_alerts_the_caregiver_once(planned):
    patient, caregiver = planned
    assert run("2026-03-02T08:59:00+00:00") == 0  # not yet 120 minutes
    run(ALERT_TIME)
    run(ALERT_TIME)  # a rerun (or a second worker) sends nothing more
    run("2026-03-02T09:05:00+00:00")
    sent = alerts(caregiver)
    assert len(sent) == 1
    link = CaregiverLink.objects.get(user=caregiver)
    assert sent[0].dedupe_key == f"caregiver:{link.pk}:2026-03-02:1"
    assert sent[0].payload == {
        "patient_name": "Mum",
        "local_time": "08:00",
        "date": "2026-03-02",
        "show_medication_name": False,
    }
    # The patient gets their own reminders, never the caregiver's push.
    assert alerts(patient.user) == []


def test_a_dose_logged_before_the_run_sends_nothing(planned):
    patient, caregiver = planned
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
    run(ALERT_TIME)
    assert alerts(caregiver) == []


def test_a_skipped_dose_is_logged_too(planned):
    patient, caregiver = planned
    with time_machine.travel("2026-03-02T08:30:00+00:00", tick=False):
        skipped = client_for(patient.user).post(
            "/api/v1/me/doses/",
            {
                "client_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3302",
                "date": "2026-03-02",
                "slot": 1,
                "status": "skipped",
                "skip_reason": "side_effects",
            },
            format="json",
        )
    assert skipped.status_code == 201, skipped.content
    run(ALERT_TIME)
    assert alerts(caregiver) == []


def test_nothing_after_removal_and_waiting_pushes_are_dropped(planned):
    patient, caregiver = planned
    run(ALERT_TIME)
    assert len(alerts(caregiver)) == 1  # queued, not yet delivered
    link = CaregiverLink.objects.get(user=caregiver)
    with time_machine.travel("2026-03-02T09:01:00+00:00", tick=False):
        removed = client_for(patient.user).delete(f"/api/v1/me/caregivers/{link.pk}/")
    assert removed.status_code == 204
    assert alerts(caregiver) == []
    run("2026-03-02T09:05:00+00:00")
    run("2026-03-03T09:00:30+00:00")  # the next day's dose, not logged either
    assert alerts(caregiver) == []


def test_a_held_day_and_a_stopped_plan_send_nothing(nurse, planned):
    patient, caregiver = planned
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        held = client_for(nurse).post(
            f"/api/v1/patients/{patient.pk}/plan/holds/",
            {"start_date": "2026-03-02", "end_date": "2026-03-02", "reason": "rash"},
        )
    assert held.status_code == 201, held.content
    run(ALERT_TIME)
    assert alerts(caregiver) == []
    run("2026-03-03T09:00:30+00:00")  # the day after the hold: alerted
    assert len(alerts(caregiver)) == 1
    with time_machine.travel("2026-03-03 12:00:00+00:00", tick=False):
        stopped = client_for(nurse).post(
            f"/api/v1/patients/{patient.pk}/plan/stop/", {"reason": "x"}
        )
    assert stopped.status_code in (200, 201), stopped.content
    run("2026-03-04T09:00:30+00:00")
    assert len(alerts(caregiver)) == 1


def test_a_dose_due_before_the_caregiver_was_linked_is_not_theirs(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    with time_machine.travel("2026-03-02T08:00:00+00:00", tick=False):
        caregiver = caregiver_of(patient)
    run(ALERT_TIME)
    assert alerts(caregiver) == []
    run("2026-03-03T09:00:30+00:00")
    assert len(alerts(caregiver)) == 1


def test_the_drug_is_named_only_when_the_patient_allowed_it(nurse, patient):
    with time_machine.travel(PLANNED_AT, tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    with time_machine.travel(LINKED_AT, tick=False):
        named = caregiver_of(patient, username="named", show_medication_name=True)
        private = caregiver_of(patient, username="private")
    run(ALERT_TIME)
    assert [m.payload["show_medication_name"] for m in alerts(named)] == [True]
    assert [m.payload["show_medication_name"] for m in alerts(private)] == [False]


def test_one_statement_reads_the_run_whatever_the_number_of_patients(nurse, care_team):
    patients = [activated_patient(care_team=care_team) for _ in range(4)]
    with time_machine.travel(PLANNED_AT, tick=False):
        for patient in patients:
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-03-01")
    with time_machine.travel(LINKED_AT, tick=False):
        for number, patient in enumerate(patients):
            caregiver_of(patient, username=f"carer-{number}-a")
            caregiver_of(patient, username=f"carer-{number}-b")
    instant = datetime.fromisoformat(ALERT_TIME)
    with time_machine.travel(instant, tick=False):
        ledger_extend(instant)
        with CaptureQueriesContext(connection) as queries:
            offered = caregiver_alerts_enqueue(instant)
    assert offered == 8
    statements = [q["sql"] for q in queries.captured_queries]
    # Besides the advisory lock a removal waits on (PostgreSQL), one read and one insert.
    data = [sql for sql in statements if "pg_advisory" not in sql]
    selects = [sql for sql in data if sql.lstrip().upper().startswith("SELECT")]
    inserts = [sql for sql in data if sql.lstrip().upper().startswith("INSERT")]
    assert len(selects) == 1 and len(inserts) == 1, statements
    assert len(alerts()) == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_removal_during_a_run_waits_for_it_and_drops_what_it_queued(planned, monkeypatch):
    """The run has read the caregiver (not yet removed) and is about to queue the push when
    the patient removes them: the removal waits for the run to commit (the advisory lock),
    then drops the queued push. Without the lock the push would be queued after the removal
    and sent."""
    import threading

    from django.db import connection

    from backend.caregivers import services

    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite has one writer at a time")
    patient, caregiver = planned
    read_done, go_on = threading.Event(), threading.Event()
    real_enqueue = services.outbox_enqueue_many

    def slow_enqueue(items):
        read_done.set()
        go_on.wait(30)
        return real_enqueue(items)

    monkeypatch.setattr(services, "outbox_enqueue_many", slow_enqueue)
    results: list[int] = []

    def alert_run() -> None:
        try:
            results.append(run(ALERT_TIME))
        finally:
            connection.close()  # this thread's own connection

    def removal() -> None:
        try:
            services.caregiver_remove(patient=patient, link_id=link.pk, removed_by=patient.user)
        finally:
            connection.close()

    runner = threading.Thread(target=alert_run)
    runner.start()
    assert read_done.wait(30), "the run never read the doses"
    link = CaregiverLink.objects.get(user=caregiver)
    remover = threading.Thread(target=removal)
    remover.start()
    remover.join(0.5)
    assert remover.is_alive(), "the removal did not wait for the run under way"
    go_on.set()
    runner.join(30)
    remover.join(30)
    assert results == [1]
    assert alerts(caregiver) == []  # queued by the run, dropped by the removal

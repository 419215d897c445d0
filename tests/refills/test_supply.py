"""Tablet supply (issue 22, Refills): a count of the tablets on hand, counted down by the doses
the ledger has as taken since (never a stored counter), per strength; days left rounded down;
the refill reminder once per count; the care team told when a dose is skipped "ran out"."""

import uuid
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.test import override_settings

from backend.adherence.models import ScheduledDose
from backend.adherence.services.dose_logs import dose_log_correct, dose_log_record
from backend.adherence.services.plans import plan_revise
from backend.alerts.models import Alert, AlertKind, AlertStatus
from backend.alerts.selectors import alerts_visible_to
from backend.common.errors import Conflict, ServiceValidationError
from backend.notifications.models import OutboxMessage
from backend.refills.models import SupplySource, TabletSupply
from backend.refills.selectors import supply_compute, supply_status
from backend.refills.services import refill_reminders_enqueue, tablet_supply_record
from tests.factories.plans import HIGH_RISK_CASE, TreatmentPlanFactory
from tests.refills.helpers import START, plan_600mg

pytestmark = pytest.mark.django_db

COUNTED = "2026-03-05 07:00:00+01:00"  # before the 08:00 dose of 5 March (Madrid)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def plan_400(nurse, patient):
    """400 mg once a day at 08:00: one 400 mg tablet a day."""
    with time_machine.travel("2026-03-01 07:00:00+01:00", tick=False):
        return TreatmentPlanFactory.create(
            patient=patient, created_by=nurse, case=HIGH_RISK_CASE, start_date=START
        )


@pytest.fixture
def plan_600(nurse, patient):
    """600 mg once a day: one 400 mg and two 100 mg tablets a dose."""
    return plan_600mg(nurse, patient)


def count(patient, counts: dict[str, Any], when: str = COUNTED, **kw: Any) -> TabletSupply:
    with time_machine.travel(when, tick=False):
        return tablet_supply_record(
            patient=patient,
            recorded_by=kw.pop("by", patient.user),
            source=kw.pop("source", SupplySource.PATIENT),
            counts=counts,
            counted_at=at(when),
            **kw,
        ).supply


def take(patient, day: str, hour: str = "08:05", **kw: Any) -> ScheduledDose:
    when = f"{day} {hour}:00+01:00"
    with time_machine.travel(when, tick=False):
        return dose_log_record(
            patient=patient,
            recorded_by=patient.user,
            client_id=uuid.uuid4(),
            scheduled_date=date.fromisoformat(day),
            slot=1,
            status=kw.pop("status", "taken"),
            taken_at=at(when) if kw.get("skip_reason") is None else None,
            **kw,
        ).log


def status_at(patient, when: str):
    with time_machine.travel(when, tick=False):
        return supply_status(patient)


# ------------------------------------------------------------------ counting down


def test_taken_doses_after_the_count_count_it_down_and_skipped_ones_do_not(patient, plan_400):
    count(patient, {"400": 30})
    take(patient, "2026-03-04")  # before the count: already not on hand
    take(patient, "2026-03-05")
    take(patient, "2026-03-06")
    take(patient, "2026-03-07", status="skipped", skip_reason="forgot")

    status = status_at(patient, "2026-03-07 12:00:00+01:00")

    [row] = status.strengths
    assert (row.strength_mg, row.counted, row.taken_since, row.left) == (400, 30, 2, 28)
    assert (row.per_dose, row.per_day) == (1, 1)
    assert status.days_left == 28
    assert not status.running_low


def test_undo_of_a_taken_dose_gives_its_tablet_back(patient, plan_400):
    count(patient, {"400": 10})
    log = take(patient, "2026-03-05")
    assert status_at(patient, "2026-03-05 09:00:00+01:00").strengths[0].left == 9

    with time_machine.travel("2026-03-05 09:00:00+01:00", tick=False):
        dose_log_correct(log=log, changed_by=patient.user, status="not_logged")

    assert status_at(patient, "2026-03-05 09:30:00+01:00").strengths[0].left == 10


def test_a_correction_to_skipped_gives_the_tablet_back_and_nothing_is_counted_twice(
    patient, plan_400
):
    count(patient, {"400": 10})
    log = take(patient, "2026-03-05")
    with time_machine.travel("2026-03-05 09:00:00+01:00", tick=False):
        log = dose_log_correct(
            log=log, changed_by=patient.user, taken_at=at("2026-03-05 08:30:00+01:00")
        )
    assert status_at(patient, "2026-03-05 10:00:00+01:00").strengths[0].left == 9
    with time_machine.travel("2026-03-05 10:00:00+01:00", tick=False):
        dose_log_correct(log=log, changed_by=patient.user, status="skipped", skip_reason="other")
    assert status_at(patient, "2026-03-05 10:30:00+01:00").strengths[0].left == 10


def test_600_mg_counts_one_400_and_two_100_tablets_a_dose(patient, plan_600):
    count(patient, {"100": 20, "400": 12})
    take(patient, "2026-03-05")
    take(patient, "2026-03-06")

    status = status_at(patient, "2026-03-06 12:00:00+01:00")

    rows = {row.strength_mg: row for row in status.strengths}
    assert (rows[100].per_dose, rows[100].taken_since, rows[100].left) == (2, 4, 16)
    assert (rows[400].per_dose, rows[400].taken_since, rows[400].left) == (1, 2, 10)
    # 16 x 100 mg last 8 days, 10 x 400 mg 10 days: the supply lasts as long as the first.
    assert (rows[100].days_left, rows[400].days_left, status.days_left) == (8, 10, 8)


def test_days_left_round_down_to_whole_days_of_full_doses(patient, plan_600):
    count(patient, {"100": 13, "400": 40})  # 13 tablets at 2 a day: 6 days, not 6.5

    assert status_at(patient, "2026-03-05 07:30:00+01:00").days_left == 6


def test_a_plan_revision_changes_the_rate(patient, plan_600, nurse):
    count(patient, {"100": 20, "400": 20})
    assert status_at(patient, "2026-03-05 07:30:00+01:00").days_left == 10  # 2 x 100 mg a day

    with time_machine.travel("2026-03-05 07:40:00+01:00", tick=False):
        plan_revise(
            plan=plan_600,
            created_by=nurse,
            dose_mg_per_day=800,
            dose_times=["08:00", "20:00"],
            reason="progression",
        )
    take(patient, "2026-03-05")

    status = status_at(patient, "2026-03-05 12:00:00+01:00")
    rows = {row.strength_mg: row for row in status.strengths}
    assert (rows[400].per_dose, rows[400].per_day) == (1, 2)  # 400 mg twice a day
    assert rows[100].per_day == 0  # the 100 mg tablets are no longer used
    assert rows[400].left == 19
    assert status.days_left == 9  # 19 tablets at 2 a day


def test_the_latest_count_is_the_one_used_whatever_the_order_they_arrive(patient, plan_400):
    count(patient, {"400": 5}, when="2026-03-06 07:00:00+01:00")
    count(patient, {"400": 50}, when="2026-03-04 07:00:00+01:00")  # synced late from a phone

    status = status_at(patient, "2026-03-06 07:30:00+01:00")
    assert status.supply is not None and status.supply.counts == {"400": 5}
    assert status.days_left == 5
    assert status.running_low


def test_supply_compute_with_no_count_has_no_days_left():
    rows, days = supply_compute(None, {}, None)
    assert (rows, days) == ((), None)


# ------------------------------------------------------------------ recording a count


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({"400": -1}, "counts.400"),
        ({"400": 2.5}, "counts.400"),
        ({"400": "ten"}, "counts.400"),
        ({"200": 10, "400": 1}, "counts.200"),
        ({"100": 10, "400": 1}, "counts.100"),  # not a strength of this plan
        ({}, "counts"),
        ({"mg": 3}, "counts"),
    ],
)
def test_bad_counts_are_refused_naming_the_field(patient, plan_400, counts, field):
    with pytest.raises(ServiceValidationError) as error:
        count(patient, counts)
    assert error.value.field == field
    assert not TabletSupply.objects.exists()


def test_every_strength_of_the_plan_must_be_counted(patient, plan_600):
    with pytest.raises(ServiceValidationError) as error:
        count(patient, {"400": 3})
    assert error.value.field == "counts.100"


def test_no_active_plan_no_count(patient):
    with pytest.raises(ServiceValidationError) as error:
        count(patient, {"400": 3})
    assert error.value.field == "counts"


def test_the_same_client_id_is_stored_once(patient, plan_400, foreign_patient):
    client_id = uuid.uuid4()
    first = count(patient, {"400": 30}, client_id=client_id)
    again = count(patient, {"400": 30}, client_id=client_id)

    assert again.pk == first.pk
    assert TabletSupply.objects.count() == 1
    with pytest.raises(Conflict):
        count(foreign_patient, {"400": 30}, client_id=client_id)


# ------------------------------------------------------------------ the refill reminder


def reminders(patient) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=patient.user, kind="refill_reminder"))


def test_one_reminder_at_seven_days_left_a_rerun_sends_nothing_a_new_count_rearms(
    patient, plan_400
):
    count(patient, {"400": 9})
    take(patient, "2026-03-05")
    with time_machine.travel("2026-03-05 12:00:00+01:00", tick=False):
        assert refill_reminders_enqueue(at("2026-03-05 12:00:00+01:00")) == 0  # 8 days left
    assert reminders(patient) == []

    take(patient, "2026-03-06")  # 7 days left
    now = at("2026-03-06 12:00:00+01:00")
    with time_machine.travel(now, tick=False):
        assert refill_reminders_enqueue(now) == 1
        assert refill_reminders_enqueue(now) == 0
    [message] = reminders(patient)
    supply = TabletSupply.objects.get()
    assert message.dedupe_key == f"refill:{supply.pk}"
    assert supply.reminder_queued_at == now

    take(patient, "2026-03-07")
    with time_machine.travel("2026-03-07 12:00:00+01:00", tick=False):
        assert refill_reminders_enqueue(at("2026-03-07 12:00:00+01:00")) == 0
    assert len(reminders(patient)) == 1

    # A refill that is still short re-arms it: one more reminder, for the new count.
    count(patient, {"400": 5}, when="2026-03-07 13:00:00+01:00")
    with time_machine.travel("2026-03-07 14:00:00+01:00", tick=False):
        assert refill_reminders_enqueue(at("2026-03-07 14:00:00+01:00")) == 1
    assert len(reminders(patient)) == 2


def test_a_full_refill_sends_no_reminder(patient, plan_400):
    count(patient, {"400": 3})
    count(patient, {"400": 60}, when="2026-03-05 07:30:00+01:00")
    with time_machine.travel("2026-03-05 12:00:00+01:00", tick=False):
        assert refill_reminders_enqueue(at("2026-03-05 12:00:00+01:00")) == 0
    assert reminders(patient) == []


@override_settings(REFILL_REMINDER_DAYS_LEFT=14)
def test_the_reminder_threshold_is_a_setting(patient, plan_400):
    count(patient, {"400": 14})
    with time_machine.travel("2026-03-05 07:30:00+01:00", tick=False):
        assert refill_reminders_enqueue(at("2026-03-05 07:30:00+01:00")) == 1


def test_the_reminder_job_reads_many_patients_in_a_fixed_number_of_statements(
    django_assert_max_num_queries, care_team, nurse
):
    from tests.factories.accounts import activated_patient

    patients = [activated_patient(care_team=care_team) for _ in range(6)]
    with time_machine.travel("2026-03-01 07:00:00+01:00", tick=False):
        for p in patients:
            TreatmentPlanFactory.create(
                patient=p, created_by=nurse, case=HIGH_RISK_CASE, start_date=START
            )
    for p in patients:
        count(p, {"400": 3})
    now = at("2026-03-05 07:30:00+01:00")
    with time_machine.travel(now, tick=False), django_assert_max_num_queries(12):
        assert refill_reminders_enqueue(now) == 6


# ------------------------------------------------------------------ ran out


def test_a_dose_skipped_ran_out_opens_one_alert_the_care_team_sees(patient, plan_400, nurse):
    take(patient, "2026-03-05", status="skipped", skip_reason="ran_out")
    take(patient, "2026-03-06", status="skipped", skip_reason="ran_out")

    [alert] = Alert.objects.filter(patient=patient, kind=AlertKind.RAN_OUT)
    assert alert.status == AlertStatus.OPEN
    assert alert.priority == "normal"
    assert alert.occurrences == 2
    assert alert.rule == "alert.ran_out"
    assert alert in list(alerts_visible_to(nurse))
    # The care team's push for the new alert was queued with it, once.
    assert OutboxMessage.objects.filter(recipient=nurse, kind="alert_opened").count() == 1


def test_other_skip_reasons_open_no_ran_out_alert(patient, plan_400):
    take(patient, "2026-03-05", status="skipped", skip_reason="forgot")
    assert not Alert.objects.filter(kind=AlertKind.RAN_OUT).exists()


def test_a_correction_to_ran_out_opens_the_alert(patient, plan_400):
    log = take(patient, "2026-03-05")
    with time_machine.travel("2026-03-05 09:00:00+01:00", tick=False):
        dose_log_correct(log=log, changed_by=patient.user, status="skipped", skip_reason="ran_out")
    assert Alert.objects.filter(patient=patient, kind=AlertKind.RAN_OUT).count() == 1


def test_the_hourly_task_queues_the_reminder_once_in_the_patients_language(patient, plan_400):
    from backend.notifications.texts import push_text
    from worker.tasks.refills import queue_refill_reminders

    patient.language = "es"
    patient.save(update_fields=["language"])
    count(patient, {"400": 7})
    with time_machine.travel("2026-03-05 07:30:00+01:00", tick=False):
        assert queue_refill_reminders.apply().get() == 1
        assert queue_refill_reminders.apply().get() == 0
    [message] = reminders(patient)
    text = push_text(
        kind=message.kind,
        payload=message.payload,
        language=patient.language,
        show_medication_name=False,
    )
    assert (text.title, text.body) == (
        "Hora de reponer",
        "Le quedan pocas pastillas. Es momento de pedir las siguientes.",
    )

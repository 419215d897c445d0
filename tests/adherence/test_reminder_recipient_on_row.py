"""The patient's account on the ledger row (`patient_user`, issue 20: the reminder claim
joins no patient): the writer records it; a row written before the patient activated has
none, and its reminder still goes to the account made later (the claim keeps the account on
the row; a rewrite writes it); the migration that added the column fills the pending rows."""

from datetime import date

import pytest
import time_machine
from django.db import connection

from backend.adherence.models import ScheduledDose
from backend.adherence.services.ledger import ledger_rewrite
from tests.factories.accounts import UserFactory

from .test_reminder_preferences import DAY, planned, row_of, run_every_minute, sent

pytestmark = pytest.mark.django_db


def test_the_writer_records_the_patients_account_on_each_row(nurse, patient, foreign_patient):
    planned(nurse, patient)
    planned(nurse, foreign_patient)
    assert ScheduledDose.objects.filter(patient=patient).count() > 20
    for someone in (patient, foreign_patient):
        accounts = set(
            ScheduledDose.objects.filter(patient=someone).values_list("patient_user", flat=True)
        )
        assert accounts == {someone.user_id}


def test_a_row_written_before_activation_is_reminded_to_the_account_made_later(
    nurse, unactivated_patient
):
    planned(nurse, unactivated_patient)
    rows = ScheduledDose.objects.filter(patient=unactivated_patient)
    assert rows.count() > 20 and not rows.filter(patient_user__isnull=False).exists()
    later_days = list(rows.filter(local_date__gt=DAY).values_list("pk", flat=True))
    unactivated_patient.user = UserFactory(role="patient")
    unactivated_patient.save(update_fields=["user"])
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:01:00+00:00")
    assert sent(unactivated_patient) == [(DAY, 0, "07:00")]
    # The claim kept the account it looked up on the row it claimed (its follow-ups need no
    # lookup), and only on that row: the later days' rows wait for their own claim.
    assert row_of(unactivated_patient).patient_user_id == unactivated_patient.user_id
    assert not rows.filter(pk__in=later_days, patient_user__isnull=False).exists()


def test_a_plan_change_after_activation_writes_the_account_on_the_rows_it_rewrites(
    nurse, unactivated_patient
):
    plan = planned(nurse, unactivated_patient)
    unactivated_patient.user = UserFactory(role="patient")
    unactivated_patient.save(update_fields=["user"])
    with time_machine.travel(f"{DAY}T06:00:00+00:00", tick=False):
        ledger_rewrite(plan, from_day=date.fromisoformat(DAY))
    rewritten = ScheduledDose.objects.filter(patient=unactivated_patient, local_date__gte=DAY)
    assert rewritten.count() > 20
    assert set(rewritten.values_list("patient_user", flat=True)) == {unactivated_patient.user_id}
    # The day before is history to the rewrite: left as it was.
    assert row_of(unactivated_patient, "2026-03-01").patient_user_id is None


# ------------------------------------------------------------------ the migration

BEFORE = ("adherence", "0013_ledger_row_reminder_settings")
PATIENT_USER_ON_ROW = ("adherence", "0014_ledger_row_patient_user")


def _migrate(target: tuple[str, str] | None) -> None:
    """To `target`, or to the latest migrations."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_pending_rows_with_the_patients_account(
    nurse, patient, unactivated_patient
):
    planned(nurse, patient)
    planned(nurse, unactivated_patient)
    ScheduledDose.objects.filter(patient=patient, local_date="2026-03-01").update(
        state="missed", patient_user=None
    )
    try:
        _migrate(BEFORE)
        _migrate(PATIENT_USER_ON_ROW)
    finally:
        _migrate(None)
    pending = ScheduledDose.objects.filter(patient=patient, state="pending")
    assert pending.count() > 20
    assert set(pending.values_list("patient_user", flat=True)) == {patient.user_id}
    # A resolved row is never reminded, so it is left empty; so is the row of a patient
    # with no account yet.
    resolved = ScheduledDose.objects.get(patient=patient, local_date="2026-03-01")
    assert resolved.patient_user_id is None
    assert not ScheduledDose.objects.filter(
        patient=unactivated_patient, patient_user__isnull=False
    ).exists()

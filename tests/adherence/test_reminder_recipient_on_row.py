"""The patient's account on the ledger row (`patient_user`, issue 20: the reminder claim
joins no patient): the writer records it; a row written before the patient activated has
none, and its reminder still goes to the account made later; the migration that added the
column fills the pending rows."""

import pytest
from django.db import connection

from backend.adherence.models import ScheduledDose
from tests.factories.accounts import UserFactory

from .test_reminder_preferences import DAY, planned, run_every_minute, sent

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
    unactivated_patient.user = UserFactory(role="patient")
    unactivated_patient.save(update_fields=["user"])
    run_every_minute(f"{DAY}T06:59:00+00:00", f"{DAY}T07:01:00+00:00")
    assert sent(unactivated_patient) == [(DAY, 0, "07:00")]


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

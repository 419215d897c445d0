"""The dose log becomes the ledger row (issue 20, phase 2): every DoseLog is carried onto its
ScheduledDose row (the row takes the log's id, so DoseLogRevision rows and ids a phone holds
keep pointing at the same log), a log with no row gets one, the count is checked, then
DoseLogRevision points at the ledger and DoseLog is dropped.

A log without a row is one whose day the schedule no longer has (a later revision changed the
number of doses) or one written around the services; its row keeps the log with the
patient's current zone and no dose time, so it is never pending and never reminded."""

import django.db.models.deletion
from django.db import migrations, models

LOG_FIELDS = ("client_id", "taken_at", "late", "skip_reason", "note", "recorded_by_id")


class LedgerCountMismatch(RuntimeError):
    pass


def carry_logs_onto_ledger(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    ledger = apps.get_model("adherence", "ScheduledDose")
    log = apps.get_model("adherence", "DoseLog")
    patient = apps.get_model("accounts", "Patient")
    if schema_editor.connection.vendor == "postgresql":
        _carry_postgresql(schema_editor, ledger, log, patient)
        # The deferred foreign-key checks of the rows written now, so that the ALTER TABLEs
        # below may run in this transaction (PostgreSQL refuses them with triggers pending).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    else:
        _carry_portable(ledger, log, patient)
    logged = ledger.objects.filter(state__in=["taken", "skipped", "missed"]).count()
    logs = log.objects.count()
    carried = ledger.objects.filter(pk__in=log.objects.values("pk")).count()
    if logged != logs or carried != logs:
        raise LedgerCountMismatch(
            f"The dose ledger holds {logged} logged doses ({carried} by id) for {logs} dose logs."
        )


def _carry_postgresql(schema_editor, ledger, log, patient) -> None:  # type: ignore[no-untyped-def]
    quote = schema_editor.connection.ops.quote_name
    names = {
        "ledger": quote(ledger._meta.db_table),
        "log": quote(log._meta.db_table),
        "patient": quote(patient._meta.db_table),
    }
    schema_editor.execute(
        """
        INSERT INTO {ledger} (id, patient_id, plan_id, local_date, slot, time_zone, state,
            client_id, taken_at, late, skip_reason, note, recorded_by_id, follow_ups_sent,
            logged_at, created_at, updated_at)
        SELECT log.id, log.patient_id, log.plan_id, log.scheduled_date, log.slot,
            patient.time_zone, log.status, log.client_id, log.taken_at, log.late,
            log.skip_reason, log.note, log.recorded_by_id, 0, log.created_at, log.created_at,
            log.updated_at
        FROM {log} AS log JOIN {patient} AS patient ON patient.id = log.patient_id
        WHERE NOT EXISTS (
            SELECT 1 FROM {ledger} AS row WHERE row.patient_id = log.patient_id
              AND row.local_date = log.scheduled_date AND row.slot = log.slot
        )
        """.format(**names)  # noqa: S608 - table names from the models' metadata, quoted
    )
    schema_editor.execute(
        """
        UPDATE {ledger} AS row SET id = log.id, state = log.status, client_id = log.client_id,
            taken_at = log.taken_at, late = log.late, skip_reason = log.skip_reason,
            note = log.note, recorded_by_id = log.recorded_by_id, next_reminder_at = NULL,
            logged_at = log.created_at, updated_at = log.updated_at
        FROM {log} AS log
        WHERE row.patient_id = log.patient_id AND row.local_date = log.scheduled_date
          AND row.slot = log.slot
        """.format(**names)  # noqa: S608 - table names from the models' metadata, quoted
    )


def _carry_portable(ledger, log, patient) -> None:  # type: ignore[no-untyped-def]
    """The same, row by row, for SQLite (`make run`'s small demo database)."""
    zones = dict(patient.objects.values_list("pk", "time_zone"))
    for entry in log.objects.order_by("pk").iterator(chunk_size=500):
        values = {field: getattr(entry, field) for field in LOG_FIELDS}
        values |= {
            "state": entry.status,
            "next_reminder_at": None,
            "logged_at": entry.created_at,
            "updated_at": entry.updated_at,
        }
        row = ledger.objects.filter(
            patient_id=entry.patient_id, local_date=entry.scheduled_date, slot=entry.slot
        )
        if row.exists():
            # A new id is a new row: the old row (never referenced) makes way for it.
            old = row.get()
            old_values = {f.attname: getattr(old, f.attname) for f in ledger._meta.concrete_fields}
            row.delete()
            ledger.objects.create(**{**old_values, **values, "id": entry.pk})
        else:
            ledger.objects.create(
                id=entry.pk,
                patient_id=entry.patient_id,
                plan_id=entry.plan_id,
                local_date=entry.scheduled_date,
                slot=entry.slot,
                time_zone=zones[entry.patient_id],
                follow_ups_sent=0,
                created_at=entry.created_at,
                **values,
            )


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("accounts", "0004_user_session_generation"),
        ("adherence", "0005_scheduled_dose_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduleddose",
            name="logged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(carry_logs_onto_ledger, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="doselogrevision",
            name="dose_log",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="revisions",
                to="adherence.scheduleddose",
            ),
        ),
        migrations.DeleteModel(name="DoseLog"),
        migrations.AddConstraint(
            model_name="scheduleddose",
            constraint=models.CheckConstraint(
                condition=models.Q(("state", "taken"), _negated=True)
                | models.Q(("taken_at__isnull", False)),
                name="ledger_taken_dose_has_taken_at",
            ),
        ),
    ]

"""The reminder claim as a HOT update (issue 20): its rows are found on an index of pending
rows by due time, so the reminder state it moves (next_reminder_at, follow_ups_sent) is in no
index, and each page keeps 10 % free (fillfactor 90, for pages written from now on) so the
new row version fits beside the old one and no index entry is written."""

from django.db import migrations, models

FILLFACTOR = 90


def ledger_fillfactor(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("adherence", "ScheduledDose")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def ledger_fillfactor_reset(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("adherence", "ScheduledDose")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("adherence", "0006_dose_log_is_the_ledger_row")]

    operations = [
        migrations.RemoveIndex(model_name="scheduleddose", name="ledger_pending_reminder"),
        migrations.AddIndex(
            model_name="scheduleddose",
            index=models.Index(
                condition=models.Q(("due_at__isnull", False), ("state", "pending")),
                fields=["due_at"],
                name="ledger_pending_due",
            ),
        ),
        migrations.RunPython(ledger_fillfactor, ledger_fillfactor_reset),
    ]

"""The patient's account on each ledger row (`patient_user`), so the reminder claim needs no
join to the patient. Adding the nullable column is a catalogue change; the pending rows of
patients with an account are then filled in one UPDATE (rows already logged are never
reminded; a row left empty is looked up by the claim, so nothing depends on the fill)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_pending_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    ScheduledDose = apps.get_model("adherence", "ScheduledDose")
    Patient = apps.get_model("accounts", "Patient")
    ScheduledDose.objects.using(schema_editor.connection.alias).filter(
        state="pending", patient_user__isnull=True
    ).update(
        patient_user_id=Subquery(
            Patient.objects.filter(pk=OuterRef("patient_id")).values("user_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("adherence", "0013_ledger_row_reminder_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduleddose",
            name="patient_user",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(fill_pending_rows, migrations.RunPython.noop),
    ]

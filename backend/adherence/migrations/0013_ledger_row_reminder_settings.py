"""The reminder claim reads the patient's reminder settings on the ledger row instead of
joining NotificationPreference (issue 20, docs/performance.md): follow-ups on or off, their
interval and the quiet hours, on every row (empty: the defaults). The columns are added empty
(the flag with a database default: no table rewrite, no CHECK to validate over the ledger);
the pending rows of the patients whose settings are not the defaults are then filled, as a
change of settings would rewrite them."""

from django.db import migrations, models
from django.db.models import Q


def pending_rows_take_their_patients_settings(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    NotificationPreference = apps.get_model("notifications", "NotificationPreference")
    Patient = apps.get_model("accounts", "Patient")
    ScheduledDose = apps.get_model("adherence", "ScheduledDose")
    not_the_defaults = NotificationPreference.objects.filter(
        Q(follow_up_enabled=False)
        | Q(follow_up_minutes__isnull=False)
        | Q(quiet_start__isnull=False)
        | Q(quiet_end__isnull=False)
    )
    patients = dict(
        Patient.objects.filter(
            user_id__in=not_the_defaults.values("user_id")
        ).values_list("user_id", "pk")
    )
    for preference in not_the_defaults.filter(user_id__in=list(patients)).iterator():
        ScheduledDose.objects.filter(patient_id=patients[preference.user_id], state="pending").update(
            follow_up_enabled=preference.follow_up_enabled,
            follow_up_minutes=preference.follow_up_minutes,
            quiet_start=preference.quiet_start,
            quiet_end=preference.quiet_end,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("adherence", "0012_ledger_time_ordered_ids"),
        ("notifications", "0003_reminder_preferences"),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduleddose",
            name="follow_up_enabled",
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name="scheduleddose",
            name="follow_up_minutes",
            field=models.SmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="scheduleddose",
            name="quiet_start",
            field=models.TimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="scheduleddose",
            name="quiet_end",
            field=models.TimeField(blank=True, null=True),
        ),
        migrations.RunPython(pending_rows_take_their_patients_settings, migrations.RunPython.noop),
    ]

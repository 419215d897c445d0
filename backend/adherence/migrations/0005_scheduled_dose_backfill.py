"""Write the dose ledger of every existing plan and carry every DoseLog onto it (issue 20).

The writer is called with the current models, not the historical ones, so that the rules stay
in one place (adherence/dose_schedule.py); a new database (no plans) has nothing to write, so later
changes to the models cannot break it there. The logs are copied in SQL on the historical
tables; 0006 carries any log left without a row, checks the count and drops DoseLog."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def ledger_backfill(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.db.models import F, Q

    if not apps.get_model("adherence", "TreatmentPlan").objects.exists():
        return
    from backend.adherence.models import TreatmentPlan
    from backend.adherence.services.ledger import ledger_write

    now = timezone.now()
    ledger_write(TreatmentPlan.objects.all(), now)
    ledger = apps.get_model("adherence", "ScheduledDose")
    log = apps.get_model("adherence", "DoseLog")
    quote = schema_editor.connection.ops.quote_name
    schema_editor.execute(
        """
        UPDATE {ledger} SET state = log.status, client_id = log.client_id,
            taken_at = log.taken_at, late = log.late, skip_reason = log.skip_reason,
            note = log.note, recorded_by_id = log.recorded_by_id, next_reminder_at = NULL
        FROM {log} AS log
        WHERE {ledger}.patient_id = log.patient_id
          AND {ledger}.local_date = log.scheduled_date AND {ledger}.slot = log.slot
        """.format(  # noqa: S608 - table names from the models' metadata, quoted
            ledger=quote(ledger._meta.db_table), log=quote(log._meta.db_table)
        )
    )
    # What the old sweep had decided stays decided: the days its cursor had passed without a
    # log, and the plans it no longer looked at (stopped before the backfill window), are
    # never marked missed now.
    stopped_long_ago = now - timedelta(days=settings.DOSE_BACKFILL_DAYS + 2)
    ledger.objects.filter(state="pending", missed_after__isnull=False).filter(
        Q(local_date__lte=F("plan__missed_checked_through"))
        | Q(plan__status="stopped", plan__stopped_at__lt=stopped_long_ago)
    ).update(missed_after=None)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("adherence", "0004_scheduled_dose_ledger")]

    operations = [migrations.RunPython(ledger_backfill, migrations.RunPython.noop, elidable=True)]

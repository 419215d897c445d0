"""Write the dose ledger of every existing plan and carry every DoseLog onto it (issue 20).

This calls the ledger's writer with the current models, not the historical ones, so that the
rules stay in one place (adherence/schedule.py); squash or freeze it if a later migration
changes the tables it reads. The count check refuses to finish with a log left out."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone


class LedgerCountMismatch(RuntimeError):
    pass


def ledger_backfill(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.db.models import F, Q

    from backend.adherence.models import DoseLog, ScheduledDose, TreatmentPlan
    from backend.adherence.services.ledger import ledger_mirror_logs, ledger_write

    now = timezone.now()
    ledger_write(TreatmentPlan.objects.all(), now)
    ledger_mirror_logs()
    # What the old sweep had decided stays decided: the days its cursor had passed without a
    # log, and the plans it no longer looked at (stopped before the backfill window), are
    # never marked missed now.
    stopped_long_ago = now - timedelta(days=settings.DOSE_BACKFILL_DAYS + 2)
    ScheduledDose.objects.filter(state="pending", missed_after__isnull=False).filter(
        Q(local_date__lte=F("plan__missed_checked_through"))
        | Q(plan__status="stopped", plan__stopped_at__lt=stopped_long_ago)
    ).update(missed_after=None)
    logged = ScheduledDose.objects.filter(state__in=["taken", "skipped", "missed"]).count()
    logs = DoseLog.objects.count()
    if logged != logs:
        raise LedgerCountMismatch(
            f"The dose ledger holds {logged} logged doses for {logs} dose logs."
        )


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("adherence", "0004_scheduled_dose_ledger")]

    operations = [migrations.RunPython(ledger_backfill, migrations.RunPython.noop, elidable=True)]

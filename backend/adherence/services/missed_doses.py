"""The missed-dose sweep: a dose with no log when its grace window has ended is recorded as
missed. One set-based statement per batch on the dose ledger (ScheduledDose): pending rows
whose `missed_after` (the end of the dose's local day plus DOSE_MISSED_GRACE_HOURS, computed
by the writer with schedule.grace_ends_at, so DST days are neither cut short nor stretched)
has come become missed, and their DoseLog 'missed' rows are inserted from them, so the log
stays complete until phase 2 of issue 20. Held days are never pending, so never marked.
Idempotent: a marked row is no longer pending, and the DoseLog's unique key stops a second
missed row; each batch is one statement, so a worker killed mid-batch leaves it undone, not
half done."""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from ..models import DoseLog, DoseState, DoseStatus, ScheduledDose
from .ledger import ledger_record_log


def doses_mark_missed(now: datetime, *, batch_size: int = 20000) -> int:
    """Mark every pending dose whose grace window ended by `now` missed. Returns how many
    missed logs the database inserted (0 when run again for the same `now`). A phone's log
    that lands first wins: its row is no longer pending, or the DoseLog key refuses the
    missed row, which is then not counted."""
    written = 0
    while True:
        if connection.vendor == "postgresql":
            selected, marked, mirrored = _sweep_batch_postgresql(now, batch_size)
        else:
            selected, marked, mirrored = _sweep_batch_portable(now, batch_size)
        written += marked
        # A short batch was the last; a batch that changed nothing would only repeat.
        if selected < batch_size or marked + mirrored == 0:
            return written


def _names() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {"ledger": quote(ScheduledDose._meta.db_table), "log": quote(DoseLog._meta.db_table)}


def _sweep_batch_postgresql(now: datetime, batch_size: int) -> tuple[int, int, int]:
    """One statement: select the batch on the partial index of pending rows, insert their
    missed logs (ON CONFLICT DO NOTHING: a log already there wins), mark the rows whose log
    was inserted, and copy a log that was already there (written around the ledger, e.g. by
    a seed) onto its row, so the row leaves the pending index either way. The insert comes
    before the ledger's update, the same lock order as the dose POST (log, then row)."""
    stamp = timezone.now()
    sql = """
        WITH due AS (
            SELECT ctid AS tid, patient_id, plan_id, local_date, slot FROM {ledger}
            WHERE state = %(pending)s AND missed_after IS NOT NULL
              AND missed_after <= %(now)s
            ORDER BY missed_after
            LIMIT %(limit)s
        ),
        logged AS (
            INSERT INTO {log} (id, patient_id, plan_id, scheduled_date, slot, status, late,
                               skip_reason, note, created_at, updated_at)
            SELECT gen_random_uuid(), patient_id, plan_id, local_date, slot, %(missed)s,
                   false, '', '', %(stamp)s, %(stamp)s
            FROM due
            ON CONFLICT DO NOTHING
            RETURNING patient_id, scheduled_date, slot
        ),
        marked AS (
            UPDATE {ledger} AS row
            SET state = %(missed)s, next_reminder_at = NULL, updated_at = %(stamp)s
            FROM due JOIN logged ON logged.patient_id = due.patient_id
                AND logged.scheduled_date = due.local_date AND logged.slot = due.slot
            WHERE row.ctid = due.tid AND row.state = %(pending)s
            RETURNING 1
        ),
        -- Rows whose log was already there (usually none): OFFSET 0 keeps the planner from
        -- looking their logs up before this filter.
        unlogged AS (
            SELECT tid, patient_id, local_date, slot FROM due
            WHERE NOT EXISTS (
                SELECT 1 FROM logged WHERE logged.patient_id = due.patient_id
                    AND logged.scheduled_date = due.local_date AND logged.slot = due.slot
            )
            OFFSET 0
        ),
        mirrored AS (
            UPDATE {ledger} AS row
            SET state = log.status, client_id = log.client_id, taken_at = log.taken_at,
                late = log.late, skip_reason = log.skip_reason, note = log.note,
                recorded_by_id = log.recorded_by_id, next_reminder_at = NULL,
                updated_at = %(stamp)s
            FROM unlogged CROSS JOIN LATERAL (
                SELECT status, client_id, taken_at, late, skip_reason, note, recorded_by_id
                FROM {log} AS log
                WHERE log.patient_id = unlogged.patient_id
                  AND log.scheduled_date = unlogged.local_date AND log.slot = unlogged.slot
                LIMIT 1
            ) AS log
            WHERE row.ctid = unlogged.tid AND row.state = %(pending)s
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM marked),
               (SELECT count(*) FROM mirrored)
    """.format(**_names())  # noqa: S608 - table names from the models' metadata, quoted
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "pending": DoseState.PENDING.value,
                "missed": DoseStatus.MISSED.value,
                "now": now,
                "stamp": stamp,
                "limit": batch_size,
            },
        )
        selected, marked, mirrored = cursor.fetchone()
    return selected, marked, mirrored


def _sweep_batch_portable(now: datetime, batch_size: int) -> tuple[int, int, int]:
    """The same batch in a few statements, for SQLite (`make run`'s embedded database)."""
    with transaction.atomic():
        due = list(
            ScheduledDose.objects.filter(
                state=DoseState.PENDING, missed_after__isnull=False, missed_after__lte=now
            )
            .order_by("missed_after")
            .values_list("pk", "patient_id", "plan_id", "local_date", "slot")[:batch_size]
        )
        if not due:
            return 0, 0, 0
        keys = {(patient, day, slot) for _, patient, _, day, slot in due}
        patients = {patient for _, patient, _, _, _ in due}
        logs = {
            (log.patient_id, log.scheduled_date, log.slot): log
            for log in DoseLog.objects.filter(
                patient_id__in=patients, scheduled_date__in={day for _, _, _, day, _ in due}
            ).order_by()
            if (log.patient_id, log.scheduled_date, log.slot) in keys
        }
        stamp = timezone.now()
        new_logs = [
            DoseLog(
                patient_id=patient,
                plan_id=plan,
                scheduled_date=day,
                slot=slot,
                status=DoseStatus.MISSED,
            )
            for _, patient, plan, day, slot in due
            if (patient, day, slot) not in logs
        ]
        DoseLog.objects.bulk_create(new_logs)
        ScheduledDose.objects.filter(
            pk__in=[pk for pk, patient, _, day, slot in due if (patient, day, slot) not in logs]
        ).update(state=DoseState.MISSED, next_reminder_at=None, updated_at=stamp)
        for log in logs.values():
            ledger_record_log(log)
    return len(due), len(new_logs), len(logs)

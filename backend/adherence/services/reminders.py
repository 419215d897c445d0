"""Dose reminders: at each dose's local time, then follow-ups while it is not logged.

The minute's selection is one statement on the dose ledger's partial index (pending rows whose
next_reminder_at has come), claimed with FOR UPDATE SKIP LOCKED in the job's batches and moved
on in the same statement (the next follow-up time, or none), so two workers never take the
same reminder. Each reminder is an outbox row whose dedupe key is (patient, date, slot,
attempt), so a rerun or a crash half-way never sends one twice. Nothing is scheduled ahead
with ETA/countdown: the database is the clock. The writer (services/ledger.py) sets each
pending row's first reminder time; held, logged and stopped plans' rows have none.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from backend.accounts.models import Patient
from backend.notifications.services import OutboxItem, outbox_enqueue_many

from ..models import DoseState, ScheduledDose
from .ledger import reminder_state


@dataclass(frozen=True, slots=True)
class ClaimedDose:
    """A ledger row taken by this run: the reminder attempts [first_attempt, next_attempt)
    have come."""

    patient_id: Any
    user_id: int | None
    local_date: date
    slot: int
    local_time: time
    due_at: datetime
    first_attempt: int
    next_attempt: int
    id: str = ""  # the ledger row's, as text (PostgreSQL's claim orders by due time, then id)

    @property
    def position(self) -> "ClaimPosition":
        return ClaimPosition(self.due_at, self.id)


@dataclass(frozen=True, slots=True, order=True)
class ClaimPosition:
    """Where a run's claim stopped, in the claim's order (the index ledger_pending_due)."""

    due_at: datetime
    id: str


def dose_reminders_enqueue(now: datetime, *, batch_size: int = 1000) -> int:
    """Queue every reminder due by `now` that has not been handled. Returns how many were
    queued."""
    queued = 0
    after: ClaimPosition | None = None
    while True:
        with transaction.atomic():
            claimed = due_doses_claim(now, batch_size, after=after)
            if not claimed:
                return queued
            queued += _queue(claimed, now)
        if len(claimed) < batch_size:
            return queued
        after = max(dose.position for dose in claimed)


def due_doses_claim(
    now: datetime, batch_size: int, *, after: ClaimPosition | None = None
) -> list[ClaimedDose]:
    """The minute's selection: pending rows whose next reminder time has come, locked (SKIP
    LOCKED: a second worker takes other rows) and moved on to their next reminder time in
    the same statement. Call inside a transaction: the outbox rows are written in it.

    `after`: the last position (due time, id) the run's previous batch claimed, so each batch
    starts where the last one stopped instead of reading again, on the index, the rows this
    run has already moved on (at the busy minute, 16,667 due rows in batches of 1,000 read
    the first batch's rows 17 times). A row passed over because another worker held it and
    then rolled back is claimed by the next minute's run."""
    if connection.vendor == "postgresql":
        return _claim_postgresql(now, batch_size, after)
    return _claim_portable(now, batch_size)


def reminder_window() -> timedelta:
    """How long after its due time a dose may still be reminded: its last follow-up, plus the
    delay after which a late reminder is dropped rather than sent."""
    return timedelta(
        minutes=settings.REMINDER_MAX_FOLLOW_UPS * settings.REMINDER_FOLLOW_UP_MINUTES
        + settings.REMINDER_MAX_DELAY_MINUTES
    )


# One past the last reminder time that has come (due_at + k * step <= now).
_NEXT_ATTEMPT = (
    "LEAST(floor(extract(epoch FROM %(now)s - row.due_at) / %(step)s)::int + 1, %(attempts)s)"
)
# The rows are found on the partial index of pending rows by due time: only doses due in the
# reminder window (the last follow-up plus REMINDER_MAX_DELAY_MINUTES) can still be reminded;
# next_reminder_at, in no index, picks those whose next reminder has come. The rows are found
# again by ctid: locked by the selection, they cannot move before the update.
_CLAIM_DUE_REMINDERS_SQL = """
    WITH due AS (
        SELECT ctid AS tid, follow_ups_sent AS first_attempt FROM {ledger}
        WHERE state = %(pending)s AND due_at >= %(oldest)s AND due_at <= %(now)s
          {after}
          AND next_reminder_at IS NOT NULL AND next_reminder_at <= %(now)s
        ORDER BY due_at, id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    UPDATE {ledger} AS row
    SET follow_ups_sent = {next_attempt},
        next_reminder_at = CASE WHEN {next_attempt} < %(attempts)s
            THEN row.due_at + ({next_attempt}) * make_interval(secs => %(step)s) END
    FROM due, {patient} AS patient
    WHERE row.ctid = due.tid AND patient.id = row.patient_id
    RETURNING row.patient_id::text, patient.user_id, row.local_date, row.slot, row.local_time,
              row.due_at::text, due.first_attempt, row.follow_ups_sent, row.id::text
"""
# A later batch of the same run: past the previous batch's last (due time, id), a range of
# the index (due_at, id) rather than a filter.
_AFTER_POSITION = "AND (due_at, id) > (%(after_due_at)s, %(after_id)s::uuid)"


def _claim_postgresql(
    now: datetime, batch_size: int, after: ClaimPosition | None
) -> list[ClaimedDose]:
    step = settings.REMINDER_FOLLOW_UP_MINUTES * 60
    attempts = settings.REMINDER_MAX_FOLLOW_UPS + 1
    quote = connection.ops.quote_name
    sql = _CLAIM_DUE_REMINDERS_SQL.format(
        ledger=quote(ScheduledDose._meta.db_table),
        patient=quote(Patient._meta.db_table),
        next_attempt=_NEXT_ATTEMPT,
        after=_AFTER_POSITION if after is not None else "",
    )
    parameters: dict[str, Any] = {
        "pending": DoseState.PENDING.value,
        "now": now,
        "oldest": now - reminder_window(),
        "limit": batch_size,
        "step": step,
        "attempts": attempts,
    }
    if after is not None:
        parameters |= {"after_due_at": after.due_at, "after_id": after.id}
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        # Ids and the due instant come as text: psycopg builds a UUID and Django's loader a
        # timestamptz in Python (about 2 and 6 us each), which was half the busy minute's
        # claim; fromisoformat is C. A UUID's canonical text orders as the UUID does.
        return [
            ClaimedDose(
                patient, user, day, slot, wall_time, datetime.fromisoformat(due), first, sent, key
            )
            for patient, user, day, slot, wall_time, due, first, sent, key in cursor.fetchall()
        ]


def _claim_portable(now: datetime, batch_size: int) -> list[ClaimedDose]:
    """The same claim for SQLite (`make run`): one writer at a time, so no SKIP LOCKED."""
    rows = list(
        ScheduledDose.objects.filter(state=DoseState.PENDING, next_reminder_at__lte=now)
        .order_by("next_reminder_at")
        .values_list(
            "pk",
            "patient_id",
            "patient__user_id",
            "local_date",
            "slot",
            "local_time",
            "due_at",
            "follow_ups_sent",
        )[:batch_size]
    )
    claimed = []
    for pk, patient_id, user_id, day, slot, local_time, due_at, sent in rows:
        assert local_time is not None and due_at is not None  # set on every pending row
        next_at, next_attempt = reminder_state(due_at, now)
        ScheduledDose.objects.filter(pk=pk).update(
            next_reminder_at=next_at, follow_ups_sent=next_attempt
        )
        claimed.append(
            ClaimedDose(
                patient_id, user_id, day, slot, local_time, due_at, sent, next_attempt, str(pk)
            )
        )
    return claimed


def _queue(claimed: list[ClaimedDose], now: datetime) -> int:
    step = timedelta(minutes=settings.REMINDER_FOLLOW_UP_MINUTES)
    max_delay = timedelta(minutes=settings.REMINDER_MAX_DELAY_MINUTES)
    reminders = [
        OutboxItem(
            recipient_id=dose.user_id,
            kind="dose_reminder",
            payload={
                "date": dose.local_date.isoformat(),
                "slot": dose.slot,
                "local_time": dose.local_time.strftime("%H:%M"),
                "attempt": attempt,
            },
            dedupe_key=(
                f"reminder:{dose.patient_id}:{dose.local_date.isoformat()}:{dose.slot}:{attempt}"
            ),
        )
        for dose in claimed
        # Nothing for a patient with no account yet (a logged dose's row is not pending, so
        # it is never claimed).
        if dose.user_id is not None
        for attempt in range(dose.first_attempt, dose.next_attempt)
        # A reminder more than REMINDER_MAX_DELAY_MINUTES late (the worker was down) is dropped.
        if now - (dose.due_at + attempt * step) <= max_delay
    ]
    return outbox_enqueue_many(reminders)

"""Dose reminders: at each dose's local time (or the patient's chosen minutes before it), then
follow-ups while it is not logged, with the patient's own settings (adherence/reminder_rules.py:
offset, follow-ups, quiet hours) and snoozes.

The minute's selection is one statement on the dose ledger's partial index (pending rows whose
next_reminder_at has come), claimed with FOR UPDATE SKIP LOCKED in the job's batches and moved
on in the same statement (the next follow-up time, or none), so two workers never take the
same reminder. The patient's settings it needs are on the row itself (copied by the writer,
rewritten by a change of settings and a snooze), and so is the patient's account the reminder
goes to (`patient_user`, copied by the writer); only a row written before the patient
activated looks the account up, once: the claim keeps what it found on the row.
Each reminder is an outbox row whose dedupe key is (patient, date, slot, attempt), and the
row's attempt counter only goes up (a snooze's reminder takes the next number), so a rerun or
a crash half-way never sends one twice, while a snooze's reminder is a message of its own.
Nothing is scheduled ahead with ETA/countdown: the database is the clock. The writer
(services/ledger.py) sets each pending row's first reminder time; held, logged and stopped
plans' rows have none; a change of settings rewrites the patient's pending rows: the settings
on all, the first reminder of those not yet reminded (reminders_reschedule); a snooze sets the
row's next reminder and settings (dose_reminder_snooze).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backend.accounts.models import Patient
from backend.common.errors import Conflict
from backend.notifications.selectors import (
    DEFAULT_REMINDER_PREFERENCE,
    ReminderPreference,
    reminder_offset_max_in_use,
)
from backend.notifications.services import OutboxItem, outbox_enqueue_many, reminders_mark_seen

from ..models import LOGGED_STATES, DoseState, PlanStatus, ScheduledDose, TreatmentPlan
from ..reminder_rules import (
    REMINDER_SETTINGS_ON_ROW,
    attempts_of,
    first_reminder,
    next_reminder,
    preference_on_row,
    remindable_span,
    reminder_settings_on_row,
    reminder_to_send,
    step_of,
)
from .ledger import reminder_preferences


class ClaimedDose(NamedTuple):
    """A ledger row taken by this run: reminder `attempt`, whose time (`reminder_at`) has
    come. A named tuple: the busy minute makes 16,667 of them, and a frozen dataclass took
    three times as long to build (1.3 against 0.4 ms a batch of 1,000)."""

    patient_id: Any
    user_id: int | None
    local_date: date
    slot: int
    local_time: time
    due_at: datetime
    attempt: int
    reminder_at: datetime
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
    ahead = reminder_claim_ahead()
    while True:
        with transaction.atomic():
            claimed = due_doses_claim(now, batch_size, after=after, ahead=ahead)
            if not claimed:
                return queued
            queued += _queue(claimed, now)
        if len(claimed) < batch_size:
            return queued
        after = max(dose.position for dose in claimed)


def reminder_claim_ahead() -> timedelta:
    """How far past now a dose may be due and have its reminder now: the largest reminder
    offset any patient chose (read once a run: one query, not one a batch)."""
    return timedelta(minutes=reminder_offset_max_in_use())


def due_doses_claim(
    now: datetime,
    batch_size: int,
    *,
    after: ClaimPosition | None = None,
    ahead: timedelta | None = None,
) -> list[ClaimedDose]:
    """The minute's selection: pending rows whose next reminder time has come, locked (SKIP
    LOCKED: a second worker takes other rows) and moved on to their next reminder time in
    the same statement. Call inside a transaction: the outbox rows are written in it.

    `after`: the last position (due time, id) the run's previous batch claimed, so each batch
    starts where the last one stopped instead of reading again, on the index, the rows this
    run has already moved on (at the busy minute, 16,667 due rows in batches of 1,000 read
    the first batch's rows 17 times). A row passed over because another worker held it and
    then rolled back is claimed by the next minute's run. `ahead`: the largest reminder
    offset in use (doses due up to now + ahead may have a reminder now); read when not
    given."""
    if ahead is None:
        ahead = reminder_claim_ahead()
    if connection.vendor == "postgresql":
        return _claim_postgresql(now, batch_size, after, ahead)
    return _claim_portable(now, batch_size, ahead)


def reminder_window() -> timedelta:
    """How long after its due time a dose may still be reminded: its last follow-up (or a
    reminder that waited for quiet hours, or a snooze), plus the delay after which a late
    reminder is dropped rather than sent."""
    return remindable_span() + timedelta(minutes=settings.REMINDER_MAX_DELAY_MINUTES)


def quiet_hours_sql(at: str, zone: str, start: str, end: str) -> str:
    """reminder_rules.after_quiet_hours in SQL: `at` (a timestamptz expression), or the end of
    the quiet hours [start, end) it falls in, in the zone `zone` (start > end: across
    midnight)."""
    local = f"({at} AT TIME ZONE {zone})"
    return f"""CASE
        WHEN {start} IS NULL OR {end} IS NULL OR {start} = {end} OR {at} IS NULL THEN {at}
        WHEN {start} < {end} AND {local}::time >= {start} AND {local}::time < {end}
            THEN ({local}::date + {end}) AT TIME ZONE {zone}
        WHEN {start} > {end} AND {local}::time >= {start}
            THEN ({local}::date + 1 + {end}) AT TIME ZONE {zone}
        WHEN {start} > {end} AND {local}::time < {end}
            THEN ({local}::date + {end}) AT TIME ZONE {zone}
        ELSE {at} END"""


# The rows are found on the partial index of pending rows by due time: only doses due in the
# reminder window (the last follow-up plus REMINDER_MAX_DELAY_MINUTES) or up to the largest
# offset in use ahead can be reminded now; next_reminder_at, in no index, picks those whose
# next reminder has come. The rows are found again by ctid: locked by the selection, they
# cannot move before the update. The patient's settings the claim needs are on the row itself
# (follow-ups on or off, their interval, the quiet hours: written by the ledger's writer,
# rewritten by a change of settings and by a snooze), and so is the patient's account the
# reminder goes to (`patient_user`, written by the writer; a patient's account never changes
# once set): the patient is read only for a row written before the patient activated
# (COALESCE evaluates the lookup only when the row has none), and the account found is kept
# on the row, so its later reminders need no lookup (the column is in no index: the update
# stays HOT). The join it replaced was a third of a batch's time: four buffers a row on the
# patients' primary key. Of the reminders that have come since the row's next one, the
# latest is sent (reminder_rules.reminder_to_send), and the next is that one plus the
# interval, after quiet hours, while any is left and the dose can still be reminded
# (reminder_rules.next_reminder). The reminder to send (`attempt`) is worked out in
# the locking scan itself, from the row's own columns; the later steps are MATERIALIZED:
# inlined, each use of a step's column repeats its whole expression (the quiet-hours CASE
# uses the next time many times), which made the busy minute's claim a third slower than
# materialized (1,000 rows a batch: the materialized steps are small). Each step also costs
# a pass over its rows, which is why `attempt` has none of its own.
_CLAIM_DUE_REMINDERS_SQL = """
    WITH due AS (
        SELECT ctid AS tid, follow_ups_sent AS first_attempt, next_reminder_at AS reminder_at,
               due_at, time_zone, patient_id,
               COALESCE(follow_up_minutes, %(step_minutes)s) AS step_minutes,
               CASE WHEN follow_up_enabled THEN %(attempts)s ELSE 1 END AS attempts,
               quiet_start, quiet_end,
               follow_ups_sent + LEAST(
                   floor(date_part('epoch', %(now)s - next_reminder_at)
                         / (60 * COALESCE(follow_up_minutes, %(step_minutes)s)))::int,
                   GREATEST(CASE WHEN follow_up_enabled THEN %(attempts)s ELSE 1 END
                            - 1 - follow_ups_sent, 0)) AS attempt
        FROM {ledger}
        WHERE state = %(pending)s AND due_at >= %(oldest)s AND due_at <= %(newest)s
          {after}
          AND next_reminder_at IS NOT NULL AND next_reminder_at <= %(now)s
        ORDER BY due_at, id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    ), planned AS MATERIALIZED (
        SELECT due.*, due.reminder_at
                   + make_interval(mins => (due.attempt - due.first_attempt) * due.step_minutes)
                   AS sent_at,
               CASE WHEN due.attempt + 1 < due.attempts THEN due.reminder_at + make_interval(
                   mins => (due.attempt + 1 - due.first_attempt) * due.step_minutes) END
                   AS following
        FROM due
    ), moved AS MATERIALIZED (
        SELECT planned.*, {quiet} AS next_at FROM planned
    )
    UPDATE {ledger} AS row
    SET follow_ups_sent = moved.attempt + 1,
        next_reminder_at = CASE WHEN moved.next_at <= row.due_at + %(span)s
            THEN moved.next_at END,
        patient_user_id = COALESCE(row.patient_user_id,
                                   (SELECT patient.user_id FROM {patient} AS patient
                                    WHERE patient.id = row.patient_id))
    FROM moved
    WHERE row.ctid = moved.tid
    RETURNING row.patient_id::text, row.patient_user_id, row.local_date, row.slot,
              row.local_time,
              row.due_at::text, moved.attempt, moved.sent_at::text, row.id::text
"""
# A later batch of the same run: past the previous batch's last (due time, id), a range of
# the index (due_at, id) rather than a filter.
_AFTER_POSITION = "AND (due_at, id) > (%(after_due_at)s, %(after_id)s::uuid)"


def claim_sql(ledger: str, patient: str, *, after: bool) -> str:
    """The claim's statement on these (quoted) tables; the benchmark runs it on its own."""
    return _CLAIM_DUE_REMINDERS_SQL.format(
        ledger=ledger,
        patient=patient,
        quiet=quiet_hours_sql(
            "planned.following", "planned.time_zone", "planned.quiet_start", "planned.quiet_end"
        ),
        after=_AFTER_POSITION if after else "",
    )


def claim_parameters(now: datetime, batch_size: int, ahead: timedelta) -> dict[str, Any]:
    return {
        "pending": DoseState.PENDING.value,
        "now": now,
        "oldest": now - reminder_window(),
        "newest": now + ahead,
        "limit": batch_size,
        "step_minutes": settings.REMINDER_FOLLOW_UP_MINUTES,
        "attempts": settings.REMINDER_MAX_FOLLOW_UPS + 1,
        "span": remindable_span(),
    }


def _claim_postgresql(
    now: datetime, batch_size: int, after: ClaimPosition | None, ahead: timedelta
) -> list[ClaimedDose]:
    quote = connection.ops.quote_name
    sql = claim_sql(
        quote(ScheduledDose._meta.db_table), quote(Patient._meta.db_table), after=after is not None
    )
    parameters = claim_parameters(now, batch_size, ahead)
    if after is not None:
        parameters |= {"after_due_at": after.due_at, "after_id": after.id}
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        # Ids and the due instant come as text: psycopg builds a UUID and Django's loader a
        # timestamptz in Python (about 2 and 6 us each), which was half the busy minute's
        # claim; fromisoformat is C. A UUID's canonical text orders as the UUID does.
        return [
            ClaimedDose(
                patient,
                user,
                day,
                slot,
                wall_time,
                datetime.fromisoformat(due),
                attempt,
                datetime.fromisoformat(sent_at),
                key,
            )
            for patient, user, day, slot, wall_time, due, attempt, sent_at, key in (
                cursor.fetchall()
            )
        ]


def _claim_portable(
    now: datetime, batch_size: int, ahead: timedelta = timedelta(0)
) -> list[ClaimedDose]:
    """The same claim for SQLite (`make run`): one writer at a time, so no SKIP LOCKED; the
    rules in Python (reminder_rules), a row at a time, with the settings on the row."""
    rows = list(
        ScheduledDose.objects.filter(
            state=DoseState.PENDING,
            next_reminder_at__lte=now,
            due_at__gte=now - reminder_window(),
            due_at__lte=now + ahead,
        )
        .order_by("next_reminder_at")
        .values_list(
            "pk",
            "patient_id",
            "patient__user_id",
            "local_date",
            "slot",
            "local_time",
            "due_at",
            "time_zone",
            "next_reminder_at",
            "follow_ups_sent",
            *REMINDER_SETTINGS_ON_ROW,
        )[:batch_size]
    )
    claimed = []
    for pk, patient_id, user_id, day, slot, local_time, due_at, zone, at, sent, *on_row in rows:
        assert local_time is not None and due_at is not None and at is not None  # pending rows
        preference = preference_on_row(*on_row)
        attempt, sent_at = reminder_to_send(at, sent, now, preference)
        ScheduledDose.objects.filter(pk=pk).update(
            next_reminder_at=next_reminder(attempt, sent_at, due_at, zone, preference),
            follow_ups_sent=attempt + 1,
        )
        claimed.append(
            ClaimedDose(
                patient_id, user_id, day, slot, local_time, due_at, attempt, sent_at, str(pk)
            )
        )
    return claimed


def _queue(claimed: list[ClaimedDose], now: datetime) -> int:
    max_delay = timedelta(minutes=settings.REMINDER_MAX_DELAY_MINUTES)
    reminders = [
        OutboxItem(
            recipient_id=dose.user_id,
            kind="dose_reminder",
            payload={
                "date": dose.local_date.isoformat(),
                "slot": dose.slot,
                "local_time": dose.local_time.strftime("%H:%M"),
                "attempt": dose.attempt,
            },
            dedupe_key=(
                f"reminder:{dose.patient_id}:{dose.local_date.isoformat()}:{dose.slot}:"
                f"{dose.attempt}"
            ),
        )
        for dose in claimed
        # Nothing for a patient with no account yet (a logged dose's row is not pending, so
        # it is never claimed).
        if dose.user_id is not None
        # A reminder more than REMINDER_MAX_DELAY_MINUTES late (the worker was down) is dropped.
        and now - dose.reminder_at <= max_delay
    ]
    return outbox_enqueue_many(reminders)


# ---------------------------------------------------------------- the patient's settings


# Every pending row of the patient takes the new settings the claim reads on the row
# (REMINDER_SETTINGS_ON_ROW): a dose already reminded keeps its next reminder, and its
# follow-ups after it follow the new settings, as they did when the claim read the settings
# through a join. Those not reminded yet (due later, nothing sent; an active plan's) also get
# their first reminder as reminder_rules.first_reminder decides it: the first of the dose's
# reminder times (the dose time minus the offset, then every step) later than now, after
# quiet hours, none past the reminder span (then nothing sent: a later change may still give
# it one).
_RESCHEDULE_SQL = """
    WITH fresh AS (
        SELECT row.id, row.due_at, row.time_zone, first.k,
               COALESCE(plan.status = %(active)s AND row.due_at > %(now)s
                        AND row.follow_ups_sent = 0, false) AS renewed,
               row.due_at - %(offset)s + LEAST(first.k, %(attempts)s - 1) * %(step)s AS raw_at
        FROM {ledger} AS row
        JOIN {plan} AS plan ON plan.id = row.plan_id
        CROSS JOIN LATERAL (
            SELECT CASE WHEN row.due_at - %(offset)s > %(now)s THEN 0
                ELSE floor(extract(epoch FROM %(now)s - (row.due_at - %(offset)s))
                           / extract(epoch FROM %(step)s))::int + 1 END AS k
        ) AS first
        WHERE row.patient_id = %(patient)s AND row.state = %(pending)s
    ), shifted AS (
        SELECT fresh.*, CASE WHEN fresh.k < %(attempts)s THEN {quiet} END AS at FROM fresh
    )
    UPDATE {ledger} AS row
    SET next_reminder_at = CASE WHEN NOT shifted.renewed THEN row.next_reminder_at
            WHEN shifted.at <= shifted.due_at + %(span)s THEN shifted.at END,
        follow_ups_sent = CASE WHEN NOT shifted.renewed THEN row.follow_ups_sent
            WHEN shifted.k >= %(attempts)s THEN %(attempts)s
            WHEN shifted.at <= shifted.due_at + %(span)s THEN shifted.k ELSE 0 END,
        follow_up_enabled = %(follow_up_enabled)s,
        follow_up_minutes = %(follow_up_minutes)s,
        quiet_start = %(quiet_start)s::time,
        quiet_end = %(quiet_end)s::time,
        updated_at = %(now)s
    FROM shifted
    WHERE row.id = shifted.id
"""


def reminders_reschedule(
    *, patient_id: Any, preference: ReminderPreference, now: datetime | None = None
) -> int:
    """After the patient changed their reminder settings: their pending doses take the
    settings the claim reads on the row, and those not reminded yet get their first reminder
    by the new settings (one UPDATE on PostgreSQL). A dose already reminded keeps its next
    reminder. Returns the rows rewritten."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        return _reschedule_portable(patient_id, preference, now)
    quote = connection.ops.quote_name
    sql = _RESCHEDULE_SQL.format(
        ledger=quote(ScheduledDose._meta.db_table),
        plan=quote(TreatmentPlan._meta.db_table),
        quiet=quiet_hours_sql(
            "fresh.raw_at", "fresh.time_zone", "%(quiet_start)s::time", "%(quiet_end)s::time"
        ),
    )
    parameters: dict[str, Any] = {
        "offset": timedelta(minutes=preference.offset_minutes),
        "attempts": attempts_of(preference),
        "step": step_of(preference),
        "active": PlanStatus.ACTIVE.value,
        "now": now,
        "patient": patient_id,
        "pending": DoseState.PENDING.value,
        "span": remindable_span(),
        **reminder_settings_on_row(preference),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return int(cursor.rowcount)


def _reschedule_portable(patient_id: Any, preference: ReminderPreference, now: datetime) -> int:
    """SQLite (`make run`): the same rows, the rules in Python (a patient's few weeks)."""
    rows = list(
        ScheduledDose.objects.filter(patient_id=patient_id, state=DoseState.PENDING).select_related(
            "plan"
        )
    )
    on_row = reminder_settings_on_row(preference)
    for row in rows:
        if (
            row.plan.status == PlanStatus.ACTIVE
            and row.due_at is not None
            and row.due_at > now
            and row.follow_ups_sent == 0
        ):
            row.next_reminder_at, row.follow_ups_sent = first_reminder(
                row.due_at, now, row.time_zone, preference
            )
        for field, value in on_row.items():
            setattr(row, field, value)
        row.updated_at = now
    ScheduledDose.objects.bulk_update(
        rows,
        ["next_reminder_at", "follow_ups_sent", *REMINDER_SETTINGS_ON_ROW, "updated_at"],
        batch_size=500,
    )
    return len(rows)


# ---------------------------------------------------------------- snooze


class DoseNotFound(Exception):
    """No dose of this patient on that day and slot."""


def dose_reminder_snooze(
    *, patient: Patient, local_date: date, slot: int, minutes: int, now: datetime | None = None
) -> ScheduledDose:
    """ "Remind me in N minutes": the pending dose's next reminder is now + minutes (the
    follow-ups after it count from there). Calling it again does the same (one next reminder,
    never two); the reminder it brings is a message of its own (the next attempt number).
    The dose's reminders shown in the app are marked seen. Conflict (409) when the dose is
    logged, not remindable (on hold, its plan stopped, no dose time) or would be reminded
    after its reminder window."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            ScheduledDose.objects.select_for_update()
            .select_related("plan")
            .filter(patient=patient, local_date=local_date, slot=slot)
            .first()
        )
        if row is None:
            raise DoseNotFound()
        if row.state in LOGGED_STATES:
            raise Conflict("slot", "This dose is already logged: there is nothing to remind.")
        if (
            row.state != DoseState.PENDING
            or row.due_at is None
            or row.plan.status != PlanStatus.ACTIVE
        ):
            raise Conflict("slot", "This dose is not reminded (on hold or no longer planned).")
        at = now + timedelta(minutes=minutes)
        if at > row.due_at + remindable_span():
            raise Conflict(
                "minutes",
                "Too late to remind this dose then; log it now, or see the advice for a late dose.",
            )
        row.next_reminder_at = at
        # The claim reads the settings on the row: an undone dose's row kept the settings of
        # when it was logged (a change of settings rewrites pending rows only).
        preference = reminder_preferences({patient.pk}).get(patient.pk, DEFAULT_REMINDER_PREFERENCE)
        for field, value in reminder_settings_on_row(preference).items():
            setattr(row, field, value)
        row.updated_at = now
        row.save(update_fields=["next_reminder_at", *REMINDER_SETTINGS_ON_ROW, "updated_at"])
        if patient.user_id is not None:
            reminders_mark_seen(user_id=patient.user_id, date=local_date, slot=slot, now=now)
    return row


def snooze_minutes_valid(minutes: int) -> bool:
    """A snooze of 1 minute up to the reminder span."""
    return 1 <= minutes <= remindable_span().total_seconds() // 60

"""The worker's two cohort-wide jobs at 100,000 patients (bench/many_plans.py):

- reminder selection at the busiest minute (every Madrid dose due at 08:00): the claim
  dose_reminders_enqueue runs on the dose ledger, batch after batch, until every due dose is
  taken; beside PostgreSQL reading the same due row ids in one plain indexed query (the
  baseline);
- the missed-dose sweep over the whole cohort, beside one plain UPDATE marking exactly the
  same pending rows missed (the baseline, rolled back)."""

import statistics
import time
from datetime import datetime

from django.db import connection, transaction

from .common import Result, median_seconds
from .many_plans import busy_minute, ensure_plans, reset_state

REMINDER_TARGET_SECONDS = 0.2  # issue 20
SWEEP_TARGET_SECONDS = 1.0  # issue 20


def _select_due(now: datetime, batch_size: int = 1000) -> tuple[int, float]:
    """The reminder job's own selection (services/reminders.py due_doses_claim: the due
    ledger rows claimed with FOR UPDATE SKIP LOCKED and moved on to their next follow-up in
    one statement), batch after batch as the job takes them. Returns the doses taken and the
    seconds spent in the claim calls (the claim includes its own marking). All rolled back at
    the end."""
    from backend.adherence.services.reminders import due_doses_claim, reminder_claim_ahead

    seen = 0
    selecting = 0.0
    after = None
    with transaction.atomic():
        ahead = reminder_claim_ahead()  # once a run, as dose_reminders_enqueue reads it
        while True:
            started = time.perf_counter()
            claimed = due_doses_claim(now, batch_size, after=after, ahead=ahead)
            selecting += time.perf_counter() - started
            seen += len(claimed)
            if len(claimed) < batch_size:
                break
            after = max(dose.position for dose in claimed)  # as dose_reminders_enqueue does
        transaction.set_rollback(True)
    return seen, selecting


def _due_query_only(now: datetime) -> int:
    """The selection's rows alone, read through the ORM on the partial index, unlocked."""
    from backend.adherence.models import ScheduledDose
    from backend.adherence.services.reminders import reminder_window

    return len(
        ScheduledDose.objects.filter(
            state="pending",
            due_at__gte=now - reminder_window(),
            due_at__lte=now,
            next_reminder_at__lte=now,
        )
        .order_by("due_at")
        .values_list("pk", "patient_id", "local_date", "slot", "due_at")
    )


def _baseline_due(now: datetime) -> int:
    """One plain indexed SELECT of the due ledger rows' ids (the claim's own predicate)."""
    from backend.adherence.services.reminders import reminder_window

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM adherence_scheduleddose WHERE state = 'pending' "
            "AND due_at >= %s AND due_at <= %s "
            "AND next_reminder_at IS NOT NULL AND next_reminder_at <= %s",
            [now - reminder_window(), now, now],
        )
        return len(cursor.fetchall())


def _baseline_sweep(now: datetime) -> int:
    """The same rows the sweep marks (the pending ledger rows past their grace), marked by one
    plain UPDATE on the partial index (no batches, no SKIP LOCKED), then rolled back."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE adherence_scheduleddose SET state = 'missed', next_reminder_at = NULL,
                logged_at = now(), updated_at = now()
            WHERE state = 'pending' AND missed_after IS NOT NULL AND missed_after <= %s
            """,
            [now],
        )
        written = cursor.rowcount
        transaction.set_rollback(True)
    return written


def run(patients: int = 100_000, repeat: int = 3) -> list[Result]:
    from django.utils import timezone

    from backend.adherence.services.missed_doses import doses_mark_missed
    from backend.adherence.services.reminders import dose_reminders_enqueue

    today = timezone.now().date()
    total = ensure_plans(patients, today)
    now = busy_minute(today)

    reset_state(today)
    due, _ = _select_due(now)  # warm
    ours = statistics.median(_select_due(now)[1] for _ in range(repeat))
    one_call = statistics.median(
        _select_due(now, batch_size=10 * patients)[1] for _ in range(repeat)
    )
    baseline, _ = median_seconds(lambda: _baseline_due(now), repeat)
    query_only, _ = median_seconds(lambda: _due_query_only(now), repeat)
    # The whole job, timed alone: reset_state (with its VACUUM ANALYZE of the tables the
    # repetitions churn, the 9.6-million-row ledger among them) used to be inside this figure.
    reset_state(today)
    started = time.perf_counter()
    dose_reminders_enqueue(now)
    enqueue_seconds = time.perf_counter() - started
    reminders = Result(
        name="reminder selection (busy minute)",
        figure=round(ours, 4),
        unit="s",
        baseline=round(baseline, 4),
        baseline_what="one plain indexed SELECT of the due ledger row ids",
        target=f"< {REMINDER_TARGET_SECONDS} s for {patients} patients",
        met=ours < REMINDER_TARGET_SECONDS,
        higher_is_better=False,
        details={
            "patients": total,
            "due_doses": due,
            "batches_of": 1000,
            "all_due_in_one_call_seconds": round(one_call, 4),
            "due_query_sql_only_seconds": round(query_only, 4),
            "whole_job_seconds_incl_outbox_rows": round(enqueue_seconds, 2),
        },
    )

    # The sweep at 07:00 UTC the day after: yesterday's 08:00 doses are past their grace.
    sweep_now = timezone.now().replace(hour=7, minute=0, second=0, microsecond=0)

    reset_state(today)
    written = doses_mark_missed(sweep_now)
    runs = []
    for _ in range(repeat):
        reset_state(today)
        started = time.perf_counter()
        doses_mark_missed(sweep_now)
        runs.append(time.perf_counter() - started)
    seconds = statistics.median(runs)
    reset_state(today)
    baseline_rows = _baseline_sweep(sweep_now)
    baseline_seconds, _ = median_seconds(lambda: _baseline_sweep(sweep_now), repeat)
    reset_state(today)
    sweep_result = Result(
        name="missed-dose sweep (whole cohort)",
        figure=round(seconds, 4),
        unit="s",
        baseline=round(baseline_seconds, 4),
        baseline_what="one plain UPDATE of the same pending rows (rolled back)",
        target=f"< {SWEEP_TARGET_SECONDS} s for {patients} patients",
        met=seconds < SWEEP_TARGET_SECONDS,
        higher_is_better=False,
        details={
            "plans_swept": connection.cursor()
            .execute("SELECT count(*) FROM adherence_treatmentplan WHERE status = 'active'")
            .fetchone()[0],
            "missed_rows_written": written,
            "baseline_rows": baseline_rows,
            "runs": [round(value, 2) for value in runs],
        },
    )
    return [reminders, sweep_result]

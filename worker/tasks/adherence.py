from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.adherence.services.ledger import ledger_extend
from backend.adherence.services.missed_doses import doses_mark_missed
from backend.adherence.services.plans import plans_complete_finished, plans_ending_soon_notify
from backend.adherence.services.reminders import dose_reminders_enqueue
from worker.base import task
from worker.queues import DEFAULT, REMINDERS


@task(
    name="worker.adherence.mark_missed_doses",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def mark_missed_doses() -> int:
    """Idempotent: the unique (patient, date, slot) key and each plan's cursor mean a rerun,
    or a run after a crash half-way, writes nothing twice."""
    return doses_mark_missed(timezone.now())


@task(
    name="worker.adherence.complete_finished_plans",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def complete_finished_plans() -> int:
    """Idempotent: only active plans change, and the closing message has a dedupe key."""
    return plans_complete_finished(timezone.now())


@task(
    name="worker.adherence.notify_plans_ending",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=600,
)
def notify_plans_ending() -> int:
    """Idempotent: one outbox row per plan, end date and coordinator (dedupe key)."""
    return plans_ending_soon_notify(timezone.now())


@task(
    name="worker.adherence.queue_dose_reminders",
    queue=REMINDERS,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=55,
)
def queue_dose_reminders() -> int:
    """Idempotent: each reminder is an outbox row with a (patient, date, slot, attempt) key."""
    return dose_reminders_enqueue(timezone.now())


@task(
    name="worker.adherence.extend_dose_ledger",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=1800,
)
def extend_dose_ledger() -> int:
    """Idempotent: rows are inserted on the unique (patient, date, slot) key, and each plan's
    ledger_through says how far it is written, so a rerun or a run after days down only
    writes what is missing."""
    return ledger_extend(timezone.now())

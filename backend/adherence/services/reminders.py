"""Dose reminders: at each dose's local time, then follow-ups while it is not logged.

The minute's selection is one indexed query (plans whose reminder_next_at has come); the work
after it is proportional to the plans due, not to all patients. Each reminder is an outbox row
whose dedupe key is (patient, date, slot, attempt), so a rerun or a crash half-way never sends
one twice. Nothing is scheduled ahead with ETA/countdown: the database is the clock.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.notifications.services import OutboxItem, outbox_enqueue_many

from ..models import DoseLog, PlanStatus, TreatmentPlan
from ..schedule import ScheduledDose
from ..selectors.plan_schedules import PlanSchedule, plan_schedules

# Every plan is looked at again within this time even when no dose is due, so a change the
# services did not announce (a zone change from tomorrow, say) is picked up in time.
REVISIT_AT_LEAST_EVERY = timedelta(hours=1)


def reminders_replan(plan: TreatmentPlan) -> None:
    """After a change to the plan's doses (created, revised, held, stopped): look again now."""
    TreatmentPlan.objects.filter(pk=plan.pk).update(reminder_next_at=timezone.now())


def dose_reminders_enqueue(now: datetime, *, batch_size: int = 1000) -> int:
    """Queue every reminder due since each plan's last run. Returns how many were queued."""
    queued = 0
    while True:
        with transaction.atomic():
            plans = due_plans_locked(now, batch_size)
            if not plans:
                return queued
            queued += _handle_batch(plans, now)


def due_plans_locked(now: datetime, batch_size: int) -> list[PlanSchedule]:
    """The minute's selection: plans whose reminder_next_at has come, locked (SKIP LOCKED, so
    two runs never take the same plan), with their schedules read as rows (four queries a
    batch). Call inside a transaction."""
    return plan_schedules(
        TreatmentPlan.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=PlanStatus.ACTIVE, reminder_next_at__lte=now)
        .order_by("reminder_next_at")[:batch_size],
        # Reminders are due after this instant: the last run, or the plan's creation.
        progress=Coalesce("reminders_handled_through", "created_at"),
    )


def _events(dose: ScheduledDose) -> list[tuple[int, datetime]]:
    step = timedelta(minutes=settings.REMINDER_FOLLOW_UP_MINUTES)
    return [
        (attempt, dose.due_at + attempt * step)
        for attempt in range(settings.REMINDER_MAX_FOLLOW_UPS + 1)
    ]


def _handle_batch(plans: list[PlanSchedule], now: datetime) -> int:
    max_delay = timedelta(minutes=settings.REMINDER_MAX_DELAY_MINUTES)
    due: list[tuple[PlanSchedule, ScheduledDose, int]] = []
    # Plans by the next time to look at them: a batch has a few distinct times (the next
    # follow-up, the next dose, the hourly revisit), so a few UPDATEs, not one per plan.
    plans_by_next_at: dict[datetime, list[object]] = defaultdict(list)
    for plan in plans:
        since = plan.progress
        today = plan.local_today(now)
        next_at = now + REVISIT_AT_LEAST_EVERY
        for dose in plan.doses(today - timedelta(days=1), today + timedelta(days=2)):
            if dose.on_hold:
                continue
            for attempt, at in _events(dose):
                if since < at <= now and now - at <= max_delay:
                    due.append((plan, dose, attempt))
                elif at > now:
                    next_at = min(next_at, at)
        plans_by_next_at[next_at].append(plan.plan_id)
    logged = (
        set(
            DoseLog.objects.filter(
                patient_id__any_of={plan.patient_id for plan, _, _ in due},
                scheduled_date__in={dose.date for _, dose, _ in due},
            )
            .order_by()
            .values_list("patient_id", "scheduled_date", "slot")
        )
        if due
        else set()
    )
    reminders = [
        OutboxItem(
            recipient_id=plan.user_id,
            kind="dose_reminder",
            payload={
                "date": dose.date.isoformat(),
                "slot": dose.slot,
                "local_time": dose.local_time.strftime("%H:%M"),
                "attempt": attempt,
            },
            dedupe_key=f"reminder:{plan.patient_id}:{dose.date.isoformat()}:{dose.slot}:{attempt}",
        )
        for plan, dose, attempt in due
        # Nothing after the dose is logged, and nothing for a patient with no account yet.
        if plan.user_id is not None and (plan.patient_id, dose.date, dose.slot) not in logged
    ]
    queued = outbox_enqueue_many(reminders)
    for next_at, plan_ids in plans_by_next_at.items():
        TreatmentPlan.objects.filter(pk__any_of=set(plan_ids)).update(
            reminders_handled_through=now, reminder_next_at=next_at
        )
    return queued

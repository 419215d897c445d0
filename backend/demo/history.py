"""A believable dose history for a demo patient: mostly taken on time, some late, a few
skipped or missed (with a short missed streak), and one hold."""

import random
from datetime import date, timedelta

from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.adherence.models import DoseState, ScheduledDose, TreatmentPlan


def dose_history_create(
    *,
    plan: TreatmentPlan,
    patient: Patient,
    user: User,
    until: date,
    adherence: float,
    seed: int,
    current_streak: bool = False,
) -> int:
    """Logs for every scheduled, not-held dose from the plan's start to `until`, written on
    the plan's dose ledger rows (the plan's service wrote them). Deterministic for a seed, so
    every `make run` shows the same picture."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    # A three-day missed streak: some weeks ago, or ending yesterday (an open alert).
    streak_start = until - timedelta(days=2 if current_streak else rng.randint(12, 20))
    now = timezone.now()
    rows = list(
        ScheduledDose.objects.filter(
            patient=patient,
            plan=plan,
            state=DoseState.PENDING,
            local_date__gte=plan.start_date,
            local_date__lte=until,
        ).order_by("local_date", "slot")
    )
    for row in rows:
        in_streak = streak_start <= row.local_date < streak_start + timedelta(days=3)
        roll = rng.random()
        row.logged_at = row.updated_at = now
        row.next_reminder_at = None
        if in_streak or roll > adherence + 0.04:
            row.state = DoseState.MISSED
        elif roll > adherence:
            row.state = DoseState.SKIPPED
            row.skip_reason = rng.choice(["side_effects", "forgot", "travel"])
            row.recorded_by = user
        else:
            late = rng.random() < 0.08
            minutes = rng.randint(150, 300) if late else rng.randint(-20, 45)
            row.state = DoseState.TAKEN
            assert row.due_at is not None  # set on every scheduled row
            row.taken_at = row.due_at + timedelta(minutes=minutes)
            row.late = late
            row.recorded_by = user
    ScheduledDose.objects.bulk_update(
        rows,
        [
            "state",
            "taken_at",
            "late",
            "skip_reason",
            "recorded_by",
            "logged_at",
            "next_reminder_at",
            "updated_at",
        ],
        batch_size=500,
    )
    return len(rows)

"""A believable dose history for a demo patient: mostly taken on time, some late, a few
skipped or missed (with a short missed streak), and one hold."""

import random
from datetime import date, datetime, timedelta

from backend.accounts.models import Patient, User
from backend.adherence.models import DoseLog, DoseStatus, TreatmentPlan
from backend.adherence.selectors.doses import plan_doses, zone_periods
from backend.adherence.services.ledger import ledger_mirror_logs


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
    """Logs for every scheduled, not-held dose from the plan's start to `until`. Deterministic
    for a seed, so every `make run` shows the same picture."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    zones = zone_periods(patient)
    # A three-day missed streak: some weeks ago, or ending yesterday (an open alert).
    streak_start = until - timedelta(days=2 if current_streak else rng.randint(12, 20))
    logs = []
    for dose in plan_doses(plan, zones, plan.start_date, until):
        if dose.on_hold:
            continue
        in_streak = streak_start <= dose.date < streak_start + timedelta(days=3)
        roll = rng.random()
        if in_streak or roll > adherence + 0.04:
            logs.append(_log(plan, patient, dose.date, dose.slot, DoseStatus.MISSED))
        elif roll > adherence:
            reason = rng.choice(["side_effects", "forgot", "travel"])
            logs.append(
                _log(
                    plan,
                    patient,
                    dose.date,
                    dose.slot,
                    DoseStatus.SKIPPED,
                    skip_reason=reason,
                    user=user,
                )
            )
        else:
            late = rng.random() < 0.08
            minutes = rng.randint(150, 300) if late else rng.randint(-20, 45)
            taken_at = dose.due_at + timedelta(minutes=minutes)
            logs.append(
                _log(
                    plan,
                    patient,
                    dose.date,
                    dose.slot,
                    DoseStatus.TAKEN,
                    taken_at=taken_at,
                    late=late,
                    user=user,
                )
            )
    DoseLog.objects.bulk_create(logs, ignore_conflicts=True)
    ledger_mirror_logs(patient.pk)  # the logs were written around the services
    plan.missed_checked_through = until
    plan.save(update_fields=["missed_checked_through"])
    return len(logs)


def _log(
    plan: TreatmentPlan,
    patient: Patient,
    day: date,
    slot: int,
    status: str,
    *,
    taken_at: datetime | None = None,
    late: bool = False,
    skip_reason: str = "",
    user: User | None = None,
) -> DoseLog:
    return DoseLog(
        plan=plan,
        patient=patient,
        scheduled_date=day,
        slot=slot,
        status=status,
        taken_at=taken_at,
        late=late,
        skip_reason=skip_reason,
        recorded_by=user if status != DoseStatus.MISSED else None,
    )

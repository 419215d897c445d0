"""Reads for tablet supply. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to (or the signed-in patient's own record).

Tablets left = the latest count, per strength, minus the tablets of the doses the ledger has as
taken after it was counted. Days left = for each strength the regimen uses, the whole days of
full doses those tablets make (rounded down: 13 tablets at 2 a day are 6 days, not 6.5); the
supply lasts as long as the strength that runs out first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from backend.accounts.models import Patient
from backend.adherence.selectors.tablets import Regimen, active_regimens, tablets_taken_since

from .models import TabletSupply


@dataclass(frozen=True)
class StrengthSupply:
    strength_mg: int
    counted: int | None  # on hand at the count (None: this strength was not counted)
    taken_since: int  # tablets of the doses logged taken since the count
    left: int | None  # counted - taken, never below 0
    per_dose: int  # tablets of this strength in one dose of the regimen in force (0: unused)
    per_day: int
    days_left: int | None


@dataclass(frozen=True)
class SupplyStatus:
    supply: TabletSupply | None  # the latest count
    regimen: Regimen | None  # None: no active plan
    strengths: tuple[StrengthSupply, ...]
    days_left: int | None  # None: no count, no active plan, or a strength in use not counted
    reminder_days: int  # REFILL_REMINDER_DAYS_LEFT

    @property
    def running_low(self) -> bool:
        return self.days_left is not None and self.days_left <= self.reminder_days


def supply_compute(
    counts: Mapping[int, int] | None, taken: Mapping[int, int], regimen: Regimen | None
) -> tuple[tuple[StrengthSupply, ...], int | None]:
    """The per-strength supply and the days it lasts (see the module's docstring)."""
    per_dose = {t.strength_mg: t.count for t in regimen.tablets_per_dose} if regimen else {}
    per_day = regimen.tablets_per_day() if regimen else {}
    strengths = sorted(set(per_dose) | set(counts or {}))
    rows: list[StrengthSupply] = []
    for strength in strengths:
        counted = (counts or {}).get(strength)
        used = taken.get(strength, 0)
        left = max(counted - used, 0) if counted is not None else None
        daily = per_day.get(strength, 0)
        days = left // daily if left is not None and daily else None
        rows.append(
            StrengthSupply(strength, counted, used, left, per_dose.get(strength, 0), daily, days)
        )
    in_use = [row for row in rows if row.per_day]
    days_left: int | None = None
    if counts is not None and in_use and all(row.days_left is not None for row in in_use):
        days_left = min(row.days_left for row in in_use if row.days_left is not None)
    return tuple(rows), days_left


def supply_counts(supply: TabletSupply) -> dict[int, int]:
    return {int(strength): int(count) for strength, count in supply.counts.items()}


def supply_latest(patient: Patient) -> TabletSupply | None:
    return (
        TabletSupply.objects.filter(patient=patient)
        .select_related("recorded_by")
        .order_by("-counted_at", "-created_at")
        .first()
    )


def supply_status(patient: Patient, now: datetime | None = None) -> SupplyStatus:
    """The patient's supply as of now: the latest count, what is left, how long it lasts."""
    now = now or timezone.now()
    supply = supply_latest(patient)
    regimen = active_regimens([patient.pk], now).get(patient.pk)
    taken: Mapping[int, int] = {}
    if supply is not None:
        taken = tablets_taken_since({patient.pk: supply.counted_at}).get(patient.pk, {})
    rows, days_left = supply_compute(supply_counts(supply) if supply else None, taken, regimen)
    return SupplyStatus(
        supply=supply,
        regimen=regimen,
        strengths=rows,
        days_left=days_left if regimen else None,
        reminder_days=settings.REFILL_REMINDER_DAYS_LEFT,
    )

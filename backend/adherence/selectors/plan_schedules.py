"""The schedules of many plans at once, read as plain rows, never model instances: the
worker's cohort-wide jobs (reminders at the busy minute, the missed-dose sweep) take up to
100,000 plans, where building models and prefetching their related rows cost 0.4 ms a plan
(docs/performance.md); the dose POST reads one patient's plans the same way. The rules are
the same functions every other read uses: the schedule (adherence.dose_schedule), the zone
periods (accounts.selectors) and the last dose day (selectors.doses.last_dose_date)."""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from django.db.models import DateField, QuerySet, TextField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast

from backend.accounts.selectors import local_today_in, zone_periods_of_patients

from ..dose_schedule import RegimenPeriod, ScheduledDose, ZonePeriod, scheduled_doses
from ..exposure import DateSpan
from ..models import PlanHold, PlanRevision, TreatmentPlan
from .doses import last_dose_date

_PLAN_COLUMNS = (
    "pk",
    "patient_id",
    "patient__user_id",
    "patient__time_zone",
    "status",
    "start_date",
    "planned_end_date",
    "stopped_at",
)


@dataclass(frozen=True, slots=True)
class PlanSchedule:
    """One plan with what its doses depend on: revisions, holds and the patient's zones."""

    plan_id: Any
    patient_id: Any
    user_id: int | None  # the patient's account; None before activation
    status: str
    start_date: date
    planned_end_date: date | None
    stopped_at: datetime | None
    # The calling job's own progress marker for this plan (reminders: handled through; the
    # sweep: checked through), read in the same query. Only what the job needs is read: each
    # timestamp column costs microseconds a row to load, and a sweep reads 100,000 rows.
    progress: Any
    regimens: tuple[RegimenPeriod, ...]
    holds: tuple[DateSpan, ...]
    zone_periods: tuple[tuple[date, str], ...]  # accounts.selectors' (first day, zone) form
    # The PlanRevision ids of `regimens`, in the same order (by revision number).
    revision_ids: tuple[int, ...] = ()

    def local_today(self, instant: datetime) -> date:
        return local_today_in(list(self.zone_periods), instant)

    def last_dose_date(self) -> date | None:
        return last_dose_date(
            self.planned_end_date, self.status, self.stopped_at, list(self.zone_periods)
        )

    def revision_on(self, day: date) -> int | None:
        """The id of the revision in force on `day`, as scheduled_doses picks it (the latest
        effective date on or before it; a tie goes to the later revision)."""
        chosen = None
        for period, revision_id in sorted(
            zip(self.regimens, self.revision_ids, strict=True), key=_effective_date
        ):
            if period.effective_date > day:
                break
            chosen = revision_id
        return chosen

    def doses(self, first: date, last: date) -> list[ScheduledDose]:
        return scheduled_doses(
            start=self.start_date,
            end=self.last_dose_date(),
            regimens=self.regimens,
            holds=self.holds,
            zones=[ZonePeriod(day, zone) for day, zone in self.zone_periods],
            first=first,
            last=last,
        )


def _effective_date(item: tuple[RegimenPeriod, int]) -> date:
    return item[0].effective_date


def _number(item: tuple[int, RegimenPeriod, int]) -> int:
    return item[0]


@lru_cache(maxsize=1024)  # a cohort has a handful of distinct regimens
def _dose_times(times_json: str) -> tuple[time, ...]:
    return tuple(time.fromisoformat(value) for value in json.loads(times_json))


def plan_schedules(
    plans: QuerySet[TreatmentPlan], progress: str | Combinable | None = None
) -> list[PlanSchedule]:
    """The plans of `plans` (its order, limits and locks kept) with their schedules and the
    column or expression `progress`: four queries whatever their number (plans, revisions,
    holds, zone changes)."""
    columns = (
        (*_PLAN_COLUMNS, progress)
        if progress is not None
        else (*_PLAN_COLUMNS, Value(None, output_field=DateField()))
    )
    rows = list(plans.values_list(*columns))
    if not rows:
        return []
    plan_ids = {row[0] for row in rows}
    regimens: dict[Any, list[tuple[int, RegimenPeriod, int]]] = defaultdict(list)
    for plan_id, number, effective_date, times, revision_id in (
        PlanRevision.objects.filter(plan_id__any_of=plan_ids)
        .order_by()
        # As text: a cohort has a handful of distinct regimens, parsed once each (_dose_times).
        .values_list("plan_id", "number", "effective_date", Cast("dose_times", TextField()), "id")
    ):
        regimens[plan_id].append(
            (number, RegimenPeriod(effective_date, _dose_times(times)), revision_id)
        )
    holds: dict[Any, list[DateSpan]] = defaultdict(list)
    for plan_id, first, last in (
        PlanHold.objects.filter(plan_id__any_of=plan_ids)
        .order_by()
        .values_list("plan_id", "start_date", "end_date")
    ):
        holds[plan_id].append(DateSpan(first, last))
    zones = zone_periods_of_patients({row[1]: row[3] for row in rows})
    for periods in regimens.values():
        periods.sort(key=_number)
    return [
        PlanSchedule(
            plan_id=plan_id,
            patient_id=patient_id,
            user_id=user_id,
            status=status,
            start_date=start_date,
            planned_end_date=planned_end_date,
            stopped_at=stopped_at,
            progress=progress_value,
            regimens=tuple(period for _, period, _ in regimens.get(plan_id, [])),
            holds=tuple(holds.get(plan_id, [])),
            zone_periods=tuple(zones[patient_id]),
            revision_ids=tuple(revision_id for _, _, revision_id in regimens.get(plan_id, [])),
        )
        for (
            plan_id,
            patient_id,
            user_id,
            _time_zone,
            status,
            start_date,
            planned_end_date,
            stopped_at,
            progress_value,
        ) in rows
    ]

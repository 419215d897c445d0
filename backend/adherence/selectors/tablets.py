"""The tablets the dose ledger says were taken, and the regimen in force, for tablet supply
counts (backend.refills). Read from the ledger each time, never from a counter: an undone or
corrected log changes the answer at once, and no dose is counted twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from backend.common.time import local_date
from backend.guidelines.tablets import TABLET_STRENGTHS_MG, TabletCount, tablets_for_dose

from ..models import DoseState, PlanRevision, PlanStatus, ScheduledDose, TreatmentPlan

# Patients per statement of the cohort-wide reads (one OR of (patient, since) pairs each).
_BATCH = 500


@dataclass(frozen=True)
class Regimen:
    """The regimen in force for a patient: the dose as tablets and how many doses a day."""

    revision_id: int
    dose_mg_per_dose: int
    doses_per_day: int
    strengths_mg: tuple[int, ...]
    tablets_per_dose: tuple[TabletCount, ...]

    def tablets_per_day(self) -> dict[int, int]:
        return {t.strength_mg: t.count * self.doses_per_day for t in self.tablets_per_dose}


def revision_tablets(revision: PlanRevision) -> tuple[TabletCount, ...]:
    """One dose of this revision as tablets of its strengths (docs/clinical-facts.md §2.6); a
    revision written before strengths were recorded uses the fewest tablets of 100/400 mg."""
    per_dose = revision.dose_mg_per_dose
    made = tablets_for_dose(per_dose, revision.tablet_strengths_mg or TABLET_STRENGTHS_MG)
    if made is None:
        made = tablets_for_dose(per_dose, TABLET_STRENGTHS_MG)
    return made or ()


def _regimen(revision: PlanRevision) -> Regimen:
    tablets = revision_tablets(revision)
    return Regimen(
        revision_id=revision.pk,
        dose_mg_per_dose=revision.dose_mg_per_dose,
        doses_per_day=revision.doses_per_day,
        strengths_mg=tuple(sorted(t.strength_mg for t in tablets)),
        tablets_per_dose=tablets,
    )


def active_regimens(patient_ids: Iterable[Any], now: datetime | None = None) -> dict[Any, Regimen]:
    """Each patient's regimen in force today (their local today), for patients with an active
    plan; two statements whatever the number of patients."""
    now = now or timezone.now()
    ids = list(patient_ids)
    regimens: dict[Any, Regimen] = {}
    if not ids:
        return regimens
    plans = (
        TreatmentPlan.objects.filter(patient_id__in=ids, status=PlanStatus.ACTIVE)
        .select_related("patient")
        .prefetch_related("revisions")
        .order_by("patient_id", "-start_date", "-created_at")
    )
    for plan in plans:
        if plan.patient_id in regimens:
            continue
        today = max(local_date(now, plan.patient.time_zone), plan.start_date)
        revisions = sorted(plan.revisions.all(), key=lambda r: r.number)
        in_force = [r for r in revisions if r.effective_date <= today] or revisions[:1]
        if in_force:
            regimens[plan.patient_id] = _regimen(in_force[-1])
    return regimens


def tablets_taken_since(since_by_patient: Mapping[Any, datetime]) -> dict[Any, dict[int, int]]:
    """Per patient, the tablets (by strength in mg) of the doses the ledger has as TAKEN with a
    taken_at after that patient's instant. One grouped statement per batch of patients."""
    taken: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    pairs = list(since_by_patient.items())
    groups: list[dict[str, Any]] = []
    for start in range(0, len(pairs), _BATCH):
        where = Q()
        for patient_id, since in pairs[start : start + _BATCH]:
            where |= Q(patient_id=patient_id, taken_at__gt=since)
        groups.extend(
            dict(row)
            for row in ScheduledDose.objects.filter(where, state=DoseState.TAKEN)
            .values("patient_id", "plan_id", "revision_id")
            .annotate(doses=Count("pk"))
            .order_by()
        )
    revisions = PlanRevision.objects.in_bulk({g["revision_id"] for g in groups} - {None})
    # A row with no revision (a dose outside the schedule's regimens): its plan's latest.
    latest = {
        r.plan_id: r
        for r in PlanRevision.objects.filter(
            plan_id__in={g["plan_id"] for g in groups if g["revision_id"] is None}
        ).order_by("plan_id", "number")
    }
    for group in groups:
        revision = revisions.get(group["revision_id"]) or latest.get(group["plan_id"])
        if revision is None:
            continue
        for tablet in revision_tablets(revision):
            taken[group["patient_id"]][tablet.strength_mg] += tablet.count * group["doses"]
    return {patient_id: dict(by_strength) for patient_id, by_strength in taken.items()}

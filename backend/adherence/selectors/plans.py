"""Reads for treatment plans. Callers pass a patient already scoped by
accounts.selectors.patients_visible_to."""

from dataclasses import dataclass, replace
from datetime import date

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_local_today, patient_time_zone_at
from backend.common.time import local_date
from backend.guidelines.symptoms import SOURCES

from ..exposure import DateSpan, Exposure, plan_exposure
from ..models import PlanHold, PlanRevision, PlanStatus, TreatmentPlan


def plan_current(patient: Patient) -> TreatmentPlan | None:
    """The active plan, else the most recent one (completed or stopped)."""
    return (
        TreatmentPlan.objects.filter(patient=patient)
        .annotate(
            active_first=Case(
                When(status=PlanStatus.ACTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("active_first", "-start_date", "-created_at")
        .prefetch_related("revisions", "holds")
        .first()
    )


def plans_of_patient(patient: Patient) -> list[TreatmentPlan]:
    return list(
        TreatmentPlan.objects.filter(patient=patient)
        .order_by("-start_date", "-created_at")
        .prefetch_related("revisions", "holds")
    )


def revision_tablets_per_dose(revision: PlanRevision) -> list[dict[str, int]]:
    """One dose of the regimen as tablets of the strengths it records, largest first
    ({strength_mg, count}; empty if they cannot make it), as the patient app shows it (§2.6)."""
    return [{"strength_mg": t.strength_mg, "count": t.count} for t in revision.tablets_per_dose]


def plan_hold_of_plan(plan: TreatmentPlan, hold_id: int) -> PlanHold | None:
    return PlanHold.objects.filter(plan=plan, pk=hold_id).first()


@dataclass(frozen=True)
class PlanSummary:
    """What a nurse or the patient sees of a plan on a given local day."""

    plan: TreatmentPlan
    state: str  # active | on_hold | completed | stopped
    today: date
    day_of_plan: int | None  # "day X" (None before the start or after the end)
    total_days: int | None  # "of Y" (None when indefinite)
    current_revision: PlanRevision
    revisions: list[PlanRevision]
    holds: list[PlanHold]
    exposure: Exposure
    flags: list[str]


def plan_state(plan: TreatmentPlan, today: date, holds: list[PlanHold]) -> str:
    if plan.status == PlanStatus.STOPPED:
        return "stopped"
    if plan.status == PlanStatus.COMPLETED or (
        plan.planned_end_date is not None and today > plan.planned_end_date
    ):
        return "completed"
    if any(DateSpan(h.start_date, h.end_date).covers(today) for h in holds):
        return "on_hold"
    return "active"


def plan_summary(plan: TreatmentPlan, today: date | None = None) -> PlanSummary:
    """Day X of Y, days on drug, the regimen in force and the flags, in the patient's zone."""
    today = today or patient_local_today(plan.patient)
    revisions = sorted(plan.revisions.all(), key=lambda r: r.number)
    holds = sorted(plan.holds.all(), key=lambda h: h.start_date)
    in_force = [r for r in revisions if r.effective_date <= max(today, plan.start_date)]
    current = in_force[-1] if in_force else revisions[0]
    # A stopped plan counts days on drug only up to the day it was stopped.
    counted_until = today
    if plan.stopped_at is not None:
        counted_until = min(today, _local_date_of_stop(plan))
    exposure = plan_exposure(
        start=plan.start_date,
        planned_end=plan.planned_end_date,
        holds=[DateSpan(h.start_date, h.end_date) for h in holds],
        today=counted_until,
        shortfall_threshold=settings.EXPOSURE_SHORTFALL_THRESHOLD,
    )
    within = plan.start_date <= today and (
        plan.planned_end_date is None or today <= plan.planned_end_date
    )
    if plan.status == PlanStatus.STOPPED:
        # Nothing remains of a stopped plan, and no shortfall is "likely" any more.
        exposure = replace(exposure, days_remaining=None, shortfall_likely=False)
    flags = list(plan.recommendation.get("flags", []))
    if exposure.shortfall:
        flags.append("exposure_shortfall")
    elif exposure.shortfall_likely:
        flags.append("exposure_shortfall_likely")
    return PlanSummary(
        plan=plan,
        state=plan_state(plan, today, holds),
        today=today,
        day_of_plan=(today - plan.start_date).days + 1 if within else None,
        total_days=exposure.planned_days,
        current_revision=current,
        revisions=revisions,
        holds=holds,
        exposure=exposure,
        flags=flags,
    )


def _local_date_of_stop(plan: TreatmentPlan) -> date:
    assert plan.stopped_at is not None
    return local_date(plan.stopped_at, patient_time_zone_at(plan.patient, plan.stopped_at))


@dataclass(frozen=True)
class PlanReason:
    """One of the guideline's reasons for a plan, with its sources as (code, title)."""

    rule: str
    text: str
    sources: list[tuple[str, str]]


def plan_reasons(plan: TreatmentPlan) -> list[PlanReason]:
    """The reasons stored with the plan's recommendation (a clinician's override is kept
    apart, in plan.override, and shown beside them)."""
    return [
        PlanReason(
            rule=reason.get("rule", ""),
            text=reason.get("text", ""),
            sources=[(code, SOURCES.get(code, code)) for code in reason.get("sources", [])],
        )
        for reason in plan.recommendation.get("reasons", [])
    ]

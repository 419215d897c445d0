"""Writes for treatment plans: create from a guideline case, revise the dose, hold, stop."""

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.accounts.roles import Role
from backend.accounts.selectors import patient_local_today
from backend.audit.services import audit_record
from backend.common.errors import Conflict, ServiceValidationError
from backend.guidelines import CaseInvalid, add_calendar_months, doses_per_day
from backend.guidelines.rules import DOSES_PER_DAY
from backend.guidelines.tablets import default_tablet_strengths, tablet_strengths_problem

from ..exposure import DateSpan
from ..guideline import guideline_recommendation
from ..models import PlanHold, PlanRevision, PlanStatus, TreatmentPlan
from .ledger import ledger_rewrite

# 300, 400, 600, 800 (label ladder, S1) and 200 (the label's 50% start in moderate renal
# impairment, docs/clinical-facts.md §2.4)
DOSE_LEVELS_MG = tuple(sorted(DOSES_PER_DAY))
# What a case update may not change: they define the plan itself (make a new plan instead).
CASE_FIELDS_FIXED = ("setting", "start_date")
MAX_DURATION_MONTHS = 120
_WALL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
OVERRIDE_FIELDS = ("dose_mg_per_day", "doses_per_day", "duration_months")


def plan_create(
    *,
    patient: Patient,
    created_by: User,
    case: dict[str, Any],
    dose_times: list[str],
    override: dict[str, Any] | None = None,
    tablet_strengths_mg: list[int] | None = None,
) -> TreatmentPlan:
    """Turn a clinical case into the patient's active plan. The guideline's recommendation is
    kept with its version; a clinician's override is kept beside it with its reason."""
    try:
        recommendation = guideline_recommendation(case)
    except CaseInvalid as error:
        raise ServiceValidationError(f"case.{error.field}", error.reason) from None
    override = _checked_override(override, recommendation)
    dose = _final_value("dose_mg_per_day", override, recommendation)
    if dose is None:
        raise ServiceValidationError(
            "override.dose_mg_per_day",
            "The guideline suggests no dose for this case: give one in the override.",
        )
    if override is not None and "doses_per_day" in override:
        per_day = override["doses_per_day"]
    elif override is not None and "dose_mg_per_day" in override:
        per_day = doses_per_day(dose)  # a changed dose brings its own schedule (800 = 400 bid)
    else:
        per_day = recommendation["doses_per_day"] or doses_per_day(dose)
    duration = _final_value("duration_months", override, recommendation)
    setting = str(case["setting"])
    if duration is None and setting == "adjuvant":
        raise ServiceValidationError(
            "override.duration_months",
            "An adjuvant plan needs a duration; the guideline suggests none for this case.",
        )
    times = checked_dose_times(dose_times, per_day, field="dose_times")
    strengths = checked_tablet_strengths(tablet_strengths_mg, dose // per_day)
    start = date.fromisoformat(str(case["start_date"]))
    end = add_calendar_months(start, duration) if duration is not None else None

    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        _close_plan_finished_by_date(patient)
        if TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).exists():
            raise Conflict(
                "patient", "This patient already has an active plan. Stop it before a new one."
            )
        try:
            with transaction.atomic():
                plan = TreatmentPlan.objects.create(
                    patient=patient,
                    setting=setting,
                    start_date=start,
                    duration_months=duration,
                    planned_end_date=end,
                    case=case,
                    recommendation=recommendation,
                    guideline_version=recommendation["guideline_version"],
                    override=override,
                    created_by=created_by,
                )
        except IntegrityError:
            raise Conflict("patient", "This patient already has an active plan.") from None
        PlanRevision.objects.create(
            plan=plan,
            number=1,
            effective_date=start,
            dose_mg_per_day=dose,
            doses_per_day=per_day,
            dose_times=times,
            tablet_strengths_mg=strengths,
            reason=(override or {}).get("reason") or "Starting dose as recommended.",
            created_by=created_by,
        )
        ledger_rewrite(plan, from_day=start)
        audit_record(
            actor=created_by,
            action="plan.create",
            patient=patient,
            detail={"plan": str(plan.pk), "override": override is not None},
        )
    return plan


def _checked_override(
    override: dict[str, Any] | None, recommendation: dict[str, Any]
) -> dict[str, Any] | None:
    decision = recommendation["decision"]
    if override is None:
        if decision != "treat":
            raise ServiceValidationError(
                "override",
                f"The guideline's decision is '{decision}': a plan needs an override with a "
                "reason. " + " ".join(r["text"] for r in _decision_reasons(recommendation)),
                code="guideline_decision",
            )
        return None
    reason = str(override.get("reason") or "").strip()
    if not reason:
        raise ServiceValidationError("override.reason", "An override needs a reason.")
    if not any(field in override for field in OVERRIDE_FIELDS) and decision == "treat":
        raise ServiceValidationError(
            "override", "An override must change the dose, doses per day or duration."
        )
    dose = override.get("dose_mg_per_day")
    if dose is not None and dose not in DOSE_LEVELS_MG:
        levels = ", ".join(str(level) for level in DOSE_LEVELS_MG)
        raise ServiceValidationError(
            "override.dose_mg_per_day", f"Must be one of the label's dose levels: {levels} mg."
        )
    per_day = override.get("doses_per_day")
    if per_day is not None and per_day not in (1, 2):
        raise ServiceValidationError("override.doses_per_day", "Must be 1 or 2.")
    duration = override.get("duration_months")
    if duration is not None and not 1 <= duration <= MAX_DURATION_MONTHS:
        raise ServiceValidationError(
            "override.duration_months", f"Must be between 1 and {MAX_DURATION_MONTHS} months."
        )
    return {**{k: override[k] for k in OVERRIDE_FIELDS if k in override}, "reason": reason}


def _decision_reasons(recommendation: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in recommendation["reasons"] if r["rule"].startswith("decision.")]


def _final_value(name: str, override: dict[str, Any] | None, recommendation: dict[str, Any]) -> Any:
    if override is not None and name in override:
        return override[name]
    return recommendation[name]


def checked_dose_times(dose_times: list[str], per_day: int, *, field: str) -> list[str]:
    """One distinct local wall-clock time ('HH:MM', 24-hour) per daily dose, sorted."""
    if not isinstance(dose_times, list) or not all(isinstance(t, str) for t in dose_times):
        raise ServiceValidationError(field, 'Must be a list of times like "08:00".')
    for index, value in enumerate(dose_times):
        if not _WALL_TIME.match(value):
            raise ServiceValidationError(
                f"{field}.{index}", f"'{value}' is not a 24-hour time like 08:00."
            )
    if len(set(dose_times)) != len(dose_times):
        raise ServiceValidationError(field, "The dose times must be different.")
    if len(dose_times) != per_day:
        raise ServiceValidationError(
            field, f"Give {per_day} time(s): one for each daily dose ({per_day} per day)."
        )
    return sorted(dose_times)


def _close_plan_finished_by_date(patient: Patient) -> None:
    """An active plan whose end date has passed (in the patient's zone) is completed."""
    today = patient_local_today(patient)
    TreatmentPlan.objects.filter(
        patient=patient, status=PlanStatus.ACTIVE, planned_end_date__lt=today
    ).update(status=PlanStatus.COMPLETED, updated_at=timezone.now())


def _active_plan_for_update(plan: TreatmentPlan) -> TreatmentPlan:
    locked = TreatmentPlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    if locked.status != PlanStatus.ACTIVE:
        raise Conflict("plan", f"This plan is {locked.status}; it can no longer be changed.")
    end = locked.planned_end_date
    if end is not None and end < patient_local_today(locked.patient):
        raise Conflict(
            "plan", f"This plan ended on {end.isoformat()}; it can no longer be changed."
        )
    return locked


def _within_plan(plan: TreatmentPlan, day: date, field: str) -> None:
    if day < plan.start_date:
        raise ServiceValidationError(field, "Must not be before the plan's start date.")
    if plan.planned_end_date is not None and day > plan.planned_end_date:
        raise ServiceValidationError(field, "Must not be after the plan's end date.")


def plan_hold_add(
    *, plan: TreatmentPlan, created_by: User, start_date: date, end_date: date | None, reason: str
) -> PlanHold:
    """Hold the drug from start_date (to end_date, or until ended). The end date of the plan
    does not move; the hold's days are not days on drug."""
    reason = reason.strip()
    if not reason:
        raise ServiceValidationError("reason", "A hold needs a reason.")
    with transaction.atomic():
        plan = _active_plan_for_update(plan)
        _within_plan(plan, start_date, "start_date")
        if end_date is not None:
            if end_date < start_date:
                raise ServiceValidationError("end_date", "Must not be before the start date.")
            _within_plan(plan, end_date, "end_date")
        new_span = DateSpan(start_date, end_date)
        for other in plan.holds.all():
            if new_span.overlaps(DateSpan(other.start_date, other.end_date)):
                raise Conflict(
                    "start_date", f"Overlaps the hold from {other.start_date.isoformat()}."
                )
        hold = PlanHold.objects.create(
            plan=plan,
            start_date=start_date,
            end_date=end_date,
            reason=reason,
            created_by=created_by,
        )
        ledger_rewrite(plan, from_day=start_date)
        audit_record(
            actor=created_by,
            action="plan.hold.add",
            patient=plan.patient,
            detail={
                "plan": str(plan.pk),
                "hold": hold.pk,
                "start_date": start_date.isoformat(),
                "end_date": end_date.isoformat() if end_date else None,
            },
        )
    return hold


def plan_hold_end(*, hold: PlanHold, ended_by: User, end_date: date) -> PlanHold:
    """Close an open-ended hold: the last held day is end_date; dosing resumes the day after."""
    with transaction.atomic():
        plan = _active_plan_for_update(hold.plan)
        hold = PlanHold.objects.select_for_update().get(pk=hold.pk)
        if hold.end_date is not None:
            raise Conflict("end_date", "This hold already has an end date.")
        if end_date < hold.start_date:
            raise ServiceValidationError("end_date", "Must not be before the hold's start date.")
        _within_plan(plan, end_date, "end_date")
        hold.end_date = end_date
        hold.ended_by = ended_by
        hold.save(update_fields=["end_date", "ended_by", "updated_at"])
        ledger_rewrite(plan, from_day=end_date + timedelta(days=1))
        audit_record(
            actor=ended_by,
            action="plan.hold.end",
            patient=plan.patient,
            detail={"plan": str(plan.pk), "hold": hold.pk, "end_date": end_date.isoformat()},
        )
    return hold


def plan_revise(
    *,
    plan: TreatmentPlan,
    created_by: User,
    dose_mg_per_day: int,
    dose_times: list[str],
    reason: str,
    doses_per_day_count: int | None = None,
    effective_date: date | None = None,
    tablet_strengths_mg: list[int] | None = None,
) -> PlanRevision:
    """A dose change from effective_date on (default: the patient's today). Kept as history."""
    reason = reason.strip()
    if not reason:
        raise ServiceValidationError("reason", "A dose change needs a reason.")
    if dose_mg_per_day not in DOSE_LEVELS_MG:
        levels = ", ".join(str(level) for level in DOSE_LEVELS_MG)
        raise ServiceValidationError(
            "dose_mg_per_day", f"Must be one of the label's dose levels: {levels} mg."
        )
    per_day = doses_per_day_count or doses_per_day(dose_mg_per_day)
    if per_day not in (1, 2):
        raise ServiceValidationError("doses_per_day", "Must be 1 or 2.")
    times = checked_dose_times(dose_times, per_day, field="dose_times")
    per_dose = dose_mg_per_day // per_day
    if tablet_strengths_mg is not None:
        checked_tablet_strengths(tablet_strengths_mg, per_dose)
    with transaction.atomic():
        plan = _active_plan_for_update(plan)
        effective = effective_date or max(patient_local_today(plan.patient), plan.start_date)
        _within_plan(plan, effective, "effective_date")
        latest = plan.revisions.order_by("-number").first()
        assert latest is not None  # every plan is created with revision 1
        if effective < latest.effective_date:
            raise ServiceValidationError(
                "effective_date",
                f"Must not be before the latest change ({latest.effective_date.isoformat()}).",
            )
        if tablet_strengths_mg is None and not tablet_strengths_problem(
            latest.tablet_strengths_mg, per_dose
        ):
            tablet_strengths_mg = latest.tablet_strengths_mg  # the tablets the patient has
        strengths = checked_tablet_strengths(tablet_strengths_mg, per_dose)
        revision = PlanRevision.objects.create(
            plan=plan,
            number=latest.number + 1,
            effective_date=effective,
            dose_mg_per_day=dose_mg_per_day,
            doses_per_day=per_day,
            dose_times=times,
            tablet_strengths_mg=strengths,
            reason=reason,
            created_by=created_by,
        )
        ledger_rewrite(plan, from_day=effective)
        audit_record(
            actor=created_by,
            action="plan.revise",
            patient=plan.patient,
            detail={
                "plan": str(plan.pk),
                "revision": revision.number,
                "from_mg": latest.dose_mg_per_day,
                "to_mg": dose_mg_per_day,
            },
        )
    return revision


def checked_tablet_strengths(strengths_mg: list[int] | None, dose_mg_per_dose: int) -> list[int]:
    """The regimen's tablet strengths, ascending: those given, or when none are, those the
    fewest tablets of a dose use (docs/clinical-facts.md §2.6)."""
    if strengths_mg is None:
        return list(default_tablet_strengths(dose_mg_per_dose))
    problem = tablet_strengths_problem(strengths_mg, dose_mg_per_dose)
    if problem is not None:
        raise ServiceValidationError("tablet_strengths_mg", problem)
    return sorted(strengths_mg)


def plan_case_update(
    *, plan: TreatmentPlan, changed_by: User, changes: dict[str, Any], reason: str
) -> TreatmentPlan:
    """Complete or correct the plan's case (e.g. after a neoadjuvant resection: surgery_date,
    resection_margin and the mitotic count; or kidney and liver function, comedications) and
    recompute the guideline's recommendation, which is stored with its version in place of the
    old one (the audit record keeps what it replaced).

    A field set to null is removed. ``setting`` and ``start_date`` cannot change. When the new
    recommendation gives a duration and the clinician has not overridden the duration, the
    plan's duration and end date follow it; the dose never changes here (a dose revision does
    that, so the starting regimen stays as confirmed).
    """
    reason = reason.strip()
    if not reason:
        raise ServiceValidationError("reason", "A change to the case needs a reason.")
    if not changes:
        raise ServiceValidationError("case", "Give at least one case field to change.")
    for name in CASE_FIELDS_FIXED:
        if name in changes:
            raise ServiceValidationError(
                f"case.{name}", "Cannot change on an existing plan: stop it and make a new one."
            )
    with transaction.atomic():
        plan = _active_plan_for_update(plan)
        case = {k: v for k, v in {**plan.case, **changes}.items() if v is not None}
        try:
            recommendation = guideline_recommendation(case)
        except CaseInvalid as error:
            raise ServiceValidationError(f"case.{error.field}", error.reason) from None
        before = plan.recommendation
        duration = plan.duration_months
        end = plan.planned_end_date
        duration_overridden = "duration_months" in (plan.override or {})
        if recommendation["duration_months"] is not None and not duration_overridden:
            duration = recommendation["duration_months"]
            end = add_calendar_months(plan.start_date, duration)
            _check_new_end(plan, end)
        plan.case = case
        plan.recommendation = recommendation
        plan.guideline_version = recommendation["guideline_version"]
        plan.duration_months = duration
        plan.planned_end_date = end
        plan.save(
            update_fields=[
                "case",
                "recommendation",
                "guideline_version",
                "duration_months",
                "planned_end_date",
                "updated_at",
            ]
        )
        # The end date may move either way; days before today are history.
        ledger_rewrite(plan, from_day=patient_local_today(plan.patient))
        audit_record(
            actor=changed_by,
            action="plan.case.update",
            patient=plan.patient,
            detail={
                "plan": str(plan.pk),
                "fields": sorted(changes),
                "reason": reason,
                "before": {
                    "guideline_version": before.get("guideline_version"),
                    "decision": before.get("decision"),
                    "dose_mg_per_day": before.get("dose_mg_per_day"),
                    "duration_months": before.get("duration_months"),
                    "flags": before.get("flags", []),
                },
                "duration_months": duration,
                "planned_end_date": end.isoformat() if end else None,
            },
        )
    return plan


def _check_new_end(plan: TreatmentPlan, end: date) -> None:
    """A recomputed end date must leave room for what the plan already holds."""
    today = patient_local_today(plan.patient)
    if end < today:
        raise Conflict(
            "case",
            f"The recomputed end date {end.isoformat()} has passed: stop the plan instead.",
        )
    latest = plan.revisions.order_by("-number").first()
    if latest is not None and end < latest.effective_date:
        raise Conflict("case", "The recomputed end date is before the latest dose change.")
    for hold in plan.holds.all():
        if hold.end_date is not None and hold.end_date > end:
            raise Conflict("case", "The recomputed end date is before the end of a hold.")


def plan_stop(*, plan: TreatmentPlan, stopped_by: User, reason: str) -> TreatmentPlan:
    """Stop the plan for good (progression, intolerance, patient's decision...)."""
    reason = reason.strip()
    if not reason:
        raise ServiceValidationError("reason", "Stopping a plan needs a reason.")
    with transaction.atomic():
        plan = _active_plan_for_update(plan)
        plan.status = PlanStatus.STOPPED
        plan.stopped_at = timezone.now()
        plan.stopped_by = stopped_by
        plan.stop_reason = reason
        plan.save(update_fields=["status", "stopped_at", "stopped_by", "stop_reason", "updated_at"])
        # The stop day is the last dose day: later rows go, and nothing more is reminded.
        ledger_rewrite(plan, from_day=patient_local_today(plan.patient, plan.stopped_at))
        audit_record(
            actor=stopped_by,
            action="plan.stop",
            patient=plan.patient,
            detail={"plan": str(plan.pk), "reason": reason},
        )
    return plan


def plans_complete_finished(now: datetime) -> int:
    """Active plans whose end date has passed in the patient's zone become completed, and the
    patient gets one closing message. Reminders and missed-dose flags stop with the plan."""
    from backend.notifications.services import outbox_enqueue

    candidates = (
        TreatmentPlan.objects.filter(
            status=PlanStatus.ACTIVE,
            planned_end_date__lt=(now + timedelta(days=1)).date(),
        )
        .select_related("patient__user")
        .prefetch_related("patient__zone_changes")
    )
    completed = 0
    for plan in candidates:
        assert plan.planned_end_date is not None  # filtered on planned_end_date__lt
        if plan.planned_end_date >= patient_local_today(plan.patient, now):
            continue
        with transaction.atomic():
            updated = TreatmentPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(
                status=PlanStatus.COMPLETED, updated_at=now
            )
            if not updated:
                continue
            if plan.patient.user is not None:
                outbox_enqueue(
                    recipient=plan.patient.user,
                    kind="plan_completed",
                    payload={"plan": str(plan.pk)},
                    dedupe_key=f"plan:{plan.pk}:completed",
                )
            completed += 1
    return completed


def plans_ending_soon_notify(now: datetime) -> int:
    """Coordinators hear once about each plan ending within PLAN_ENDING_NOTICE_DAYS days (the
    outbox's dedupe key makes a daily rerun send nothing new). Returns the plans in the window."""
    from backend.notifications.services import outbox_enqueue

    horizon = (now + timedelta(days=settings.PLAN_ENDING_NOTICE_DAYS + 1)).date()
    plans = TreatmentPlan.objects.filter(
        status=PlanStatus.ACTIVE,
        planned_end_date__isnull=False,
        planned_end_date__lte=horizon,
        planned_end_date__gte=(now - timedelta(days=1)).date(),
    ).select_related("patient")
    notified = 0
    for plan in plans:
        coordinators = User.objects.filter(
            care_teams=plan.patient.care_team_id, role=Role.COORDINATOR, is_active=True
        )
        for coordinator in coordinators:
            outbox_enqueue(
                recipient=coordinator,
                kind="plan_ending",
                payload={"plan": str(plan.pk), "planned_end_date": str(plan.planned_end_date)},
                dedupe_key=f"plan:{plan.pk}:ending:{plan.planned_end_date}:{coordinator.pk}",
            )
        notified += 1
    return notified

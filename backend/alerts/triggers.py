"""When reports, grades, weights and skipped doses become alerts. Called by the side-effect and
dose services inside their own transactions, so an alert (and its outbox rows) exists exactly
when its cause does. The rules themselves are in backend.guidelines (alert_rules, advice)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from backend.accounts.models import Patient
from backend.adherence.models import DoseState, ScheduledDose, SkipReason
from backend.adherence.selectors.plans import plan_current, plan_summary
from backend.guidelines import (
    SYMPTOMS,
    AlertDecision,
    clinician_grade_advice,
    patient_report_advice,
    persistent_rash_alert,
    ran_out_alert,
    red_flag_alert,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    weight_gain_alert,
    worsening_symptom_alert,
)

from .models import Alert, AlertKind
from .services import alert_raise, alert_settings_for, alerts_advise_after_grade
from .streaks import missed_streak_alert_reevaluate

# "While a symptom is at >= 2": a report speaks for the PRO-CTCAE recall period.
SYMPTOM_RECALL_DAYS = 7


@dataclass(frozen=True)
class PreviousReport:
    """The previous report of the same symptom, as the rules need it."""

    scores: Mapping[str, int]
    days_before: int


@dataclass(frozen=True)
class RashHistory:
    """For a rash reported present: days since the first "yes" of the current unbroken run,
    and days since the last rash alert (None when there was none)."""

    days_present: int
    days_since_last_alert: int | None


def _current_dose_mg(patient: Patient) -> int | None:
    plan = plan_current(patient)
    if plan is None:
        return None
    summary = plan_summary(plan)
    if summary.state in ("completed", "stopped"):
        return None
    return summary.current_revision.dose_mg_per_day


def _raise(patient: Patient, decision: AlertDecision, details: dict, now: datetime) -> Alert:
    symptoms = (
        [decision.symptom] if decision.symptom and decision.kind != AlertKind.RED_FLAG else []
    )
    red_flags = [decision.symptom] if decision.kind == AlertKind.RED_FLAG else []
    if decision.kind == AlertKind.WEIGHT_GAIN:
        symptoms = ["weight_gain"]
    advice = patient_report_advice(symptoms, decision.priority, red_flags=red_flags)
    return alert_raise(
        patient=patient,
        decision=decision,
        symptom=decision.symptom,
        advice=advice,
        details=details,
        now=now,
    )


def alerts_after_symptom_report(
    *,
    patient: Patient,
    symptom: str,
    scores: dict[str, int],
    level: int,
    red_flags: Sequence[str],
    previous: PreviousReport | None,
    rash: RashHistory | None,
    report_id: object,
    now: datetime,
) -> list[Alert]:
    """Every alert one report raises: its red flags (urgent, each its own alert), a severe
    answer, a rise since the previous report or a new rash, a rash still present, and the
    combined alert when doses were skipped for side effects in the recall period."""
    settings = alert_settings_for(patient.care_team)
    details = {"report": str(report_id)}
    decisions: list[AlertDecision] = [red_flag_alert(code, settings) for code in red_flags]
    severe = severe_symptom_alert(symptom, scores, None, settings)
    if severe is not None:
        decisions.append(severe)
    worsening = worsening_symptom_alert(
        symptom,
        previous.scores if previous else None,
        scores,
        previous.days_before if previous else None,
        settings,
    )
    if worsening is not None:
        decisions.append(worsening)
    if rash is not None and worsening is None:
        persistent = persistent_rash_alert(rash.days_present, rash.days_since_last_alert, settings)
        if persistent is not None:
            decisions.append(persistent)
    raised = [_raise(patient, decision, details, now) for decision in decisions]
    if _skipped_for_side_effects_since(patient, now - timedelta(days=SYMPTOM_RECALL_DAYS)):
        levels = {symptom: level}
        levels.update(dict.fromkeys(red_flags, 1))
        combined = side_effect_nonadherence_alert(levels, settings)
        if combined is not None:
            raised.append(_raise_combined(patient, combined, levels, red_flags, details, now))
    return raised


def alerts_after_clinician_grade(
    *,
    patient: Patient,
    symptom: str,
    grade: int,
    ctcae_term: str,
    report_id: object,
    now: datetime,
    red_flags: Sequence[str] = (),
) -> tuple[list[Alert], dict]:
    """A clinician's grade: a severe grade raises (or raises the priority of) an alert; any
    grade replaces the advice on the patient's open alerts about the symptom with advice
    based on the grade. Returns the alerts and the advice (as JSON-able data)."""
    settings = alert_settings_for(patient.care_team)
    advice = clinician_grade_advice(
        symptom, grade, _current_dose_mg(patient), severe_grade=settings.severe_grade
    )
    raised: list[Alert] = []
    decision = severe_symptom_alert(symptom, {}, grade, settings, ctcae_term or None)
    if decision is not None:
        raised.append(
            alert_raise(
                patient=patient,
                decision=decision,
                symptom=symptom,
                advice=advice,
                details={"report": str(report_id)},
                now=now,
            )
        )
    updated = alerts_advise_after_grade(
        patient=patient, symptoms=[symptom, *red_flags], advice=advice
    )
    seen = {alert.pk for alert in raised}
    raised.extend(alert for alert in updated if alert.pk not in seen)
    return raised, asdict(advice)


def alerts_after_weight(
    *,
    patient: Patient,
    weight_kg: float,
    baseline_kg: float | None,
    earlier_weights_within: Callable[[int], Sequence[float]],
    measurement_id: object,
    now: datetime,
) -> list[Alert]:
    """A weight: alert on a gain from the baseline or within the team's window
    (``earlier_weights_within(days)``: the other weights of that many days before it)."""
    settings = alert_settings_for(patient.care_team)
    earlier = earlier_weights_within(settings.weight_gain_window_days)
    decision = weight_gain_alert(baseline_kg, weight_kg, earlier, settings)
    if decision is None:
        return []
    return [_raise(patient, decision, {"weight": str(measurement_id)}, now)]


def alerts_after_dose_skipped_for_side_effects(*, patient: Patient, now: datetime) -> list[Alert]:
    # Imported here: side-effect reports depend on alerts, so alerts may not import them first.
    from backend.sideeffects.selectors import recent_symptom_levels

    settings = alert_settings_for(patient.care_team)
    levels = recent_symptom_levels(patient, now, SYMPTOM_RECALL_DAYS)
    decision = side_effect_nonadherence_alert(levels, settings)
    if decision is None:
        return []
    red_flags = [code for code, level in levels.items() if SYMPTOMS[code].red_flag and level]
    return [_raise_combined(patient, decision, levels, red_flags, {}, now)]


def _raise_combined(
    patient: Patient,
    decision: AlertDecision,
    levels: Mapping[str, int],
    red_flags: Sequence[str],
    details: dict,
    now: datetime,
) -> Alert:
    symptoms = [code for code, level in levels.items() if level and not SYMPTOMS[code].red_flag]
    advice = patient_report_advice(symptoms, decision.priority, red_flags=red_flags)
    return alert_raise(
        patient=patient,
        decision=decision,
        advice=advice,
        details={**details, "symptom_levels": dict(levels)},
        now=now,
    )


def _skipped_for_side_effects_since(patient: Patient, since: datetime) -> bool:
    """A dose skipped for side effects logged (or changed) since `since`: a resolved ledger
    row is only touched again by a log or its correction, so its updated_at is the log's."""
    return ScheduledDose.objects.filter(
        patient=patient,
        state=DoseState.SKIPPED,
        skip_reason=SkipReason.SIDE_EFFECTS,
        updated_at__gte=since,
    ).exists()


def alerts_after_dose_skipped_ran_out(*, patient: Patient, now: datetime) -> Alert:
    """A dose skipped because the tablets ran out: the care team is told, once while the alert
    is open (alert_raise counts a later skip on the open alert)."""
    decision = ran_out_alert(alert_settings_for(patient.care_team))
    return alert_raise(patient=patient, decision=decision, details={}, now=now)


def alerts_after_missed_dose_logged(*, patient: Patient, now: datetime) -> Alert | None:
    """A dose the sweep had marked missed is logged after all: the patient's streak alert is
    recomputed, shortened or withdrawn (streaks.missed_streak_alert_reevaluate)."""
    return missed_streak_alert_reevaluate(patient=patient, now=now)

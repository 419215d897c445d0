"""When reports, grades and skipped doses become alerts. Called by the side-effect and dose
services inside their own transactions, so an alert (and its outbox rows) exists exactly when
its cause does. The rules themselves are in backend.guidelines.alert_rules."""

from datetime import datetime, timedelta

from backend.accounts.models import Patient
from backend.adherence.models import DoseLog, DoseStatus, SkipReason
from backend.adherence.selectors.plans import plan_current, plan_summary
from backend.guidelines import (
    Advice,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    toxicity_advice,
    worsening_symptom_alert,
)

from .models import Alert
from .services import alert_raise, alert_settings_for

# "While a symptom is at >= 2": a report speaks for the PRO-CTCAE recall period.
SYMPTOM_RECALL_DAYS = 7


def _advice(patient: Patient, *, severe: bool) -> Advice | None:
    plan = plan_current(patient)
    if plan is None:
        return None
    summary = plan_summary(plan)
    if summary.state in ("completed", "stopped"):
        return None
    return toxicity_advice(summary.current_revision.dose_mg_per_day, severe=severe)


def alerts_after_symptom_report(
    *,
    patient: Patient,
    symptom: str,
    scores: dict[str, int],
    level: int,
    previous_level: int | None,
    days_since_previous: int | None,
    report_id: object,
    now: datetime,
) -> list[Alert]:
    settings = alert_settings_for(patient.care_team)
    details = {"report": str(report_id)}
    raised = []
    severe = severe_symptom_alert(symptom, scores, None, settings)
    if severe is not None:
        raised.append(
            alert_raise(
                patient=patient,
                decision=severe,
                symptom=symptom,
                advice=_advice(patient, severe=True),
                details=details,
                now=now,
            )
        )
    # With no earlier report the rule can still fire (a new rash is its own DESIGN rule).
    worsening = worsening_symptom_alert(
        symptom, previous_level, level, days_since_previous, settings
    )
    if worsening is not None:
        raised.append(
            alert_raise(
                patient=patient,
                decision=worsening,
                symptom=symptom,
                advice=_advice(patient, severe=severe is not None),
                details=details,
                now=now,
            )
        )
    if _skipped_for_side_effects_since(patient, now - timedelta(days=SYMPTOM_RECALL_DAYS)):
        combined = side_effect_nonadherence_alert({symptom: level}, settings)
        if combined is not None:
            raised.append(
                alert_raise(
                    patient=patient,
                    decision=combined,
                    advice=_advice(patient, severe=False),
                    details=details,
                    now=now,
                )
            )
    return raised


def alerts_after_clinician_grade(
    *, patient: Patient, symptom: str, grade: int, report_id: object, now: datetime
) -> list[Alert]:
    settings = alert_settings_for(patient.care_team)
    decision = severe_symptom_alert(symptom, {}, grade, settings)
    if decision is None:
        return []
    return [
        alert_raise(
            patient=patient,
            decision=decision,
            symptom=symptom,
            advice=_advice(patient, severe=True),
            details={"report": str(report_id)},
            now=now,
        )
    ]


def alerts_after_dose_skipped_for_side_effects(*, patient: Patient, now: datetime) -> list[Alert]:
    # Imported here: side-effect reports depend on alerts, so alerts may not import them first.
    from backend.sideeffects.selectors import recent_symptom_levels

    settings = alert_settings_for(patient.care_team)
    levels = recent_symptom_levels(patient, now, SYMPTOM_RECALL_DAYS)
    decision = side_effect_nonadherence_alert(levels, settings)
    if decision is None:
        return []
    return [
        alert_raise(
            patient=patient,
            decision=decision,
            advice=_advice(patient, severe=False),
            details={"symptom_levels": levels},
            now=now,
        )
    ]


def _skipped_for_side_effects_since(patient: Patient, since: datetime) -> bool:
    return DoseLog.objects.filter(
        patient=patient,
        status=DoseStatus.SKIPPED,
        skip_reason=SkipReason.SIDE_EFFECTS,
        updated_at__gte=since,
    ).exists()

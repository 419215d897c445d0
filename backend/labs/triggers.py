"""When lab results raise or update the label's hold alerts. Called by the lab service inside its
transaction, so an alert (and its outbox rows, one push per nurse) exists exactly when its
results do. The rules themselves are in backend.guidelines.labs.

For each panel (liver: bilirubin, ALT, AST; blood counts: ANC, platelets) the newly stored
results that are now the latest of their test decide:

- beyond a hold threshold -> ``alert_raise`` (urgent ``liver_hold`` / ``blood_count_hold``):
  the first opens the alert and pushes ``alert_opened`` to the nurses; a further abnormal
  result adds an occurrence to the unresolved one (and, when that alert already said the resume
  rule was met, pushes ``alert_updated``);
- otherwise, with an unresolved hold alert: when the latest results taken after the hold's
  results meet the resume rule, the alert's summary, advice and details say so (once) and the
  nurses get ``alert_updated``. The alert stays open: a nurse resolves it.

A back-dated result older than a stored one of the same test decides nothing.
"""

from datetime import date, datetime
from typing import Any

from backend.accounts.models import Patient
from backend.adherence.selectors.plans import plan_current, plan_summary
from backend.alerts.models import Alert
from backend.alerts.services import alert_raise, alert_update
from backend.guidelines.labs import (
    BLOOD_COUNT_HOLD,
    LIVER_HOLD,
    PANELS,
    TRANSAMINASES,
    LabHoldDecision,
    LabResumeDecision,
    ResumeDose,
    blood_count_hold,
    blood_count_resume,
    blood_count_resume_dose_for,
    lab_hold_advice,
    lab_resume_advice,
    liver_hold,
    liver_resume,
    liver_resume_dose_for,
)
from backend.guidelines.rules import GUIDELINE_VERSION

from .models import LabResult
from .selectors import (
    earlier_hold_episodes,
    latest_lab_results,
    reading_of,
    unresolved_lab_alert,
)


def _plan_doses(patient: Patient) -> tuple[int | None, int | None, datetime | None]:
    """(starting dose, current dose, plan created) of the patient's plan in force; Nones when
    there is none (or it has ended)."""
    plan = plan_current(patient)
    if plan is None:
        return None, None, None
    summary = plan_summary(plan)
    if summary.state in ("completed", "stopped"):
        return None, None, None
    return (
        summary.revisions[0].dose_mg_per_day,
        summary.current_revision.dose_mg_per_day,
        plan.created_at,
    )


def _values(results: list[LabResult]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(result.pk),
            "test": result.test,
            "taken_on": result.taken_on.isoformat(),
            "value": float(result.value),
            "unit": result.unit,
            "upper_limit_of_normal": (
                float(result.upper_limit_of_normal)
                if result.upper_limit_of_normal is not None
                else None
            ),
            "x_uln": reading_of(result).x_uln,
        }
        for result in results
    ]


def alerts_after_lab_results(
    *, patient: Patient, new_results: list[LabResult], now: datetime
) -> list[Alert]:
    """Raise or update the hold alerts these newly stored results call for."""
    changed: list[Alert] = []
    for kind, tests in PANELS.items():
        fresh = [result for result in new_results if result.test in tests]
        if not fresh:
            continue
        latest = latest_lab_results(patient, tests)
        deciding = [
            r for r in fresh if latest.get(r.test) is not None and latest[r.test].pk == r.pk
        ]
        if not deciding:
            continue
        alert = _hold_or_resume(patient, kind, deciding, now)
        if alert is not None:
            changed.append(alert)
    return changed


def _hold_or_resume(
    patient: Patient, kind: str, deciding: list[LabResult], now: datetime
) -> Alert | None:
    open_alert = unresolved_lab_alert(patient, kind)
    details = open_alert.details if open_alert is not None else {}
    starting, current, plan_created = _plan_doses(patient)
    # An open alert keeps the dose it was raised on: a plan revised since does not move it.
    before = details.get("dose_before_hold_mg", current)
    starting = details.get("starting_dose_mg", starting)
    readings = [reading_of(result) for result in deciding]
    if kind == LIVER_HOLD:
        decision = liver_hold(readings, dose_before_hold_mg=before)
        episode = None
    else:
        episode = details.get("episode") or (
            1 + earlier_hold_episodes(patient, BLOOD_COUNT_HOLD, plan_created)
        )
        decision = blood_count_hold(
            readings, starting_dose_mg=starting, dose_before_hold_mg=before, episode=episode
        )
    if decision is not None:
        return _raise_hold(patient, decision, deciding, open_alert, starting, episode, now)
    if open_alert is None or details.get("resume_criteria_met_on"):
        return None
    return _resume_if_met(patient, open_alert)


def _raise_hold(
    patient: Patient,
    decision: LabHoldDecision,
    deciding: list[LabResult],
    open_alert: Alert | None,
    starting: int | None,
    episode: int | None,
    now: datetime,
) -> Alert:
    dose = decision.resume_dose
    assert dose is not None and decision.taken_on is not None
    earlier = open_alert.details if open_alert is not None else {}
    ids = list(dict.fromkeys([*earlier.get("lab_results", []), *(str(r.pk) for r in deciding)]))
    tests = sorted({*earlier.get("tests", []), *(r.test for r in deciding)})
    details: dict[str, Any] = {
        "lab_results": ids,
        "values": _values(deciding),
        "tests": tests,
        "hold_taken_on": decision.taken_on.isoformat(),
        "abnormal": list(decision.abnormal),
        "resume_rule": decision.resume_rule,
        "dose_before_hold_mg": dose.dose_before_hold_mg,
        "starting_dose_mg": starting,
        "resume_dose_mg": dose.dose_mg,
        "resume_dose_rule": dose.rule,
        "flags": list(decision.flags),
        "resume_criteria_met_on": None,
        "resume_results": [],
        "guideline_version": GUIDELINE_VERSION,
    }
    if episode is not None:
        details["episode"] = episode
    alert = alert_raise(
        patient=patient,
        decision=decision,
        advice=lab_hold_advice(decision),
        details=details,
        now=now,
    )
    if earlier.get("resume_criteria_met_on"):
        # The nurses were told the patient could restart: they must hear it no longer holds.
        alert = alert_update(alert=alert, event=f"hold-again-{decision.taken_on.isoformat()}")
    return alert


def _resume_dose(alert: Alert) -> ResumeDose:
    details = alert.details
    before = details.get("dose_before_hold_mg")
    if alert.kind == LIVER_HOLD:
        return liver_resume_dose_for(before)
    return blood_count_resume_dose_for(
        details.get("starting_dose_mg"), details.get("episode") or 1, before
    )


def _resume_if_met(patient: Patient, alert: Alert) -> Alert | None:
    held_on = date.fromisoformat(alert.details["hold_taken_on"])
    tests = PANELS[alert.kind]
    later = [reading_of(r) for r in latest_lab_results(patient, tests, after=held_on).values()]
    resume: LabResumeDecision | None
    if alert.kind == LIVER_HOLD:
        measured = [t for t in alert.details.get("tests", []) if t in TRANSAMINASES]
        resume = liver_resume(later, after=held_on, transaminases=measured)
    else:
        resume = blood_count_resume(later, after=held_on)
    if resume is None:
        return None
    dose = _resume_dose(alert)
    used = [r.ref for r in resume.readings]
    rows = LabResult.objects.in_bulk(used)
    summary = (
        f"Resume criteria met on {resume.met_on.isoformat()} (hold from {held_on.isoformat()}). "
        f"{resume.text}"
    )
    return alert_update(
        alert=alert,
        event=f"resume-met-{resume.met_on.isoformat()}",
        summary=summary,
        advice=lab_resume_advice(resume, dose),
        details={
            "resume_criteria_met_on": resume.met_on.isoformat(),
            "resume_results": used,
            "resume_values": _values([rows[ref] for ref in used if ref in rows]),
            "resume_dose_mg": dose.dose_mg,
            "resume_dose_rule": dose.rule,
            "resume_action": dose.action,
            "guideline_version": GUIDELINE_VERSION,
        },
    )

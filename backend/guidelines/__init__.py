"""Guideline module: imatinib plans for GIST, pure Python (no Django), every rule with sources.

The clinical fact base is ``docs/clinical-facts.md``; rule data live in :mod:`.rules`.
Public API::

    recommend(case) -> dict                   plan suggestion with reasons, flags, review points
    modified_nih_risk(site, size_cm, mitoses_per_50hpf, rupture) -> str
    afip_risk(site, size_cm, mitoses_per_50hpf) -> (category, progression_pct | None)
    add_calendar_months(start, months) -> date
    next_lower_dose(mg) -> int | None         and the other dose/hold helpers in .dosing
"""

from .advice import (
    ACTIONS,
    Advice,
    clinician_grade_advice,
    patient_report_advice,
    toxicity_advice,
)
from .alert_rules import (
    DEFAULT_ALERT_SETTINGS,
    PRIORITIES,
    AlertDecision,
    AlertRuleSettings,
    missed_streak_alert,
    persistent_rash_alert,
    ran_out_alert,
    red_flag_alert,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    weight_gain_alert,
    worsening_symptom_alert,
)
from .case import ClinicalCase, parse_case
from .dates import add_calendar_months
from .dosing import (
    DoseStep,
    blood_count_hold_needed,
    blood_count_resume_allowed,
    blood_count_resume_dose,
    doses_per_day,
    escalation_options_on_progression,
    liver_hold_needed,
    liver_resume_allowed,
    liver_resume_dose,
    next_lower_dose,
    reduction_step,
)
from .errors import CaseInvalid
from .instructions import PatientInstruction, patient_instruction
from .recommendation import recommend
from .risk import afip_column, afip_risk, modified_nih_risk, modified_nih_row, risk_rank
from .rules import (
    DEFAULT_SETTINGS,
    GUIDELINE_VERSION,
    GuidelineSettings,
    flag_words,
    status_words,
)
from .symptoms import (
    ATTRIBUTES,
    RECALL_PERIOD,
    RED_FLAGS,
    SYMPTOMS,
    AnswerOption,
    CtcaeTerm,
    Symptom,
    SymptomQuestion,
    checked_answers,
    checked_clinician_grade,
    checked_ctcae_term,
    composite_grade,
    red_flags_in,
    summary_level,
    symptom_catalogue,
)

__all__ = [
    "ACTIONS",
    "ATTRIBUTES",
    "DEFAULT_ALERT_SETTINGS",
    "DEFAULT_SETTINGS",
    "GUIDELINE_VERSION",
    "PRIORITIES",
    "RECALL_PERIOD",
    "RED_FLAGS",
    "SYMPTOMS",
    "Advice",
    "AlertDecision",
    "AlertRuleSettings",
    "AnswerOption",
    "CaseInvalid",
    "ClinicalCase",
    "CtcaeTerm",
    "DoseStep",
    "GuidelineSettings",
    "PatientInstruction",
    "Symptom",
    "SymptomQuestion",
    "add_calendar_months",
    "afip_column",
    "afip_risk",
    "blood_count_hold_needed",
    "blood_count_resume_allowed",
    "blood_count_resume_dose",
    "checked_answers",
    "checked_clinician_grade",
    "checked_ctcae_term",
    "clinician_grade_advice",
    "composite_grade",
    "doses_per_day",
    "escalation_options_on_progression",
    "flag_words",
    "liver_hold_needed",
    "liver_resume_allowed",
    "liver_resume_dose",
    "missed_streak_alert",
    "modified_nih_risk",
    "modified_nih_row",
    "next_lower_dose",
    "parse_case",
    "patient_instruction",
    "patient_report_advice",
    "persistent_rash_alert",
    "ran_out_alert",
    "recommend",
    "red_flag_alert",
    "red_flags_in",
    "reduction_step",
    "risk_rank",
    "severe_symptom_alert",
    "side_effect_nonadherence_alert",
    "status_words",
    "summary_level",
    "symptom_catalogue",
    "toxicity_advice",
    "weight_gain_alert",
    "worsening_symptom_alert",
]

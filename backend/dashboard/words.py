"""Plain words for what the guideline module returns as codes: advice actions, flags, rule
statuses and sources, and a plan's stored reasons. Formatting only: the words for statuses and
flags come from backend.guidelines."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.guidelines import rules
from backend.guidelines.recommendation import flags_in_words, reason_words
from backend.guidelines.symptoms import SYMPTOMS

# The actions an alert's advice may carry (issue 16), as a nurse reads them.
ACTION_WORDS: dict[str, str] = {
    "supportive_care": "Supportive care for the symptom",
    "clinician_assessment": "Clinician to assess the grade",
    "call_patient": "Call the patient",
    "urgent_review": "Urgent review",
    "continue": "Continue imatinib",
    "withhold": "Withhold imatinib",
    "resume_lower_dose": "Resume one dose level lower",
    # Lab results (issue 17): backend.guidelines.labs.LAB_ACTIONS.
    "repeat_labs": "Repeat the blood tests",
    "resume_previous_dose": "Resume at the dose before the hold",
    "order_labs": "Order the blood tests that are due",
}


# What an alert's advice rests on (issue 16): a patient's answers are never a CTCAE grade.
BASIS_WORDS: dict[str, str] = {
    "patient_reported": "Based on the patient's answers (not a CTCAE grade)",
    "clinician_grade": "Based on a clinician's CTCAE v5.0 grade",
    "lab_result": "Based on lab results",
}


def action_words(code: str) -> str:
    """An advice action code as a short instruction ("call_patient" -> "Call the patient")."""
    return ACTION_WORDS.get(code, code.replace("_", " ").capitalize())


def basis_words(basis: str | None) -> str:
    """What an alert's advice rests on, in words ("" for advice stored before issue 16)."""
    return BASIS_WORDS.get(basis or "", "")


def plain_text(text: str | None) -> str:
    """Guideline text without an old trailing status note ("... [DESIGN convention, ...]")."""
    return rules.plain_reason_text(text or "")[0]


COMPOSITE_LABEL = "patient-reported composite (PRO-CTCAE), not a CTCAE grade"


def patient_reported_words(report: Any) -> str:
    """A side-effect report's patient-reported level in words, never as a grade: the
    PRO-CTCAE composite (0-3) when the item has one, else the yes/no answer."""
    if report.composite_grade is not None:
        return f"patient-reported composite {report.composite_grade} of 3"
    return "patient answered yes" if report.patient_level else "patient answered no"


def red_flag_words(codes: Iterable[str]) -> list[str]:
    """Red-flag codes as the catalogue's words ("black_stools" -> "Black, tarry or bloody
    stools")."""
    return [SYMPTOMS[code].label if code in SYMPTOMS else code for code in codes]


@dataclass(frozen=True)
class FlagLine:
    words: str  # what a nurse reads
    title: str  # the tooltip: the rule ids, or the flag's code
    is_status: bool  # a rule's status (shown as a badge) rather than a note


@dataclass(frozen=True)
class SourceWords:
    code: str
    citation: str  # the primary reference
    note: str  # how the source was read; "" when read at the primary

    @property
    def title(self) -> str:
        return f"{self.code}: {self.note}" if self.note else self.code


@dataclass(frozen=True)
class ReasonWords:
    rule: str
    text: str  # without any old bracketed status note
    status: str
    status_words: str | None  # None for a confirmed rule
    sources: list[SourceWords]


def flag_lines(flags: Iterable[str], *, known: Mapping[str, str] | None = None) -> list[FlagLine]:
    lines = []
    for entry in flags_in_words(flags, known=known):
        codes = entry["codes"]
        if entry["is_status"]:
            title = ("Rule: " if len(codes) == 1 else "Rules: ") + ", ".join(codes)
        else:
            title = ", ".join(codes)
        lines.append(FlagLine(words=entry["words"], title=title, is_status=entry["is_status"]))
    return lines


def advice_mark_lines(advice: Mapping[str, Any] | None) -> list[FlagLine]:
    """An alert advice's flags and rule status as plain words: one badge per status (the
    deciding rule's own status is not repeated when a flag already says it)."""
    advice = advice or {}
    rule_id, status = advice.get("rule") or "", advice.get("status") or ""
    lines = flag_lines(advice.get("flags") or [], known={rule_id: status} if status else None)
    words = rules.status_words(status) if status else None
    if words and not any(line.is_status and line.words == words for line in lines):
        title = f"Rule: {rule_id}" if rule_id else "Rule status"
        lines.append(FlagLine(words=words, title=title, is_status=True))
    return lines


def source_words(codes: Iterable[str]) -> list[SourceWords]:
    return [
        SourceWords(
            code=code,
            citation=rules.SOURCES.get(code, code),
            note=rules.SOURCE_NOTES.get(code, ""),
        )
        for code in codes
    ]


def reasons_in_words(recommendation: Mapping[str, Any] | None) -> list[ReasonWords]:
    """A stored recommendation's reasons (of any guideline version) in plain words."""
    reasons = []
    for reason in (recommendation or {}).get("reasons", []):
        words = reason_words(reason)
        reasons.append(
            ReasonWords(
                rule=words["rule"],
                text=words["text"],
                status=words["status"],
                status_words=words["status_words"],
                sources=source_words(code for code, _citation, _note in words["sources"]),
            )
        )
    return reasons


# The guideline's decision for a case (backend.guidelines.rules.DECISIONS), as a nurse reads it.
DECISION_WORDS: dict[str, str] = {
    "treat": "Treat with imatinib",
    "no_adjuvant": "No adjuvant imatinib suggested",
    "no_imatinib": "Imatinib not suggested",
    "discuss": "Discuss (no clear suggestion: a clinician decides)",
    "specialist_only": "Specialist decision only",
}


def decision_words(decision: str | None) -> str:
    return DECISION_WORDS.get(decision or "", (decision or "—").replace("_", " "))


def risk_words(risk: Mapping[str, Any] | None) -> list[str]:
    """A recommendation's risk as lines: modified NIH, then AFIP with its progression rate."""
    risk = risk or {}
    lines = []
    nih = risk.get("modified_nih")
    if nih:
        lines.append(f"Modified NIH: {str(nih).replace('_', ' ')}")
    afip = risk.get("afip") or {}
    if afip.get("category"):
        words = f"AFIP: {str(afip['category']).replace('_', ' ')}"
        if afip.get("progression_pct") is not None:
            words += f" ({afip['progression_pct']:g} % progressed in the series)"
        lines.append(words)
    return lines

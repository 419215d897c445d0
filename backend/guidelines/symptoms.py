"""Symptom catalogue for patient-reported side effects (guideline-facts §6.1, §6.2).

Each symptom says which PRO-CTCAE attributes the patient is asked, the 0-4 answer scales with
their words, the question wording (our own words, never NCI's item text), the CTCAE v5.0 term a
clinician grades it with and the highest grade that term allows, its sources and its status
(the facts page's tags: ``C``, ``C-2nd``, ``UNCONFIRMED``, ``DESIGN``).

Scales ([C] S17): frequency never 0 / rarely 1 / occasionally 2 / frequently 3 / almost
constantly 4; severity none 0 / mild 1 / moderate 2 / severe 3 / very severe 4; interference
not at all 0 / a little bit 1 / somewhat 2 / quite a bit 3 / very much 4; presence no 0 / yes 1.
Recall period "the last 7 days" ([C] S17, NCI FAQ: no other recall period is endorsed).

Conditional branching ([C] S17, CDISC QRS supplement): when the first question of a symptom is
frequency and the answer is "never" (0), or presence and the answer is "no" (0), the other
attributes are not asked and are scored 0. The facts page describes branching only for those
two attributes, so a symptom whose first question is severity (fatigue) always asks every
question (the conservative reading; see docs/guidelines.md).

Summary level (DESIGN, §6.3): the highest attribute score of one report. It is not the
Basch 2021 composite grade, whose lookup table is UNCONFIRMED (not retrieved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from . import rules
from .errors import CaseInvalid
from .rules import DESIGN, C

RECALL_PERIOD: Final = "the last 7 days"

FREQUENCY: Final = "frequency"
SEVERITY: Final = "severity"
INTERFERENCE: Final = "interference"
PRESENCE: Final = "presence"
ATTRIBUTES: Final[tuple[str, ...]] = (FREQUENCY, SEVERITY, INTERFERENCE, PRESENCE)

# The attributes whose "0" answer ends the symptom's questions (§6.2 conditional branching).
BRANCHING_ATTRIBUTES: Final = (FREQUENCY, PRESENCE)

# Sources this module (and alert_rules / advice) cite that rules.SOURCES does not list; the
# full addresses are in the facts page §11. ``SOURCES`` is the union of both.
SOURCES: Final[dict[str, str]] = {
    **rules.SOURCES,
    "S16": "NCI Common Terminology Criteria for Adverse Events (CTCAE) v5.0, 27 Nov 2017",
    "S17": "NCI PRO-CTCAE item library v1.0 (items, attributes, scales, recall period, "
    "conditional branching per CDISC QRS supplement)",
    "S18": "Basch et al. Composite grading algorithm for PRO-CTCAE. Clin Trials 2021",
    "S19": "Basch et al. Symptom monitoring with PROs during routine cancer treatment (STAR). "
    "JCO 2016",
    "S20": "SYMPATHY: web-based symptom monitoring during chemoradiation. Adv Radiat Oncol 2022",
    "S21": "Optimization of alert notifications in ePRO (PRO-TECT, AFT-39). PMID 38771558",
    "S27": "GIST adherence studies (ADAGIO-GIST 2011; PPA 2022; PPA 2021; Br J Cancer 2025)",
    "S28": "CML adherence studies (Marin JCO 2010; Ibrahim Blood 2011; ADAGIO 2009; Leuk Res 2021)",
    "S30": "Schlemmer et al. German phase II of imatinib 400 mg in GIST. Eur J Med Res 2011",
    "S32": "Park et al. Severe imatinib-associated skin rash in GIST. Cancer Res Treat 2016",
}


@dataclass(frozen=True)
class AnswerOption:
    """One answer on a 0-4 (or no/yes) scale."""

    score: int
    label: str


@dataclass(frozen=True)
class SymptomQuestion:
    """One question about one attribute of a symptom, with its answer scale."""

    attribute: str
    text: str
    options: tuple[AnswerOption, ...]

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options)

    def option_label(self, score: int) -> str:
        for option in self.options:
            if option.score == score:
                return option.label
        raise ValueError(f"{score!r} is not a score of the {self.attribute} scale")


@dataclass(frozen=True)
class Symptom:
    """A symptom the patient can report.

    ``is_pro_ctcae`` is False for our own questions (not from the NCI item library).
    ``ctcae_term`` / ``ctcae_max_grade``: the CTCAE v5.0 term a clinician grades with and the
    highest grade it defines (None for a free-text symptom: the general 1-5 scale applies).
    ``status`` uses the facts page's tags; ``note`` says what is special or unsettled.
    ``pro_ctcae_term`` names the NCI item whose attributes and scales are used (None when
    there is none); ``free_text_prompt`` asks the patient to describe an "other" symptom.
    """

    code: str
    label: str
    is_pro_ctcae: bool
    questions: tuple[SymptomQuestion, ...]
    ctcae_term: str | None
    ctcae_max_grade: int | None
    sources: tuple[str, ...]
    status: str
    note: str
    pro_ctcae_term: str | None = None
    free_text_prompt: str | None = None

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(q.attribute for q in self.questions)

    @property
    def branch_attribute(self) -> str | None:
        """The first attribute, if a 0 answer to it makes the other questions unnecessary."""
        first = self.questions[0].attribute
        if len(self.questions) > 1 and first in BRANCHING_ATTRIBUTES:
            return first
        return None

    def question(self, attribute: str) -> SymptomQuestion:
        for q in self.questions:
            if q.attribute == attribute:
                return q
        raise KeyError(attribute)


# --------------------------------------------------------------------------------------------
# Answer scales (§6.2, [C] S17)
# --------------------------------------------------------------------------------------------


def _scale(*labels: str) -> tuple[AnswerOption, ...]:
    return tuple(AnswerOption(score, label) for score, label in enumerate(labels))


SCALES: Final[Mapping[str, tuple[AnswerOption, ...]]] = MappingProxyType(
    {
        FREQUENCY: _scale("never", "rarely", "occasionally", "frequently", "almost constantly"),
        SEVERITY: _scale("none", "mild", "moderate", "severe", "very severe"),
        INTERFERENCE: _scale("not at all", "a little bit", "somewhat", "quite a bit", "very much"),
        PRESENCE: _scale("no", "yes"),
    }
)

# --------------------------------------------------------------------------------------------
# Question wording: our own words, recall period "the last 7 days"
# --------------------------------------------------------------------------------------------

_OVER = f"Over {RECALL_PERIOD}"


def _frequency(clause: str) -> SymptomQuestion:
    return SymptomQuestion(FREQUENCY, f"{_OVER}, how often {clause}?", SCALES[FREQUENCY])


def _severity(what: str) -> SymptomQuestion:
    return SymptomQuestion(
        SEVERITY, f"{_OVER}, when {what} was at its worst, how bad was it?", SCALES[SEVERITY]
    )


def _interference(what: str) -> SymptomQuestion:
    return SymptomQuestion(
        INTERFERENCE,
        f"{_OVER}, how much did {what} get in the way of the things you normally do each day?",
        SCALES[INTERFERENCE],
    )


def _presence(what: str) -> SymptomQuestion:
    return SymptomQuestion(PRESENCE, f"{_OVER}, have you had {what}?", SCALES[PRESENCE])


CUSTOM_QUESTION_NOTE: Final = (
    "This question is our own; it is not part of the NCI PRO-CTCAE item library."
)

# --------------------------------------------------------------------------------------------
# The catalogue (§6.1 CTCAE terms and highest grades, §6.2 PRO-CTCAE items and attributes)
# --------------------------------------------------------------------------------------------

_CATALOGUE: Final = (
    Symptom(
        code="nausea",
        label="Nausea",
        is_pro_ctcae=True,
        pro_ctcae_term="NAUSEA",
        questions=(
            _frequency("did you feel sick to your stomach (nausea)"),
            _severity("your nausea"),
        ),
        ctcae_term="Nausea",
        ctcae_max_grade=3,
        sources=("S17", "S16"),
        status=C,
        note="PRO-CTCAE asks frequency and severity. CTCAE v5.0 nausea has no grade 4 or 5.",
    ),
    Symptom(
        code="vomiting",
        label="Vomiting",
        is_pro_ctcae=True,
        pro_ctcae_term="VOMITING",
        questions=(
            _frequency("were you sick (vomited, threw up)"),
            _severity("your vomiting"),
        ),
        ctcae_term="Vomiting",
        ctcae_max_grade=5,
        sources=("S17", "S16"),
        status=C,
        note="PRO-CTCAE asks frequency and severity. CTCAE v5.0 grades vomiting by the "
        "intervention needed (v4 episode counts must not be mixed in).",
    ),
    Symptom(
        code="diarrhoea",
        label="Diarrhoea",
        is_pro_ctcae=True,
        pro_ctcae_term="LOOSE OR WATERY STOOLS (DIARRHEA)",
        questions=(_frequency("did you pass loose or watery stools (diarrhoea)"),),
        ctcae_term="Diarrhea",
        ctcae_max_grade=5,
        sources=("S17", "S16"),
        status=C,
        note="PRO-CTCAE asks frequency only.",
    ),
    Symptom(
        code="limb_swelling",
        label="Arm or leg swelling",
        is_pro_ctcae=True,
        pro_ctcae_term="ARM OR LEG SWELLING",
        questions=(
            _frequency("did you notice swelling in your arms or legs"),
            _severity("the swelling of your arms or legs"),
            _interference("swelling of your arms or legs"),
        ),
        ctcae_term="Edema limbs",
        ctcae_max_grade=3,
        sources=("S17", "S16"),
        status=C,
        note="PRO-CTCAE asks frequency, severity and interference. CTCAE v5.0 edema limbs has "
        "no grade 4 or 5.",
    ),
    Symptom(
        code="periorbital_swelling",
        label="Swelling around the eyes",
        is_pro_ctcae=False,
        pro_ctcae_term=None,
        questions=(
            _frequency("did you notice swelling around your eyes (puffy eyelids)"),
            _severity("the swelling around your eyes"),
            _interference("swelling around your eyes"),
        ),
        ctcae_term="Periorbital edema",
        ctcae_max_grade=3,
        sources=("S16", "S17", "S30", "S7"),
        status=DESIGN,
        note=f"{CUSTOM_QUESTION_NOTE} PRO-CTCAE has no item for swelling around the eyes, a "
        "common imatinib side effect (eyelid oedema 24% in S30, periorbital oedema 34% in S7). "
        "The questions copy the attributes of the nearest item, ARM OR LEG SWELLING "
        "(frequency, severity, interference) and are not validated. CTCAE v5.0 periorbital "
        "edema has no grade 4 or 5.",
    ),
    Symptom(
        code="fatigue",
        label="Fatigue",
        is_pro_ctcae=True,
        pro_ctcae_term="FATIGUE, TIREDNESS, OR LACK OF ENERGY",
        questions=(
            _severity("your tiredness or lack of energy"),
            _interference("tiredness or lack of energy"),
        ),
        ctcae_term="Fatigue",
        ctcae_max_grade=3,
        sources=("S17", "S16"),
        status=C,
        note="PRO-CTCAE asks severity and interference. Both questions are always asked (the "
        "facts page describes skipping only after frequency 'never' or presence 'no'). CTCAE "
        "v5.0 fatigue has no grade 4 or 5.",
    ),
    Symptom(
        code="rash",
        label="Rash",
        is_pro_ctcae=True,
        pro_ctcae_term="RASH",
        questions=(_presence("a skin rash"),),
        ctcae_term="Rash maculo-papular",
        ctcae_max_grade=3,
        sources=("S17", "S16", "S32"),
        status=C,
        note="PRO-CTCAE asks presence only (no 0, yes 1), so a rash report never reaches the "
        "severe score on its own; a new rash raises its own alert (alert.new_rash, DESIGN). "
        "CTCAE v5.0 maculo-papular rash has no grade 4 or 5.",
    ),
    Symptom(
        code="muscle_cramps",
        label="Muscle cramps or aching muscles",
        is_pro_ctcae=True,
        pro_ctcae_term="ACHING MUSCLES",
        questions=(
            _frequency("did you get muscle cramps or aching muscles"),
            _severity("the muscle pain (cramps or aching)"),
            _interference("muscle cramps or aching muscles"),
        ),
        ctcae_term="Muscle cramp",
        ctcae_max_grade=3,
        sources=("S17", "S16", "S3"),
        status=DESIGN,
        note="PRO-CTCAE has no cramp item; the attributes and scales of the nearest item, "
        "ACHING MUSCLES (frequency, severity, interference), are used, and our wording adds "
        "cramps, so the answers are not strictly the validated item (DESIGN). The facts page "
        "gives CTCAE v5.0 muscle cramp grades 1-3 only.",
    ),
    Symptom(
        code="other",
        label="Other symptom",
        is_pro_ctcae=False,
        pro_ctcae_term=None,
        questions=(_severity("this symptom"),),
        ctcae_term=None,
        ctcae_max_grade=None,
        sources=("S17", "S16"),
        status=DESIGN,
        note=f"{CUSTOM_QUESTION_NOTE} Free-text symptom: only severity is asked (PRO-CTCAE "
        "severity scale). The clinician grades it with the matching CTCAE term (general "
        "scale 1-5).",
        free_text_prompt="Please describe the symptom in a few words.",
    ),
)

SYMPTOMS: Final[Mapping[str, Symptom]] = MappingProxyType({s.code: s for s in _CATALOGUE})

# CTCAE v5.0 general grade scale ([C] S16): 1 mild ... 5 death.
CTCAE_GRADES: Final[Mapping[int, str]] = MappingProxyType(
    {
        1: "mild; no intervention needed",
        2: "moderate; minimal or local intervention; limits instrumental daily activities",
        3: "severe or medically significant; hospitalisation; limits self-care",
        4: "life-threatening; urgent intervention needed",
        5: "death related to the adverse event",
    }
)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def symptom_catalogue() -> list[dict]:
    """The catalogue as plain JSON-able data, for the patient app and the API."""
    return [
        {
            "code": s.code,
            "label": s.label,
            "is_pro_ctcae": s.is_pro_ctcae,
            "pro_ctcae_term": s.pro_ctcae_term,
            "recall_period": RECALL_PERIOD,
            "questions": [
                {
                    "attribute": q.attribute,
                    "text": q.text,
                    "options": [{"score": o.score, "label": o.label} for o in q.options],
                }
                for q in s.questions
            ],
            "skip_others_when_zero": s.branch_attribute,
            "free_text_prompt": s.free_text_prompt,
            "ctcae_term": s.ctcae_term,
            "ctcae_max_grade": s.ctcae_max_grade,
            "sources": list(s.sources),
            "status": s.status,
            "note": s.note,
        }
        for s in SYMPTOMS.values()
    ]


def get_symptom(symptom: object) -> Symptom:
    """The catalogue entry for a code; CaseInvalid("symptom", ...) for an unknown one."""
    if isinstance(symptom, str) and symptom in SYMPTOMS:
        return SYMPTOMS[symptom]
    raise CaseInvalid("symptom", f"unknown symptom; known: {', '.join(SYMPTOMS)}")


def _score(question: SymptomQuestion, value: object) -> int:
    field = f"answers.{question.attribute}"
    top = question.max_score
    words = ", ".join(f"{o.score} {o.label}" for o in question.options)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseInvalid(field, f"must be a whole number from 0 to {top} ({words})")
    if not 0 <= value <= top:
        raise CaseInvalid(field, f"must be from 0 to {top} ({words})")
    return value


def checked_answers(symptom: str, answers: Mapping[str, object]) -> dict[str, int]:
    """Validate one symptom report's answers; return a score for every attribute asked.

    ``answers`` maps attribute -> score. Missing (or null) answers are refused, except after a
    0 ("never" / "no") to the symptom's first question when that is frequency or presence:
    the other questions are then optional, must be 0 if given, and are scored 0 ([C] S17).
    Raises CaseInvalid with field "symptom" or "answers.<attribute>" (bool, str and float
    answers are refused; so are attributes the symptom does not ask).
    """
    item = get_symptom(symptom)
    if not isinstance(answers, Mapping):
        raise CaseInvalid("answers", "must be an object mapping each attribute to a score")
    asked = item.attributes
    for key in sorted(answers, key=str):
        if key not in asked:
            raise CaseInvalid(
                f"answers.{key}", f"is not asked for {item.code} (asked: {', '.join(asked)})"
            )
    scores: dict[str, int] = {}
    branch = item.branch_attribute
    skipped = False
    for question in item.questions:
        attribute = question.attribute
        value = answers.get(attribute)
        if value is None:
            if skipped:
                scores[attribute] = 0
                continue
            raise CaseInvalid(f"answers.{attribute}", "is required")
        score = _score(question, value)
        if skipped and score != 0:
            first = item.questions[0]
            raise CaseInvalid(
                f"answers.{attribute}",
                f"must be 0 or left out when {first.attribute} is 0 ({first.option_label(0)})",
            )
        scores[attribute] = score
        if attribute == branch and score == 0:
            skipped = True
    return scores


def summary_level(scores: Mapping[str, int]) -> int:
    """The highest attribute score of one report, 0-4 (DESIGN, §6.3; not the composite grade).

    Presence counts as its score: "no" 0, "yes" 1. A presence-only symptom (rash) therefore
    has a summary level of 0 or 1 and never reaches the severe score by itself; alert_rules
    raises a separate "new rash" alert for it.
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError("scores must be a non-empty mapping of attribute to score")
    for attribute, score in scores.items():
        if attribute not in SCALES:
            raise ValueError(f"{attribute!r} is not an attribute ({', '.join(ATTRIBUTES)})")
        top = SCALES[attribute][-1].score
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= top:
            raise ValueError(f"{attribute} score must be a whole number from 0 to {top}")
    return max(scores.values())


def checked_clinician_grade(symptom: str, grade: object) -> int:
    """Validate a clinician's CTCAE v5.0 grade for a symptom: 1-5, not above the term's maximum.

    Raises CaseInvalid("symptom", ...) or CaseInvalid("grade", ...).
    """
    item = get_symptom(symptom)
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise CaseInvalid("grade", "must be a whole number from 1 to 5 (CTCAE v5.0)")
    if not 1 <= grade <= 5:
        raise CaseInvalid("grade", "must be from 1 to 5 (CTCAE v5.0)")
    if item.ctcae_max_grade is not None and grade > item.ctcae_max_grade:
        raise CaseInvalid(
            "grade",
            f"CTCAE v5.0 '{item.ctcae_term}' has no grade {grade}; its highest grade is "
            f"{item.ctcae_max_grade}",
        )
    return grade

"""Symptom catalogue for patient-reported side effects (docs/clinical-facts.md §6.1-§6.4).

Each symptom says which PRO-CTCAE attributes the patient is asked, the 0-4 answer scales with
their words, the question wording (our own words, never NCI's item text), the CTCAE v5.0 terms
a clinician grades it with and the grades each term allows, its sources and its status (the
fact base's tags: ``C``, ``C-2nd``, ``UNCONFIRMED``, ``DESIGN``).

Scales ([C] S17): frequency never 0 / rarely 1 / occasionally 2 / frequently 3 / almost
constantly 4; severity none 0 / mild 1 / moderate 2 / severe 3 / very severe 4; interference
not at all 0 / a little bit 1 / somewhat 2 / quite a bit 3 / very much 4; presence no 0 / yes 1.
Recall period "the last 7 days" ([C] S17, NCI FAQ: no other recall period is endorsed).

Conditional branching ([C] S17 CDISC QRS supplement; S18 for severity-led items): when the
first question of a symptom is frequency, severity or presence and the answer is 0 ("never",
"none", "no"), the other attributes are not asked and are scored 0.

Two numbers come from a patient's answers, and neither is a CTCAE grade:
- the *summary level*, the highest attribute score (0-4), which the alert trigger reads
  (SYMPATHY: any attribute at 3 or more, S20);
- the *composite grade* (0-3) of Basch et al. 2021 (S18), looked up from the published table
  (docs/clinical-facts.md §6.4), which sets an alert's priority.
A CTCAE v5.0 grade (1-5) is only ever given by a clinician.

Red flags (DESIGN, issue 16): yes/no questions about symptoms that need a clinician at once
(bleeding, jaundice, fever, chest pain, breathlessness, severe abdominal pain, blistering
rash). GI and intratumoural haemorrhage is in the EU SmPC's warnings (S2); hepatotoxicity and
serious fluid retention (pleural effusion) in the label's (S1); Stevens-Johnson syndrome and
toxic epidermal necrolysis are graded with their CTCAE v5.0 terms (S16).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from . import rules
from .errors import CaseInvalid
from .rules import DESIGN, C

RECALL_PERIOD: Final = "the last 7 days"

FREQUENCY: Final = "frequency"
SEVERITY: Final = "severity"
INTERFERENCE: Final = "interference"
PRESENCE: Final = "presence"
ATTRIBUTES: Final[tuple[str, ...]] = (FREQUENCY, SEVERITY, INTERFERENCE, PRESENCE)

# Rash follow-up questions (our own, DESIGN): asked only after "yes, I have a rash".
BODY_AREA: Final = "body_area"
BLISTERS: Final = "blisters"
MOUTH_EYE_SORES: Final = "mouth_eye_sores"
FEVER: Final = "fever"
RASH_FOLLOW_UPS: Final[tuple[str, ...]] = (BODY_AREA, BLISTERS, MOUTH_EYE_SORES, FEVER)

# The attributes whose "0" answer ends the symptom's questions (§6.2 conditional branching;
# §6.4: "likewise severity 0 for severity-led items").
BRANCHING_ATTRIBUTES: Final = (FREQUENCY, SEVERITY, PRESENCE)

# What a red flag tells the patient to do (DESIGN; see docs/guidelines.md "Red flags").
EMERGENCY: Final = "emergency"
CALL_NOW: Final = "call_now"
CONTACT_SOON: Final = "contact_soon"
SELF_CARE: Final = "self_care"
INSTRUCTION_LEVELS: Final = (EMERGENCY, CALL_NOW, CONTACT_SOON, SELF_CARE)  # most urgent first

# One registry of sources for the whole guideline module (rules.SOURCES).
SOURCES: Final = rules.SOURCES


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

    @property
    def is_yes_no(self) -> bool:
        return self.max_score == 1

    def option_label(self, score: int) -> str:
        for option in self.options:
            if option.score == score:
                return option.label
        raise ValueError(f"{score!r} is not a score of the {self.attribute} scale")


@dataclass(frozen=True)
class CtcaeTerm:
    """A CTCAE v5.0 term a clinician may grade a symptom with, and the grades it defines.

    ``urgent`` terms (Stevens-Johnson syndrome, toxic epidermal necrolysis) make any grade
    an urgent alert: their lowest grade is already severe (S16).
    """

    name: str
    lowest_grade: int
    highest_grade: int
    urgent: bool = False


@dataclass(frozen=True)
class Symptom:
    """A symptom the patient can report.

    ``is_pro_ctcae`` is False for our own questions (not from the NCI item library);
    ``pro_ctcae_term`` names the NCI item whose attributes and scales are used, or the nearest
    related item for a red flag. ``ctcae_terms``: the CTCAE v5.0 terms a clinician grades it
    with, the usual one first (empty for a free-text symptom: the general 1-5 scale applies).
    ``red_flag`` items are yes/no questions whose "yes" is always urgent; ``instruction_level``
    says what the patient is told to do at once. ``follow_ups`` are asked only after a "yes"
    to a presence question (rash).
    """

    code: str
    label: str
    is_pro_ctcae: bool
    questions: tuple[SymptomQuestion, ...]
    ctcae_terms: tuple[CtcaeTerm, ...]
    sources: tuple[str, ...]
    status: str
    note: str
    pro_ctcae_term: str | None = None
    free_text_prompt: str | None = None
    red_flag: bool = False
    instruction_level: str | None = None
    follow_ups: tuple[SymptomQuestion, ...] = ()

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(q.attribute for q in self.questions)

    @property
    def follow_up_attributes(self) -> tuple[str, ...]:
        return tuple(q.attribute for q in self.follow_ups)

    @property
    def ctcae_term(self) -> str | None:
        """The usual CTCAE v5.0 term (None: the general scale)."""
        return self.ctcae_terms[0].name if self.ctcae_terms else None

    @property
    def ctcae_max_grade(self) -> int | None:
        """The highest grade any of its terms defines (None: the general scale, up to 5)."""
        if not self.ctcae_terms:
            return None
        return max(term.highest_grade for term in self.ctcae_terms)

    @property
    def branch_attribute(self) -> str | None:
        """The first attribute, if a 0 answer to it makes the other questions unnecessary."""
        first = self.questions[0].attribute
        if len(self.questions) > 1 and first in BRANCHING_ATTRIBUTES:
            return first
        return None

    @property
    def presence_only(self) -> bool:
        return self.attributes == (PRESENCE,)

    def question(self, attribute: str) -> SymptomQuestion:
        for q in (*self.questions, *self.follow_ups):
            if q.attribute == attribute:
                return q
        raise KeyError(attribute)

    def term(self, name: str | None) -> CtcaeTerm | None:
        """One of its CTCAE terms by name (None -> the usual one)."""
        if name is None or name == "":
            return self.ctcae_terms[0] if self.ctcae_terms else None
        for term in self.ctcae_terms:
            if term.name.lower() == name.strip().lower():
                return term
        return None


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


def _red_flag_question(what: str) -> SymptomQuestion:
    return SymptomQuestion(
        PRESENCE, f"Do you have {what} now, or since your last report?", SCALES[PRESENCE]
    )


def _yes_no(attribute: str, text: str) -> SymptomQuestion:
    return SymptomQuestion(attribute, text, SCALES[PRESENCE])


CUSTOM_QUESTION_NOTE: Final = (
    "This question is our own; it is not part of the NCI PRO-CTCAE item library."
)

_RASH_FOLLOW_UPS: Final = (
    SymptomQuestion(
        BODY_AREA,
        "How much of your body does the rash cover?",
        _scale(
            "a small area (less than about 10% of the skin)",
            "a larger area (about 10 to 30%)",
            "most of the body (more than 30%)",
        ),
    ),
    _yes_no(BLISTERS, "Do you have blisters or peeling skin?"),
    _yes_no(MOUTH_EYE_SORES, "Do you have sores in your mouth or eyes?"),
    _yes_no(FEVER, "Do you have a fever of 38 °C or more?"),
)

# CTCAE v5.0 terms for skin reactions ([C] S16): maculo-papular rash 1-3; erythema multiforme
# 1-5; Stevens-Johnson syndrome 3-5 (sloughing <10% BSA is grade 3, 10-30% grade 4); toxic
# epidermal necrolysis 4-5 (sloughing >=30% BSA).
_SKIN_TERMS: Final = (
    CtcaeTerm("Rash maculo-papular", 1, 3),
    CtcaeTerm("Erythema multiforme", 1, 5),
    CtcaeTerm("Stevens-Johnson syndrome", 3, 5, urgent=True),
    CtcaeTerm("Toxic epidermal necrolysis", 4, 5, urgent=True),
)

# --------------------------------------------------------------------------------------------
# Red flags (DESIGN, issue 16): yes/no, always urgent, asked first
# --------------------------------------------------------------------------------------------


def _red_flag(
    code: str,
    label: str,
    question: str,
    level: str,
    terms: tuple[CtcaeTerm, ...],
    sources: tuple[str, ...],
    why: str,
    related_item: str | None = None,
) -> Symptom:
    related = (
        f" The nearest PRO-CTCAE item is {related_item}; it is asked here as a yes/no red flag."
        if related_item
        else " PRO-CTCAE has no item for it."
    )
    return Symptom(
        code=code,
        label=label,
        is_pro_ctcae=False,
        pro_ctcae_term=related_item,
        questions=(_red_flag_question(question),),
        ctcae_terms=terms,
        sources=sources,
        status=DESIGN,
        note=f"Red flag: a 'yes' raises an urgent alert at once. {why}{related} "
        f"{CUSTOM_QUESTION_NOTE}",
        red_flag=True,
        instruction_level=level,
    )


_RED_FLAGS: Final = (
    _red_flag(
        "black_stools",
        "Black, tarry or bloody stools",
        "black, tarry or bloody stools (poo)",
        EMERGENCY,
        (
            CtcaeTerm("Lower gastrointestinal hemorrhage", 1, 5),
            CtcaeTerm("Upper gastrointestinal hemorrhage", 1, 5),
            CtcaeTerm("Intra-abdominal hemorrhage", 2, 5),
        ),
        ("S2", "S1", "S16"),
        "Gastrointestinal and tumour bleeding is a warning of the imatinib label.",
    ),
    _red_flag(
        "vomiting_blood",
        "Vomiting blood",
        "vomiting of blood, or of what looks like coffee grounds",
        EMERGENCY,
        (CtcaeTerm("Upper gastrointestinal hemorrhage", 1, 5),),
        ("S2", "S1", "S16"),
        "Gastrointestinal bleeding is a warning of the imatinib label.",
        related_item="VOMITING",
    ),
    _red_flag(
        "severe_abdominal_pain",
        "Severe pain in the belly",
        "severe pain in your belly (abdomen)",
        EMERGENCY,
        (CtcaeTerm("Abdominal pain", 1, 3), CtcaeTerm("Intra-abdominal hemorrhage", 2, 5)),
        ("S2", "S16", "S17"),
        "Sudden severe abdominal pain can mean bleeding into the tumour or a perforation.",
        related_item="ABDOMINAL PAIN",
    ),
    _red_flag(
        "breathlessness",
        "Short of breath",
        "new or worse shortness of breath",
        EMERGENCY,
        (CtcaeTerm("Dyspnea", 1, 5), CtcaeTerm("Pleural effusion", 1, 5)),
        ("S1", "S16", "S17"),
        "Serious fluid retention (pleural effusion, pulmonary oedema) is a label warning.",
        related_item="SHORTNESS OF BREATH",
    ),
    _red_flag(
        "chest_pain",
        "Chest pain",
        "pain or tightness in your chest",
        EMERGENCY,
        (CtcaeTerm("Chest pain - cardiac", 1, 3), CtcaeTerm("Chest wall pain", 1, 3)),
        ("S1", "S16"),
        "Chest pain needs a clinician at once, whatever its cause.",
    ),
    _red_flag(
        "jaundice",
        "Yellow skin or eyes, or dark urine",
        "yellow skin or eyes, or dark urine",
        CALL_NOW,
        (CtcaeTerm("Blood bilirubin increased", 1, 4),),
        ("S1", "S2", "S16"),
        "Hepatotoxicity is a label warning; the liver tests decide the label's hold rule.",
        related_item="CHANGE IN USUAL URINE COLOR",
    ),
    _red_flag(
        "fever",
        "Fever of 38 °C or more",
        "a fever of 38 °C (100.4 °F) or more",
        CALL_NOW,
        (CtcaeTerm("Fever", 1, 5), CtcaeTerm("Febrile neutropenia", 3, 5)),
        ("S1", "S16"),
        "Imatinib can lower the neutrophil count (label); CTCAE v5.0 fever starts at 38.0 °C.",
        related_item="CHILLS",
    ),
    _red_flag(
        "bleeding_bruising",
        "Unusual bleeding or bruising",
        "unusual bleeding or bruising",
        CALL_NOW,
        (),
        ("S1", "S2", "S16", "S17"),
        "Haemorrhage and low platelet counts are label warnings; the clinician grades it with "
        "the matching CTCAE term.",
        related_item="BRUISING",
    ),
    _red_flag(
        "blistering_rash",
        "Blisters, peeling skin or mouth sores",
        "blisters, peeling skin, or sores in your mouth or eyes",
        CALL_NOW,
        _SKIN_TERMS,
        ("S16", "S17", "S32"),
        "These can be the first signs of Stevens-Johnson syndrome or toxic epidermal "
        "necrolysis (CTCAE v5.0 terms).",
        related_item="RASH",
    ),
)

# --------------------------------------------------------------------------------------------
# The catalogue (§6.1 CTCAE terms and highest grades, §6.2 PRO-CTCAE items and attributes)
# --------------------------------------------------------------------------------------------

_CATALOGUE: Final = (
    *_RED_FLAGS,
    Symptom(
        code="nausea",
        label="Nausea",
        is_pro_ctcae=True,
        pro_ctcae_term="NAUSEA",
        questions=(
            _frequency("did you feel sick to your stomach (nausea)"),
            _severity("your nausea"),
        ),
        ctcae_terms=(CtcaeTerm("Nausea", 1, 3),),
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
        ctcae_terms=(CtcaeTerm("Vomiting", 1, 5),),
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
        ctcae_terms=(CtcaeTerm("Diarrhea", 1, 5),),
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
        ctcae_terms=(CtcaeTerm("Edema limbs", 1, 3),),
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
        ctcae_terms=(CtcaeTerm("Periorbital edema", 1, 3), CtcaeTerm("Edema face", 1, 3)),
        sources=("S16", "S17", "S30", "S7"),
        status=DESIGN,
        note=f"{CUSTOM_QUESTION_NOTE} PRO-CTCAE has no item for swelling around the eyes, a "
        "common imatinib side effect (eyelid oedema 24% in S30, periorbital oedema 34% in S7). "
        "The questions copy the attributes of the nearest item, ARM OR LEG SWELLING "
        "(frequency, severity, interference) and are not validated; its composite grade uses "
        "that item's table. CTCAE v5.0 periorbital edema has no grade 4 or 5.",
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
        ctcae_terms=(CtcaeTerm("Fatigue", 1, 3),),
        sources=("S17", "S16", "S18"),
        status=C,
        note="PRO-CTCAE asks severity and interference; after severity 'none' interference is "
        "not asked (S18). CTCAE v5.0 fatigue has no grade 4 or 5.",
    ),
    Symptom(
        code="rash",
        label="Rash",
        is_pro_ctcae=True,
        pro_ctcae_term="RASH",
        questions=(_presence("a skin rash"),),
        ctcae_terms=_SKIN_TERMS,
        sources=("S17", "S16", "S32"),
        status=C,
        note="PRO-CTCAE asks presence only (no 0, yes 1), so it has no composite grade. After "
        "a 'yes' four questions of our own (how much of the body; blisters or peeling; mouth "
        "or eye sores; fever) set the alert's priority (DESIGN). A clinician grades it as "
        "maculo-papular rash (1-3), erythema multiforme (1-5), Stevens-Johnson syndrome (3-5) "
        "or toxic epidermal necrolysis (4-5), as CTCAE v5.0 defines them.",
        follow_ups=_RASH_FOLLOW_UPS,
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
        ctcae_terms=(CtcaeTerm("Muscle cramp", 1, 3), CtcaeTerm("Myalgia", 1, 3)),
        sources=("S17", "S16", "S3"),
        status=DESIGN,
        note="PRO-CTCAE has no cramp item; the attributes and scales of the nearest item, "
        "ACHING MUSCLES (frequency, severity, interference), are used, and our wording adds "
        "cramps, so the answers are not strictly the validated item. CTCAE v5.0 muscle cramp "
        "has grades 1-3 only.",
    ),
    Symptom(
        code="other",
        label="Other symptom",
        is_pro_ctcae=False,
        pro_ctcae_term=None,
        questions=(_severity("this symptom"),),
        ctcae_terms=(),
        sources=("S17", "S16"),
        status=DESIGN,
        note=f"{CUSTOM_QUESTION_NOTE} Free-text symptom: only severity is asked (PRO-CTCAE "
        "severity scale). The clinician grades it with the matching CTCAE term (general "
        "scale 1-5). Anything that sounds like a red flag should be asked as one.",
        free_text_prompt="Please describe the symptom in a few words.",
    ),
)

SYMPTOMS: Final[Mapping[str, Symptom]] = MappingProxyType({s.code: s for s in _CATALOGUE})
RED_FLAGS: Final[tuple[str, ...]] = tuple(s.code for s in _RED_FLAGS)

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
# PRO-CTCAE composite grade (Basch et al. 2021, S18; table: docs/clinical-facts.md §6.4)
# --------------------------------------------------------------------------------------------

# Single attribute: score 0-4 -> composite.
_SINGLE: Final = {
    FREQUENCY: (0, 1, 1, 2, 3),
    SEVERITY: (0, 1, 2, 3, 3),
    INTERFERENCE: (0, 1, 1, 2, 2),
}
# Two attributes: rows are the first attribute's score 1-4 (0 -> composite 0), columns the
# second attribute's score 0-4.
_PAIRS: Final = {
    (FREQUENCY, SEVERITY): (
        (1, 1, 1, 2, 2),
        (1, 1, 2, 2, 2),
        (1, 1, 2, 3, 3),
        (1, 1, 2, 3, 3),
    ),
    (FREQUENCY, INTERFERENCE): (
        (1, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (1, 1, 2, 3, 3),
        (1, 1, 2, 3, 3),
    ),
    (SEVERITY, INTERFERENCE): (
        (1, 1, 1, 2, 2),
        (1, 1, 2, 2, 3),
        (1, 2, 2, 3, 3),
        (2, 2, 2, 3, 3),
    ),
}
# Three attributes: for frequency 1-4 (0 -> composite 0), severity rows 0-4 x interference
# columns 0-4.
_TRIPLE: Final = (
    (  # frequency 1
        (0, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (1, 2, 2, 2, 3),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
    ),
    (  # frequency 2
        (0, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (2, 2, 2, 3, 3),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
    ),
    (  # frequency 3
        (1, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
        (2, 2, 3, 3, 3),
    ),
    (  # frequency 4
        (1, 1, 1, 2, 2),
        (1, 1, 2, 2, 3),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
        (2, 2, 3, 3, 3),
    ),
)
COMPOSITE_MAX: Final = 3


def composite_grade(symptom: str, scores: Mapping[str, int]) -> int | None:
    """The PRO-CTCAE composite grade 0-3 of one report (Basch et al. 2021, S18).

    A patient-reported level, **not** a CTCAE grade. None for a yes/no item (rash, red flags),
    which has no composite. ``scores`` as from :func:`checked_answers`.
    """
    item = get_symptom(symptom)
    attributes = tuple(a for a in item.attributes if a != PRESENCE)
    if not attributes:
        return None
    values = []
    for attribute in attributes:
        value = scores.get(attribute)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4:
            raise ValueError(f"{attribute} score must be a whole number from 0 to 4")
        values.append(value)
    if len(values) == 1:
        return _SINGLE[attributes[0]][values[0]]
    if values[0] == 0:
        return 0  # branching: the first attribute "never"/"none" ends the item
    if len(values) == 2:
        return _PAIRS[(attributes[0], attributes[1])][values[0] - 1][values[1]]
    if attributes != (FREQUENCY, SEVERITY, INTERFERENCE):  # pragma: no cover - catalogue shape
        raise ValueError(f"no composite table for {attributes}")
    return _TRIPLE[values[0] - 1][values[1]][values[2]]


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def _question_data(q: SymptomQuestion) -> dict[str, Any]:
    return {
        "attribute": q.attribute,
        "text": q.text,
        "options": [{"score": o.score, "label": o.label} for o in q.options],
    }


def symptom_catalogue() -> list[dict[str, Any]]:
    """The catalogue as plain JSON-able data, for the patient app and the API (red flags
    first)."""
    return [
        {
            "code": s.code,
            "label": s.label,
            "red_flag": s.red_flag,
            "instruction_level": s.instruction_level,
            "is_pro_ctcae": s.is_pro_ctcae,
            "pro_ctcae_term": s.pro_ctcae_term,
            "recall_period": RECALL_PERIOD,
            "questions": [_question_data(q) for q in s.questions],
            "skip_others_when_zero": s.branch_attribute,
            "follow_up_questions": [
                {**_question_data(q), "asked_when": {s.attributes[0]: 1}} for q in s.follow_ups
            ],
            "has_composite_grade": not s.presence_only,
            "free_text_prompt": s.free_text_prompt,
            "ctcae_term": s.ctcae_term,
            "ctcae_max_grade": s.ctcae_max_grade,
            "ctcae_terms": [
                {"name": t.name, "lowest_grade": t.lowest_grade, "highest_grade": t.highest_grade}
                for t in s.ctcae_terms
            ],
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
    if question.is_yes_no:
        # Yes/no answers come as true/false (the API's words) or 1/0.
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int) and value in (0, 1):
            return value
        raise CaseInvalid(field, "must be true (yes) or false (no)")
    words = ", ".join(f"{o.score} {o.label}" for o in question.options)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseInvalid(field, f"must be a whole number from 0 to {top} ({words})")
    if not 0 <= value <= top:
        raise CaseInvalid(field, f"must be from 0 to {top} ({words})")
    return value


def checked_answers(symptom: str, answers: Mapping[str, object]) -> dict[str, int]:
    """Validate one symptom report's answers; return a score for every attribute asked.

    ``answers`` maps attribute -> score (yes/no answers as true/false or 1/0). Missing (or
    null) answers are refused, except after a 0 ("never", "none", "no") to the symptom's first
    question when that is frequency, severity or presence: the other questions are then
    optional, must be 0 if given, and are scored 0 ([C] S17, S18). Follow-up questions (rash)
    are optional after a "yes"; after a "no" a positive answer is refused (0 or false is
    accepted and dropped); only those answered after a "yes" are returned.
    Raises CaseInvalid with field "symptom" or "answers.<attribute>".
    """
    item = get_symptom(symptom)
    if not isinstance(answers, Mapping):
        raise CaseInvalid("answers", "must be an object mapping each attribute to a score")
    asked = (*item.attributes, *item.follow_up_attributes)
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
    present = scores.get(item.attributes[0], 0) > 0
    for question in item.follow_ups:
        value = answers.get(question.attribute)
        if value is None:
            continue
        score = _score(question, value)
        if not present and score != 0:
            raise CaseInvalid(
                f"answers.{question.attribute}",
                f"is asked only when {item.attributes[0]} is yes",
            )
        if present:
            scores[question.attribute] = score
    return scores


def summary_level(scores: Mapping[str, int]) -> int:
    """The highest PRO-CTCAE attribute score of one report, 0-4 (what the SYMPATHY trigger
    reads; not the composite grade, never a CTCAE grade).

    Presence counts as its score: "no" 0, "yes" 1. Follow-up answers (rash) are not
    PRO-CTCAE attributes and do not count.
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError("scores must be a non-empty mapping of attribute to score")
    core = {a: s for a, s in scores.items() if a not in RASH_FOLLOW_UPS}
    if not core:
        raise ValueError("scores must hold at least one PRO-CTCAE attribute")
    for attribute, score in core.items():
        if attribute not in SCALES:
            raise ValueError(f"{attribute!r} is not an attribute ({', '.join(ATTRIBUTES)})")
        top = SCALES[attribute][-1].score
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= top:
            raise ValueError(f"{attribute} score must be a whole number from 0 to {top}")
    return max(core.values())


def red_flags_in(symptom: str, scores: Mapping[str, int]) -> tuple[str, ...]:
    """The red flags one report raises: the red-flag item itself when answered yes, and for a
    rash the red flags its follow-ups name (blisters or mouth/eye sores -> blistering_rash;
    fever -> fever)."""
    item = get_symptom(symptom)
    found: list[str] = []
    if item.red_flag and scores.get(PRESENCE, 0) == 1:
        found.append(item.code)
    if scores.get(BLISTERS, 0) == 1 or scores.get(MOUTH_EYE_SORES, 0) == 1:
        found.append("blistering_rash")
    if scores.get(FEVER, 0) == 1:
        found.append("fever")
    return tuple(dict.fromkeys(found))


def _chosen_term(item: Symptom, term: object) -> CtcaeTerm | None:
    """The CTCAE term named (None or "" -> the usual one); None for the general scale."""
    if term is not None and not isinstance(term, str):
        raise CaseInvalid("ctcae_term", "must be the name of a CTCAE v5.0 term")
    chosen = item.term(term)
    if chosen is None and item.ctcae_terms:
        names = "; ".join(t.name for t in item.ctcae_terms)
        raise CaseInvalid("ctcae_term", f"not a term for {item.code}; use one of: {names}")
    return chosen


def checked_clinician_grade(symptom: str, grade: object, term: object = None) -> int:
    """Validate a clinician's CTCAE v5.0 grade for a symptom, under one of its terms.

    ``term`` names the CTCAE term graded; the grade must be one that term defines (e.g.
    Stevens-Johnson syndrome 3-5, maculo-papular rash 1-3). Without a term the grade must be one
    that some term of the symptom defines (a rash may be graded 4 or 5: erythema multiforme,
    SJS, TEN). Raises CaseInvalid("symptom" | "ctcae_term" | "grade", ...).
    """
    item = get_symptom(symptom)
    chosen = _chosen_term(item, term) if term not in (None, "") else None
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise CaseInvalid("grade", "must be a whole number from 1 to 5 (CTCAE v5.0)")
    if not 1 <= grade <= 5:
        raise CaseInvalid("grade", "must be from 1 to 5 (CTCAE v5.0)")
    if chosen is not None:
        low, high, name = chosen.lowest_grade, chosen.highest_grade, f"'{chosen.name}'"
    elif item.ctcae_terms:
        low = min(t.lowest_grade for t in item.ctcae_terms)
        high = max(t.highest_grade for t in item.ctcae_terms)
        name = " or ".join(f"'{t.name}'" for t in item.ctcae_terms)
    else:
        return grade
    if not low <= grade <= high:
        raise CaseInvalid(
            "grade",
            f"CTCAE v5.0 {name} has no grade {grade}; grades {low} to {high} are defined",
        )
    return grade


def checked_ctcae_term(symptom: str, term: object = None, grade: int | None = None) -> str:
    """The CTCAE term's canonical name to store with a grade.

    Without a term: the symptom's usual term when the grade is one it defines, else '' (the
    clinician did not say which term; e.g. a rash graded 4). For a symptom graded on the
    general scale, the clinician's own term name, trimmed.
    """
    item = get_symptom(symptom)
    if term in (None, ""):
        usual = item.ctcae_terms[0] if item.ctcae_terms else None
        if usual is not None and (
            grade is None or usual.lowest_grade <= grade <= usual.highest_grade
        ):
            return usual.name
        return ""
    chosen = _chosen_term(item, term)
    if chosen is not None:
        return chosen.name
    return term.strip()[:80] if isinstance(term, str) else ""

"""Decision support for side-effect alerts: what a nurse is advised to do, and on what basis.

Two kinds of advice, never mixed (issue 16):

- **On a patient's answers** (PRO-CTCAE, a red flag, a weight, a dose skipped for side
  effects): the label's supportive measures for that symptom (S3, S1 §5.1), "clinician to
  assess the grade", and when to call the patient. It never says withhold or reduce: a
  patient's answers are not a CTCAE grade.
- **On a clinician's CTCAE v5.0 grade**: grade 3 or more (non-haematological; the label's
  "severe" read as grade 3 or more, DESIGN) -> withhold until resolved, then resume one step
  down the label's reduction ladder 800 -> 600 -> 400 -> 300 mg (S1, S2); at 300 mg there is
  no lower label step for GIST and the clinician decides (S45). Below grade 3: continue the
  current dose, with the supportive measures.

Liver tests and blood counts have their own label rules in :mod:`.dosing`. Every text is
advice for the clinician, never an instruction to the patient; ``actions`` lists codes from
:data:`ACTIONS` so the dashboard and other systems need not parse the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from . import rules
from .dosing import doses_per_day, reduction_step
from .errors import CaseInvalid
from .rules import DESIGN, UNCONFIRMED, C, Rule
from .symptoms import get_symptom

FOR_CLINICIAN: Final = "Advice for the clinician, not an instruction to the patient."

SUPPORTIVE_CARE: Final = "supportive_care"
CLINICIAN_ASSESSMENT: Final = "clinician_assessment"
CALL_PATIENT: Final = "call_patient"
URGENT_REVIEW: Final = "urgent_review"
CONTINUE: Final = "continue"
WITHHOLD: Final = "withhold"
RESUME_LOWER_DOSE: Final = "resume_lower_dose"
ACTIONS: Final = (
    SUPPORTIVE_CARE,
    CLINICIAN_ASSESSMENT,
    CALL_PATIENT,
    URGENT_REVIEW,
    CONTINUE,
    WITHHOLD,
    RESUME_LOWER_DOSE,
)

PATIENT_REPORTED: Final = "patient_reported"
CLINICIAN_GRADE: Final = "clinician_grade"

ADVICE_RULES: Final[dict[str, Rule]] = rules._rules(
    Rule(
        "advice.patient_reported",
        C,
        ("S18", "S16", "S3"),
        "A patient's PRO-CTCAE answers are not a CTCAE grade: a clinician assesses the grade "
        "before any change to the dose; the label's supportive measures apply meanwhile.",
    ),
    Rule(
        "advice.call_patient",
        DESIGN,
        ("S19", "S20"),
        "When to call the patient follows the alert's priority: urgent now, high today, "
        "normal by the next working day.",
    ),
    Rule(
        "advice.red_flag",
        DESIGN,
        ("S2", "S1", "S16"),
        "A red-flag symptom needs an urgent clinical review, whatever the dose.",
    ),
    Rule(
        "advice.severe_withhold",
        DESIGN,
        ("S1", "S2", "S16"),
        "A clinician's CTCAE grade of 3 or more (the label's 'severe', non-haematological): "
        "withhold imatinib until resolved, then resume one step down the label's reduction "
        "ladder (800 -> 600 -> 400 -> 300 mg).",
    ),
    Rule(
        "advice.severe_no_lower_step",
        UNCONFIRMED,
        ("S1", "S45"),
        "Severe reaction on 300 mg/day: there is no lower label dose step for GIST (300 mg/day "
        "maintenance has retrospective support only); resuming is the clinician's decision.",
    ),
    Rule(
        "advice.continue",
        DESIGN,
        ("S3", "S1"),
        "A clinician's grade below 3: continue the current dose and review; supportive "
        "measures from the label where they apply.",
    ),
)

# Supportive measures (docs/clinical-facts.md §5.3, [C] S3; fluid retention also S1 §5.1).
_EMETIC: Final = (
    "Imatinib should be taken with a meal and a large glass of water; an antiemetic if "
    "nausea or vomiting is severe.",
    ("S3",),
)
_OEDEMA: Final = (
    "Fluid retention: weigh the patient and monitor regularly, and investigate unexpected "
    "rapid weight gain; mild oedema: monitor; rapid weight gain or severe oedema: diuretics; "
    "severe fluid retention that does not resolve: interruption or dose reduction, a "
    "clinician's decision. The risk is higher at higher doses and over 65.",
    ("S1", "S3"),
)
SUPPORTIVE: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "nausea": _EMETIC,
    "vomiting": _EMETIC,
    "diarrhoea": ("An antidiarrhoeal if diarrhoea is severe.", ("S3",)),
    "muscle_cramps": (
        "An NSAID or paracetamol (acetaminophen) may help muscle cramps; use with caution at "
        "high imatinib doses.",
        ("S3",),
    ),
    "limb_swelling": _OEDEMA,
    "periorbital_swelling": _OEDEMA,
    "breathlessness": _OEDEMA,
    "weight_gain": _OEDEMA,
}

_CALL_WORDS: Final = {
    "urgent": "Call the patient now.",
    "high": "Call the patient today.",
    "normal": "Call the patient by the next working day.",
}


@dataclass(frozen=True)
class Advice:
    """Decision support for a clinician: text, the deciding rule, sources, status, flags, and
    ``actions`` (codes from :data:`ACTIONS`). ``basis`` says what it rests on: the patient's
    answers (``patient_reported``) or a clinician's grade (``clinician_grade``)."""

    text: str
    rule: str
    sources: tuple[str, ...]
    for_clinician: bool = True
    status: str = C
    flags: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    basis: str = PATIENT_REPORTED


def _lower_first(label: str) -> str:
    """'Fever of 38 °C or more' -> 'fever of 38 °C or more' (units keep their case)."""
    return label[:1].lower() + label[1:]


def _per_day(mg: int) -> str:
    return "400 mg twice daily" if doses_per_day(mg) == 2 else "once daily"


def _build(
    fired: list[str],
    parts: list[str],
    actions: list[str],
    basis: str,
    extra_sources: Sequence[str] = (),
) -> Advice:
    sources: list[str] = []
    for rule_id in fired:
        sources.extend(s for s in ADVICE_RULES[rule_id].sources if s not in sources)
    sources.extend(s for s in extra_sources if s not in sources)
    flags = tuple(
        rules.UNCONFIRMED_FLAG_PREFIX + rule_id
        for rule_id in fired
        if ADVICE_RULES[rule_id].needs_flag
    )
    main = ADVICE_RULES[fired[0]]
    return Advice(
        " ".join([FOR_CLINICIAN, *parts]),
        main.id,
        tuple(sources),
        True,
        main.status,
        flags,
        tuple(dict.fromkeys(actions)),
        basis,
    )


def _supportive(codes: Sequence[str]) -> tuple[list[str], list[str]]:
    """The label's supportive measures for these symptoms: (sentences, sources)."""
    texts: list[str] = []
    sources: list[str] = []
    for code in codes:
        if code not in SUPPORTIVE:
            continue
        text, cited = SUPPORTIVE[code]
        sentence = f"Supportive measures from the label: {text}"
        if sentence not in texts:
            texts.append(sentence)
        sources.extend(s for s in cited if s not in sources)
    return texts, sources


def patient_report_advice(
    symptoms: Sequence[str],
    priority: str,
    *,
    red_flags: Sequence[str] = (),
) -> Advice:
    """Advice on an alert raised by what a patient reported (answers, a red flag, a weight, a
    dose skipped for side effects). ``symptoms``: catalogue codes (or ``weight_gain``) whose
    supportive measures apply; ``priority`` sets when to call; ``red_flags`` adds an urgent
    review. Never withhold or reduce: that needs a clinician's grade.
    """
    if priority not in _CALL_WORDS:
        raise CaseInvalid("priority", f"must be one of {', '.join(_CALL_WORDS)}")
    for code in (*symptoms, *red_flags):
        if code != "weight_gain":
            get_symptom(code)
    fired = ["advice.patient_reported", "advice.call_patient"]
    parts: list[str] = []
    actions: list[str] = []
    if red_flags:
        fired.insert(0, "advice.red_flag")
        names = ", ".join(_lower_first(get_symptom(code).label) for code in red_flags)
        parts.append(f"Red flag reported by the patient ({names}): urgent clinical review.")
        actions.append(URGENT_REVIEW)
    supportive, supportive_sources = _supportive([*symptoms, *red_flags])
    if supportive:
        actions.append(SUPPORTIVE_CARE)
        parts.extend(supportive)
    parts.append(
        "These are the patient's answers, not a CTCAE grade: clinician to assess the grade "
        "(CTCAE v5.0) before any change to the dose."
    )
    actions.append(CLINICIAN_ASSESSMENT)
    parts.append(_CALL_WORDS[priority])
    actions.append(CALL_PATIENT)
    return _build(fired, parts, actions, PATIENT_REPORTED, supportive_sources)


def clinician_grade_advice(
    symptom: str, grade: int, current_dose_mg: int | None, *, severe_grade: int = 3
) -> Advice:
    """Advice after a clinician's CTCAE v5.0 grade of ``symptom`` on ``current_dose_mg``.

    Grade >= ``severe_grade``: withhold until resolved, resume one step down the ladder (800 ->
    600 -> 400 -> 300), or at 300 mg no lower label step (the clinician decides); without a
    current dose the step is named in general. Below it: continue the current dose. The
    label's supportive measures for the symptom are added either way.
    """
    item = get_symptom(symptom)
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        raise CaseInvalid("grade", "must be a whole number from 1 to 5 (CTCAE v5.0)")
    step = None
    if current_dose_mg is not None:
        try:
            step = reduction_step(current_dose_mg)
        except ValueError as error:
            raise CaseInvalid("current_dose_mg", str(error)) from None
    parts: list[str] = [
        f"Clinician-assessed CTCAE v5.0 grade {grade} ({_lower_first(item.label)})."
    ]
    actions: list[str] = []
    if grade >= severe_grade:
        actions.append(WITHHOLD)
        if step is not None and step.dose_mg is None:
            fired = ["advice.severe_no_lower_step", "advice.severe_withhold"]
            parts.append(
                "Withhold imatinib until resolved. There is no lower label dose step below "
                f"{current_dose_mg} mg/day for GIST: whether and at what dose to resume is the "
                "clinician's decision."
            )
        elif step is not None:
            fired = ["advice.severe_withhold"]
            lower = step.dose_mg
            assert lower is not None
            parts.append(
                "Withhold imatinib until resolved, then resume one step down: "
                f"{current_dose_mg} → {lower} mg/day ({_per_day(lower)})."
            )
            actions.append(RESUME_LOWER_DOSE)
        else:
            fired = ["advice.severe_withhold"]
            parts.append(
                "Withhold imatinib until resolved, then resume one step down the label's "
                "reduction ladder (800 → 600 → 400 → 300 mg/day); no current plan is recorded."
            )
            actions.append(RESUME_LOWER_DOSE)
    else:
        fired = ["advice.continue"]
        dose = (
            f"{current_dose_mg} mg/day ({_per_day(current_dose_mg)})"
            if current_dose_mg is not None
            else "as prescribed"
        )
        parts.append(f"Not severe: continue the current dose, {dose}; review.")
        actions.append(CONTINUE)
    supportive, supportive_sources = _supportive([item.code])
    if supportive:
        actions.append(SUPPORTIVE_CARE)
        parts.extend(supportive)
    return _build(fired, parts, actions, CLINICIAN_GRADE, supportive_sources)


def toxicity_advice(current_dose_mg: int, *, severe: bool, symptom: str | None = None) -> Advice:
    """Advice on the dose once a clinician has graded a reaction (``severe``: grade >= 3).

    Kept for callers that know only "severe or not"; see :func:`clinician_grade_advice`.
    """
    if not isinstance(severe, bool):
        raise CaseInvalid("severe", "must be true or false")
    code = symptom if symptom is not None else "other"
    return clinician_grade_advice(code, 3 if severe else 1, current_dose_mg)

"""Decision support for side-effect (toxicity) alerts: what the label suggests doing with the dose.

Facts page §5.1 and §5.3 (Gleevec/Glivec label, [C] S1, S2, S3):

- severe non-haematologic adverse reaction: withhold until resolved, then resume "as
  appropriate depending on initial severity". The label does not define "severe"; reading it as
  CTCAE grade 3 or more is DESIGN (§5.1). The label's own reduction ladder 800 -> 600 -> 400 ->
  300 mg is stated for liver toxicity; proposing one level down for every severe reaction is
  DESIGN. Below 300 mg there is no label step for GIST (UNCONFIRMED, S45).
- supportive measures from §5.3 (nausea/vomiting, diarrhoea, muscle cramps, fluid retention).
- not severe: continue the current dose and review (DESIGN; §5.3 "mild -> monitor" for
  oedema).

Liver tests and blood counts have their own label rules in :mod:`.dosing`. Every text says it
is advice for the clinician, never an instruction to the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from . import rules
from .dosing import doses_per_day, reduction_step
from .errors import CaseInvalid
from .rules import DESIGN, UNCONFIRMED, C, Rule
from .symptoms import get_symptom

FOR_CLINICIAN: Final = "Advice for the clinician, not an instruction to the patient."

ADVICE_RULES: Final[dict[str, Rule]] = rules._rules(
    Rule(
        "advice.severe_withhold",
        DESIGN,
        ("S1", "S2", "S16"),
        "Severe non-haematologic reaction (CTCAE grade 3 or more, a DESIGN reading of the "
        "label's 'severe'): withhold imatinib until resolved. The label says to resume as "
        "appropriate for the initial severity; proposing one level down the label's reduction "
        "ladder (800 -> 600 -> 400 -> 300 mg) is DESIGN.",
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
        "Reaction not severe: continue the current dose and review; supportive measures from "
        "the label where they apply.",
    ),
)

# §5.3 supportive measures ([C] S3; fluid retention also S1 §5.1), by symptom code.
SUPPORTIVE: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "nausea": (
        "Imatinib should be taken with a meal and a large glass of water; an antiemetic if "
        "nausea or vomiting is severe.",
        ("S3",),
    ),
    "vomiting": (
        "Imatinib should be taken with a meal and a large glass of water; an antiemetic if "
        "nausea or vomiting is severe.",
        ("S3",),
    ),
    "diarrhoea": ("An antidiarrhoeal if diarrhoea is severe.", ("S3",)),
    "muscle_cramps": (
        "An NSAID or paracetamol (acetaminophen) may help muscle cramps; use with caution at "
        "high imatinib doses.",
        ("S3",),
    ),
    "limb_swelling": (
        "Fluid retention: weigh the patient and monitor regularly, and investigate unexpected "
        "rapid weight gain; mild oedema: monitor; rapid weight gain or severe oedema: "
        "diuretics; severe fluid retention that does not resolve: interruption or dose "
        "reduction. The risk is higher at higher doses and over 65.",
        ("S1", "S3"),
    ),
}
SUPPORTIVE["periorbital_swelling"] = SUPPORTIVE["limb_swelling"]


@dataclass(frozen=True)
class Advice:
    """Decision support for a clinician: text, the deciding rule, sources, status and flags.

    ``flags`` lists ``unconfirmed_rule:<id>`` for every UNCONFIRMED/DESIGN rule behind it.
    """

    text: str
    rule: str
    sources: tuple[str, ...]
    for_clinician: bool = True
    status: str = C
    flags: tuple[str, ...] = ()


def _per_day(mg: int) -> str:
    return "400 mg twice daily" if doses_per_day(mg) == 2 else "once daily"


def toxicity_advice(current_dose_mg: int, *, severe: bool, symptom: str | None = None) -> Advice:
    """Advice on the dose after a side-effect alert on ``current_dose_mg`` (300/400/600/800).

    ``severe`` = the reaction is severe (CTCAE grade 3 or more, DESIGN mapping). ``symptom``
    (optional, a catalogue code) adds the label's supportive measures for it. Severe: withhold
    until resolved, resume one level down (400 -> 300 mg), or at 300 mg no lower label step
    (UNCONFIRMED). Not severe: continue the current dose; review.
    Raises CaseInvalid for a dose off the ladder, a non-bool ``severe`` or an unknown symptom.
    """
    if not isinstance(severe, bool):
        raise CaseInvalid("severe", "must be true or false")
    try:
        step = reduction_step(current_dose_mg)
    except ValueError as error:
        raise CaseInvalid("current_dose_mg", str(error)) from None
    item = None if symptom is None else get_symptom(symptom)
    dose = f"{current_dose_mg} mg/day ({_per_day(current_dose_mg)})"

    if severe:
        lower = step.dose_mg
        if lower is None:
            fired = ["advice.severe_no_lower_step", "advice.severe_withhold"]
            action = (
                "Withhold imatinib until resolved. There is no lower label dose step below "
                f"{current_dose_mg} mg/day for GIST (UNCONFIRMED: 300 mg/day maintenance has "
                "retrospective support only, S45): whether and at what dose to resume is the "
                "clinician's decision."
            )
        else:
            fired = ["advice.severe_withhold"]
            action = (
                "Withhold imatinib until resolved, then resume one level down: "
                f"{current_dose_mg} → {lower} mg/day ({_per_day(lower)}). The label says to "
                "resume as appropriate for the initial severity; one level down follows its "
                "reduction ladder (DESIGN)."
            )
        what = (
            "Severe non-haematologic reaction (CTCAE grade 3 or more, a DESIGN reading of the "
            "label's 'severe')."
        )
    else:
        fired = ["advice.continue"]
        what = "Reaction not severe."
        action = f"Continue the current dose, {dose}; review."

    parts = [FOR_CLINICIAN, what, action]
    sources: list[str] = []
    for rule_id in fired:
        sources.extend(s for s in ADVICE_RULES[rule_id].sources if s not in sources)
    if item is not None and item.code in SUPPORTIVE:
        text, supportive_sources = SUPPORTIVE[item.code]
        parts.append(f"Supportive ({item.label.lower()}): {text}")
        sources.extend(s for s in supportive_sources if s not in sources)
    flags = tuple(
        rules.UNCONFIRMED_FLAG_PREFIX + rule_id
        for rule_id in fired
        if ADVICE_RULES[rule_id].needs_flag
    )
    main = ADVICE_RULES[fired[0]]
    return Advice(" ".join(parts), main.id, tuple(sources), True, main.status, flags)

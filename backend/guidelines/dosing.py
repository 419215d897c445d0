"""Dose levels, toxicity holds and escalation (docs/clinical-facts.md §2.3, §5).

Lab values are passed as multiples of the upper limit of normal (x ULN) for liver tests and as
10^9/L for blood counts. These functions only suggest: the clinician confirms every change.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import rules
from .rules import Rule


@dataclass(frozen=True)
class DoseStep:
    """A proposed dose (None = clinician decision) and the rule behind it."""

    dose_mg: int | None
    rule: Rule


def _check_level(mg: int) -> int:
    """A dose level: the GIST ladder (800, 600, 400, 300 mg), or 200 mg, the label's 50% start
    in moderate renal impairment (§2.4), which has no lower step."""
    if isinstance(mg, bool) or not isinstance(mg, int) or mg not in rules.DOSES_PER_DAY:
        raise ValueError(f"{mg!r} mg is not a dose level ({tuple(sorted(rules.DOSES_PER_DAY))})")
    return mg


def doses_per_day(mg: int) -> int:
    """200, 300, 400 and 600 mg once daily; 800 mg as 400 mg twice daily (§2.1, [C] S34)."""
    return rules.DOSES_PER_DAY[_check_level(mg)]


def next_lower_dose(mg: int) -> int | None:
    """One step down the label ladder 800 -> 600 -> 400 -> 300; None from 300 mg or the 200 mg
    renal start (no label step below 300 mg).

    Raises ValueError for a dose that is not a dose level.
    """
    ladder = rules.REDUCTION_LADDER_MG
    if _check_level(mg) not in ladder:
        return None
    index = ladder.index(mg)
    return ladder[index + 1] if index + 1 < len(ladder) else None


def reduction_step(mg: int) -> DoseStep:
    """Like :func:`next_lower_dose`, with the rule (below 300 mg is UNCONFIRMED)."""
    lower = next_lower_dose(mg)
    rule_id = "toxicity.reduction_ladder" if lower is not None else "toxicity.below_300"
    return DoseStep(lower, rules.TOXICITY_RULES[rule_id])


def escalation_options_on_progression(mg: int) -> tuple[int, ...]:
    """Advanced disease progressing without severe adverse reactions: 400 -> 600 or 800 mg.

    Empty for other doses (on 800 mg the next step is another drug, out of scope).
    """
    return rules.ESCALATION_ON_PROGRESSION_MG.get(_check_level(mg), ())


def _finite_non_negative(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0")
    if value == float("inf"):
        raise ValueError(f"{name} must be finite")
    return float(value)


def liver_hold_needed(bilirubin_x_uln: float, transaminases_x_uln: float) -> bool:
    """Withhold if bilirubin > 3 x ULN or transaminases (ALT/AST) > 5 x ULN ([C] S1, S2)."""
    bilirubin = _finite_non_negative("bilirubin_x_uln", bilirubin_x_uln)
    transaminases = _finite_non_negative("transaminases_x_uln", transaminases_x_uln)
    return (
        bilirubin > rules.LIVER_HOLD_BILIRUBIN_X_ULN
        or transaminases > rules.LIVER_HOLD_TRANSAMINASES_X_ULN
    )


def liver_resume_allowed(bilirubin_x_uln: float, transaminases_x_uln: float) -> bool:
    """Resume when bilirubin < 1.5 x ULN and transaminases < 2.5 x ULN ([C] S1, S2)."""
    bilirubin = _finite_non_negative("bilirubin_x_uln", bilirubin_x_uln)
    transaminases = _finite_non_negative("transaminases_x_uln", transaminases_x_uln)
    return (
        bilirubin < rules.LIVER_RESUME_BILIRUBIN_X_ULN
        and transaminases < rules.LIVER_RESUME_TRANSAMINASES_X_ULN
    )


def liver_resume_dose(dose_before_hold_mg: int) -> DoseStep:
    """After a liver hold, continue one level lower: 400 -> 300, 600 -> 400, 800 -> 600."""
    lower = next_lower_dose(dose_before_hold_mg)
    rule_id = "toxicity.liver_hold" if lower is not None else "toxicity.below_300"
    return DoseStep(lower, rules.TOXICITY_RULES[rule_id])


def blood_count_hold_needed(anc: float, platelets: float) -> bool:
    """Withhold if ANC < 1.0 x 10^9/L and/or platelets < 50 x 10^9/L ([C] S2, S1)."""
    anc = _finite_non_negative("anc", anc)
    platelets = _finite_non_negative("platelets", platelets)
    return anc < rules.BLOOD_HOLD_ANC or platelets < rules.BLOOD_HOLD_PLATELETS


def blood_count_resume_allowed(anc: float, platelets: float) -> bool:
    """Resume when ANC >= 1.5 x 10^9/L and platelets >= 75 x 10^9/L ([C] S2, S1)."""
    anc = _finite_non_negative("anc", anc)
    platelets = _finite_non_negative("platelets", platelets)
    return anc >= rules.BLOOD_RESUME_ANC and platelets >= rules.BLOOD_RESUME_PLATELETS


def blood_count_resume_dose(
    starting_dose_mg: int, episode: int, dose_before_hold_mg: int
) -> DoseStep:
    """Dose to resume at after recovery from a blood-count hold.

    ``episode`` is 1 for the first hold, 2 or more for a recurrence. 400 mg start: first
    episode -> the dose before the hold ([C]); recurrence -> 300 mg (UNCONFIRMED). 800 mg:
    600 mg, then 400 mg (DESIGN, label DFSP row). Other starting doses: None (clinician).
    """
    _check_level(starting_dose_mg)
    _check_level(dose_before_hold_mg)
    if isinstance(episode, bool) or not isinstance(episode, int) or episode < 1:
        raise ValueError("episode must be a whole number, 1 or more")
    plan = rules.BLOOD_RESUME_DOSES.get(starting_dose_mg)
    if plan is None:
        return DoseStep(None, rules.TOXICITY_RULES["toxicity.blood_hold"])
    first, recurrence = plan
    if starting_dose_mg == 800:
        dose = first if episode == 1 else recurrence
        return DoseStep(dose, rules.TOXICITY_RULES["toxicity.blood_800"])
    if episode == 1:
        dose = dose_before_hold_mg if first is None else first
        return DoseStep(dose, rules.TOXICITY_RULES["toxicity.blood_hold"])
    return DoseStep(recurrence, rules.TOXICITY_RULES["toxicity.blood_recurrence_300"])

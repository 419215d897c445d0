"""Lab results and the label's hold rules for imatinib (docs/clinical-facts.md §5.1, §5.2).

Pure Python, built on :mod:`.dosing` (the label's exact thresholds live in :mod:`.rules`):

- **Liver** ([C] S1, S2): bilirubin > 3 x ULN or ALT or AST > 5 x ULN -> withhold imatinib;
  resume when bilirubin < 1.5 x ULN and transaminases < 2.5 x ULN, one dose level lower
  (400 -> 300, 600 -> 400, 800 -> 600 mg/day). Bilirubin > 3 x ULN and ALT/AST > 5 x ULN are
  CTCAE v5.0 grade 3 (§6.1, S16).
- **Blood counts** ([C] S2, S1): ANC < 1.0 x 10^9/L or platelets < 50 x 10^9/L -> withhold;
  resume when ANC >= 1.5 x 10^9/L and platelets >= 75 x 10^9/L, at the dose of the label's GIST
  row (:func:`.dosing.blood_count_resume_dose`): after a first episode the dose before the
  hold; after a recurrence 300 mg/day on a 400 mg start (UNCONFIRMED); an 800 mg start follows
  the label's DFSP row (DESIGN).

Values are in one canonical unit per test (:data:`CANONICAL_UNITS`); the liver rules compare
multiples of the upper limit of normal (ULN), worked out with decimal arithmetic so that a value
of exactly 3 x ULN is exactly 3 (not a hold). Which results count is the caller's choice: the
hold functions take the latest result of each test (by ``taken_on``, later ones in the given
order winning ties); the resume functions take results taken *after* the hold's results and
need both sides of the rule (bilirubin and the transaminases; ANC and platelets).

Every decision names its rule (``toxicity.liver_hold``, ``toxicity.blood_hold``), status and
sources; a resume dose resting on an UNCONFIRMED or DESIGN rule says so in its text and adds
``unconfirmed_rule:<id>`` to ``flags``. These functions only suggest: a clinician confirms
every hold, restart and dose.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

from . import rules
from .advice import (
    CALL_PATIENT,
    CLINICIAN_ASSESSMENT,
    FOR_CLINICIAN,
    RESUME_LOWER_DOSE,
    WITHHOLD,
    Advice,
)
from .alert_rules import URGENT, AlertDecision
from .dosing import (
    blood_count_hold_needed,
    blood_count_resume_allowed,
    blood_count_resume_dose,
    doses_per_day,
    liver_hold_needed,
    liver_resume_allowed,
    liver_resume_dose,
)
from .errors import CaseInvalid
from .rules import C

# --------------------------------------------------------------------------------------------
# Tests and units
# --------------------------------------------------------------------------------------------

ALT: Final = "alt"
AST: Final = "ast"
BILIRUBIN_TOTAL: Final = "bilirubin_total"
ALKALINE_PHOSPHATASE: Final = "alkaline_phosphatase"
ANC: Final = "anc"
PLATELETS: Final = "platelets"
HAEMOGLOBIN: Final = "haemoglobin"
CREATININE: Final = "creatinine"
CREATININE_CLEARANCE: Final = "creatinine_clearance"
TESTS: Final = (
    ALT,
    AST,
    BILIRUBIN_TOTAL,
    ALKALINE_PHOSPHATASE,
    ANC,
    PLATELETS,
    HAEMOGLOBIN,
    CREATININE,
    CREATININE_CLEARANCE,
)

# One canonical unit per test: what is stored and what the rules compare.
CANONICAL_UNITS: Final[dict[str, str]] = {
    ALT: "U/L",
    AST: "U/L",
    ALKALINE_PHOSPHATASE: "U/L",
    BILIRUBIN_TOTAL: "µmol/L",
    CREATININE: "µmol/L",
    ANC: "10^9/L",
    PLATELETS: "10^9/L",
    HAEMOGLOBIN: "g/dL",
    CREATININE_CLEARANCE: "mL/min",
}

TEST_NAMES: Final[dict[str, str]] = {
    ALT: "ALT",
    AST: "AST",
    BILIRUBIN_TOTAL: "bilirubin",
    ALKALINE_PHOSPHATASE: "alkaline phosphatase",
    ANC: "ANC",
    PLATELETS: "platelets",
    HAEMOGLOBIN: "haemoglobin",
    CREATININE: "creatinine",
    CREATININE_CLEARANCE: "creatinine clearance",
}

TRANSAMINASES: Final = (ALT, AST)
LIVER_TESTS: Final = (BILIRUBIN_TOTAL, ALT, AST)
BLOOD_COUNT_TESTS: Final = (ANC, PLATELETS)
# The label's liver rules are in multiples of the ULN: a value without one cannot be judged.
ULN_REQUIRED: Final = (ALT, AST, BILIRUBIN_TOTAL)

# --------------------------------------------------------------------------------------------
# Alert kinds, advice basis and action codes
# --------------------------------------------------------------------------------------------

LIVER_HOLD: Final = "liver_hold"
BLOOD_COUNT_HOLD: Final = "blood_count_hold"
LAB_ALERT_KINDS: Final = (LIVER_HOLD, BLOOD_COUNT_HOLD)
PANELS: Final[dict[str, tuple[str, ...]]] = {
    LIVER_HOLD: LIVER_TESTS,
    BLOOD_COUNT_HOLD: BLOOD_COUNT_TESTS,
}

LAB_RESULT: Final = "lab_result"  # Advice.basis: the advice rests on lab results
REPEAT_LABS: Final = "repeat_labs"
RESUME_PREVIOUS_DOSE: Final = "resume_previous_dose"
# Action codes lab advice may carry (those of .advice.ACTIONS plus the two above).
LAB_ACTIONS: Final = (
    WITHHOLD,
    CALL_PATIENT,
    REPEAT_LABS,
    RESUME_LOWER_DOSE,
    RESUME_PREVIOUS_DOSE,
    CLINICIAN_ASSESSMENT,
)

_SIX_PLACES: Final = Decimal("0.000001")

# --------------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------------


def _decimal(field: str, value: object, *, allow_none: bool = False) -> Decimal | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise CaseInvalid(field, "must be a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str() of a number is always a decimal
        raise CaseInvalid(field, "must be a number") from None
    if not number.is_finite():
        raise CaseInvalid(field, "must be a finite number")
    return number


@dataclass(frozen=True)
class LabReading:
    """One result in its canonical unit (:data:`CANONICAL_UNITS`), with its upper limit of
    normal in the same unit (None when not given), the date the sample was taken and a
    reference to the stored result (``ref``, for the caller's details)."""

    test: str
    value: Decimal | float | int
    upper_limit_of_normal: Decimal | float | int | None = None
    taken_on: date | None = None
    ref: str = ""

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise CaseInvalid("test", f"must be one of {', '.join(TESTS)}")
        value = _decimal("value", self.value)
        assert value is not None
        if value < 0:
            raise CaseInvalid("value", "must be 0 or more")
        uln = _decimal("upper_limit_of_normal", self.upper_limit_of_normal, allow_none=True)
        if uln is not None and uln <= 0:
            raise CaseInvalid("upper_limit_of_normal", "must be more than 0")
        if self.taken_on is not None and not isinstance(self.taken_on, date):
            raise CaseInvalid("taken_on", "must be a date")
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "upper_limit_of_normal", uln)

    @property
    def x_uln(self) -> float | None:
        """The value as a multiple of the ULN (decimal arithmetic, six places), or None."""
        if self.upper_limit_of_normal is None:
            return None
        ratio = Decimal(self.value) / Decimal(self.upper_limit_of_normal)
        return float(ratio.quantize(_SIX_PLACES))

    def needs_x_uln(self) -> float:
        ratio = self.x_uln
        if ratio is None:
            raise CaseInvalid(
                f"{self.test}.upper_limit_of_normal",
                f"is required: the label's {TEST_NAMES[self.test]} rule is in multiples of the "
                "upper limit of normal",
            )
        return ratio

    def words(self) -> str:
        """'ALT 250 U/L (6.25 x ULN 40)' or 'ANC 0.8 x 10^9/L'."""
        unit = _unit_words(self.test)
        name = TEST_NAMES[self.test]
        text = f"{name} {_number(Decimal(self.value))} {unit}"
        if self.x_uln is not None and self.test in LIVER_TESTS:
            uln = _number(Decimal(self.upper_limit_of_normal))  # type: ignore[arg-type]
            text += f" ({_number(self.x_uln)} x ULN {uln})"
        return text


def _unit_words(test: str) -> str:
    return CANONICAL_UNITS[test].replace("10^9/L", "x 10^9/L")


def _number(value: Decimal | float) -> str:
    """3.4 -> '3.4', 6.0 -> '6', 0.85 -> '0.85', 1.23456 -> '1.23' (at most 2 places)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.01"))
    text = format(rounded.normalize(), "f")
    return text


def latest_by_test(readings: Iterable[LabReading], tests: Collection[str]) -> dict[str, LabReading]:
    """The latest reading of each of ``tests``: by ``taken_on`` (a reading without a date is
    older than any dated one), a later reading in the given order winning a tie."""
    latest: dict[str, LabReading] = {}
    for reading in readings:
        if not isinstance(reading, LabReading):
            raise CaseInvalid("readings", "must be LabReading values")
        if reading.test not in tests:
            continue
        current = latest.get(reading.test)
        if current is None or (reading.taken_on or date.min) >= (current.taken_on or date.min):
            latest[reading.test] = reading
    return {test: latest[test] for test in tests if test in latest}


# --------------------------------------------------------------------------------------------
# Resume doses
# --------------------------------------------------------------------------------------------


def _per_day(mg: int) -> str:
    try:
        return "400 mg twice daily" if doses_per_day(mg) == 2 else "once daily"
    except ValueError:
        return "as the clinician decides"


@dataclass(frozen=True)
class ResumeDose:
    """The dose the label says to resume at after a hold, and the rule behind it.

    ``dose_mg`` None: the clinician decides (no label step, or no current dose recorded).
    ``action``: ``resume_lower_dose``, ``resume_previous_dose`` or ``clinician_assessment``.
    """

    dose_mg: int | None
    dose_before_hold_mg: int | None
    rule: str
    status: str
    sources: tuple[str, ...]
    action: str
    text: str

    @property
    def flags(self) -> tuple[str, ...]:
        if self.status in (rules.UNCONFIRMED, rules.DESIGN):
            return (rules.UNCONFIRMED_FLAG_PREFIX + self.rule,)
        return ()


def _resume_dose(
    dose_mg: int | None, before: int | None, rule_id: str, action: str, text: str
) -> ResumeDose:
    rule = rules.TOXICITY_RULES[rule_id]
    return ResumeDose(dose_mg, before, rule.id, rule.status, rule.sources, action, text)


def _dose_or_none(field: str, mg: object) -> int | None:
    if mg is None:
        return None
    if isinstance(mg, bool) or not isinstance(mg, int) or mg <= 0:
        raise CaseInvalid(field, "must be a whole number of mg, more than 0")
    return mg


def liver_resume_dose_for(dose_before_hold_mg: int | None) -> ResumeDose:
    """After a liver hold: one level down the ladder (400 -> 300, 600 -> 400, 800 -> 600);
    on 300 mg (or a dose off the ladder) the clinician decides (``toxicity.below_300``,
    UNCONFIRMED); without a current dose the step is named in general."""
    before = _dose_or_none("dose_before_hold_mg", dose_before_hold_mg)
    if before is None:
        return _resume_dose(
            None,
            None,
            "toxicity.liver_hold",
            RESUME_LOWER_DOSE,
            "No current plan dose is recorded: resume one dose level lower on the label's "
            "ladder (800 → 600 → 400 → 300 mg/day).",
        )
    try:
        step = liver_resume_dose(before)
    except ValueError:
        return _resume_dose(
            None,
            before,
            "toxicity.below_300",
            CLINICIAN_ASSESSMENT,
            f"{before} mg/day is not a level of the label's ladder (800, 600, 400, 300 mg/day): "
            "the dose to resume at is the clinician's decision (UNCONFIRMED: no label step).",
        )
    if step.dose_mg is None:
        return _resume_dose(
            None,
            before,
            step.rule.id,
            CLINICIAN_ASSESSMENT,
            f"There is no lower label dose step below {before} mg/day for GIST: whether and at "
            "what dose to resume is the clinician's decision (UNCONFIRMED: a 300 mg/day "
            "maintenance has retrospective support only).",
        )
    return _resume_dose(
        step.dose_mg,
        before,
        step.rule.id,
        RESUME_LOWER_DOSE,
        f"Resume one dose level lower: {before} → {step.dose_mg} mg/day "
        f"({_per_day(step.dose_mg)}).",
    )


def blood_count_resume_dose_for(
    starting_dose_mg: int | None, episode: int, dose_before_hold_mg: int | None
) -> ResumeDose:
    """After a blood-count hold, the label's GIST row (:func:`.dosing.blood_count_resume_dose`):
    ``episode`` 1 -> the dose before the hold; 2 or more (a recurrence) -> 300 mg/day on a 400
    mg start (UNCONFIRMED); an 800 mg start -> 600, then 400 mg/day (DESIGN); other starting
    doses, or no dose recorded -> the clinician decides."""
    start = _dose_or_none("starting_dose_mg", starting_dose_mg)
    before = _dose_or_none("dose_before_hold_mg", dose_before_hold_mg)
    if isinstance(episode, bool) or not isinstance(episode, int) or episode < 1:
        raise CaseInvalid("episode", "must be a whole number, 1 or more")
    if start is None or before is None:
        return _resume_dose(
            None,
            before,
            "toxicity.blood_hold",
            CLINICIAN_ASSESSMENT,
            "No current plan dose is recorded: after a first episode resume at the dose before "
            "the hold; after a recurrence at a reduced dose (300 mg/day on a 400 mg start, "
            "UNCONFIRMED).",
        )
    try:
        step = blood_count_resume_dose(start, episode, before)
    except ValueError:
        return _resume_dose(
            None,
            before,
            "toxicity.blood_hold",
            CLINICIAN_ASSESSMENT,
            f"A {start} mg/day start or {before} mg/day dose is not a level of the label's "
            "ladder: the dose to resume at is the clinician's decision.",
        )
    which = "first episode" if episode == 1 else f"recurrence (episode {episode})"
    if step.dose_mg is None:
        return _resume_dose(
            None,
            before,
            step.rule.id,
            CLINICIAN_ASSESSMENT,
            f"The label's GIST row has no resume dose for a {start} mg/day start: the dose "
            "to resume at is the clinician's decision.",
        )
    dose = step.dose_mg
    action = RESUME_PREVIOUS_DOSE if dose == before else RESUME_LOWER_DOSE
    if step.rule.id == "toxicity.blood_recurrence_300":
        text = (
            f"After a recurrence (episode {episode}) resume at a reduced dose: {dose} mg/day "
            f"({_per_day(dose)}) (UNCONFIRMED: the 300 mg figure is not in the retrieved label "
            "text)."
        )
    elif step.rule.id == "toxicity.blood_800":
        text = (
            f"On an 800 mg/day start, {which}: resume at {dose} mg/day ({_per_day(dose)}) "
            "(DESIGN: the label's 800 mg DFSP row applied to GIST)."
        )
    else:
        text = (
            f"After a first episode resume at the dose before the hold: {dose} mg/day "
            f"({_per_day(dose)})."
        )
    return _resume_dose(dose, before, step.rule.id, action, text)


# --------------------------------------------------------------------------------------------
# Holds
# --------------------------------------------------------------------------------------------

LIVER_RESUME_RULE: Final = (
    f"Resume when bilirubin is below {_number(rules.LIVER_RESUME_BILIRUBIN_X_ULN)} x ULN and "
    f"ALT and AST below {_number(rules.LIVER_RESUME_TRANSAMINASES_X_ULN)} x ULN, one dose level "
    "lower."
)
BLOOD_COUNT_RESUME_RULE: Final = (
    f"Resume when ANC is at least {rules.BLOOD_RESUME_ANC:.1f} x 10^9/L and platelets at "
    f"least {_number(rules.BLOOD_RESUME_PLATELETS)} x 10^9/L, at the dose of the label's GIST "
    "row."
)


@dataclass(frozen=True)
class LabHoldDecision(AlertDecision):
    """An urgent "withhold imatinib" alert from lab results (an :class:`AlertDecision`, so it
    can be raised like any other), with the results it rests on, the tests beyond the hold
    thresholds (``abnormal``), the date of the latest of those results (``taken_on``), the
    label's resume rule in words and the resume dose."""

    readings: tuple[LabReading, ...] = ()
    abnormal: tuple[str, ...] = ()
    taken_on: date | None = None
    resume_rule: str = ""
    resume_dose: ResumeDose | None = None


def _hold(
    kind: str,
    rule_id: str,
    panel_words: str,
    readings: dict[str, LabReading],
    abnormal: list[tuple[LabReading, str]],
    resume_rule: str,
    resume_dose: ResumeDose,
) -> LabHoldDecision:
    rule = rules.TOXICITY_RULES[rule_id]
    dates = [r.taken_on for r in readings.values() if r.taken_on is not None]
    taken_on = max(dates) if dates else None
    on = f" {taken_on.isoformat()}" if taken_on else ""
    values = "; ".join(f"{reading.words()}, {limit}" for reading, limit in abnormal)
    text = f"{panel_words}{on}: {values}. Label: withhold imatinib."
    sources = list(rule.sources)
    sources.extend(s for s in resume_dose.sources if s not in sources)
    return LabHoldDecision(
        kind=kind,
        priority=URGENT,
        rule=rule.id,
        text=text,
        sources=tuple(sources),
        status=rule.status,
        flags=resume_dose.flags,
        readings=tuple(readings.values()),
        abnormal=tuple(reading.test for reading, _ in abnormal),
        taken_on=taken_on,
        resume_rule=resume_rule,
        resume_dose=resume_dose,
    )


def liver_hold(
    readings: Iterable[LabReading], *, dose_before_hold_mg: int | None = None
) -> LabHoldDecision | None:
    """The label's liver hold from the latest bilirubin, ALT and AST (each with its ULN):
    bilirubin > 3 x ULN or ALT or AST > 5 x ULN -> an urgent ``liver_hold`` decision
    (``toxicity.liver_hold``, [C] S1, S2); None otherwise (a test not given counts as not
    beyond its threshold). ``dose_before_hold_mg``: the current plan dose, for the resume
    dose (one level lower). Raises CaseInvalid for a liver result without its ULN.

    Example text: "Liver tests 2026-05-04: ALT 250 U/L (6.25 x ULN 40), above 5 x ULN.
    Label: withhold imatinib."
    """
    latest = latest_by_test(readings, LIVER_TESTS)
    if not latest:
        return None
    ratios = {test: reading.needs_x_uln() for test, reading in latest.items()}
    bilirubin = ratios.get(BILIRUBIN_TOTAL, 0.0)
    transaminases = max((ratios[t] for t in TRANSAMINASES if t in ratios), default=0.0)
    if not liver_hold_needed(bilirubin, transaminases):
        return None
    abnormal: list[tuple[LabReading, str]] = []
    for test, reading in latest.items():
        limit = (
            rules.LIVER_HOLD_BILIRUBIN_X_ULN
            if test == BILIRUBIN_TOTAL
            else rules.LIVER_HOLD_TRANSAMINASES_X_ULN
        )
        if ratios[test] > limit:
            abnormal.append((reading, f"above {_number(limit)} x ULN"))
    return _hold(
        LIVER_HOLD,
        "toxicity.liver_hold",
        "Liver tests",
        latest,
        abnormal,
        LIVER_RESUME_RULE,
        liver_resume_dose_for(dose_before_hold_mg),
    )


def blood_count_hold(
    readings: Iterable[LabReading],
    *,
    starting_dose_mg: int | None = None,
    dose_before_hold_mg: int | None = None,
    episode: int = 1,
) -> LabHoldDecision | None:
    """The label's blood-count hold from the latest ANC and platelets (10^9/L): ANC < 1.0 or
    platelets < 50 -> an urgent ``blood_count_hold`` decision (``toxicity.blood_hold``, [C]
    S2, S1); None otherwise (a count not given counts as not below its threshold). The resume
    dose follows the label's GIST row for ``starting_dose_mg`` (the plan's first dose),
    ``episode`` (1 first, 2 or more a recurrence) and ``dose_before_hold_mg``.

    Example text: "Blood counts 2026-05-04: ANC 0.8 x 10^9/L, below 1 x 10^9/L. Label:
    withhold imatinib."
    """
    latest = latest_by_test(readings, BLOOD_COUNT_TESTS)
    if not latest:
        return None
    resume_dose = blood_count_resume_dose_for(starting_dose_mg, episode, dose_before_hold_mg)
    # A count not given cannot be below its threshold: it is checked at the threshold.
    anc = float(latest[ANC].value) if ANC in latest else rules.BLOOD_HOLD_ANC
    platelets = (
        float(latest[PLATELETS].value) if PLATELETS in latest else rules.BLOOD_HOLD_PLATELETS
    )
    if not blood_count_hold_needed(anc, platelets):
        return None
    abnormal: list[tuple[LabReading, str]] = []
    if ANC in latest and Decimal(latest[ANC].value) < Decimal(str(rules.BLOOD_HOLD_ANC)):
        abnormal.append((latest[ANC], f"below {rules.BLOOD_HOLD_ANC:.1f} x 10^9/L"))
    if PLATELETS in latest and Decimal(latest[PLATELETS].value) < Decimal(
        str(rules.BLOOD_HOLD_PLATELETS)
    ):
        abnormal.append(
            (latest[PLATELETS], f"below {_number(rules.BLOOD_HOLD_PLATELETS)} x 10^9/L")
        )
    return _hold(
        BLOOD_COUNT_HOLD,
        "toxicity.blood_hold",
        "Blood counts",
        latest,
        abnormal,
        BLOOD_COUNT_RESUME_RULE,
        resume_dose,
    )


# --------------------------------------------------------------------------------------------
# Resume
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabResumeDecision:
    """Results taken after a hold's results meet the label's resume rule: the kind of hold,
    the rule, plain text with the values and thresholds, the date of the latest result used
    (``met_on``) and the results."""

    kind: str
    rule: str
    text: str
    met_on: date
    readings: tuple[LabReading, ...]
    sources: tuple[str, ...]
    status: str = C


def _after(
    readings: Iterable[LabReading], after: date, tests: Sequence[str]
) -> dict[str, LabReading]:
    if not isinstance(after, date):
        raise CaseInvalid("after", "must be a date")
    later = [r for r in readings if r.taken_on is not None and r.taken_on > after]
    return latest_by_test(later, tests)


def _resume(
    kind: str, rule_id: str, panel_words: str, used: list[LabReading], parts: list[str]
) -> LabResumeDecision:
    rule = rules.TOXICITY_RULES[rule_id]
    met_on = max(r.taken_on for r in used if r.taken_on is not None)
    text = f"{panel_words} {met_on.isoformat()} meet the label's resume rule: " + "; ".join(parts)
    return LabResumeDecision(kind, rule.id, text + ".", met_on, tuple(used), rule.sources)


def liver_resume(
    readings: Iterable[LabReading], *, after: date, transaminases: Collection[str] = ()
) -> LabResumeDecision | None:
    """Whether results taken after ``after`` (the hold's results) meet the label's liver resume
    rule: bilirubin < 1.5 x ULN and transaminases < 2.5 x ULN ([C] S1, S2). Needs the latest
    bilirubin and at least one transaminase, and each of ``transaminases`` (those measured at
    the hold); the highest transaminase counts. None when not met or not all measured."""
    needed = set(transaminases)
    if not needed <= set(TRANSAMINASES):
        raise CaseInvalid("transaminases", "must be alt and/or ast")
    later = _after(readings, after, LIVER_TESTS)
    present = [t for t in TRANSAMINASES if t in later]
    if BILIRUBIN_TOTAL not in later or not present or not needed <= set(present):
        return None
    bilirubin = later[BILIRUBIN_TOTAL].needs_x_uln()
    highest = max(later[t].needs_x_uln() for t in present)
    if not liver_resume_allowed(bilirubin, highest):
        return None
    used = [later[BILIRUBIN_TOTAL], *(later[t] for t in present)]
    parts = [
        f"{later[BILIRUBIN_TOTAL].words()}, below "
        f"{_number(rules.LIVER_RESUME_BILIRUBIN_X_ULN)} x ULN"
    ]
    parts += [
        f"{later[t].words()}, below {_number(rules.LIVER_RESUME_TRANSAMINASES_X_ULN)} x ULN"
        for t in present
    ]
    return _resume(LIVER_HOLD, "toxicity.liver_hold", "Liver tests", used, parts)


def blood_count_resume(readings: Iterable[LabReading], *, after: date) -> LabResumeDecision | None:
    """Whether counts taken after ``after`` meet the label's resume rule: ANC >= 1.5 x 10^9/L
    and platelets >= 75 x 10^9/L ([C] S2, S1). Needs both. None when not met or not both
    measured."""
    later = _after(readings, after, BLOOD_COUNT_TESTS)
    if ANC not in later or PLATELETS not in later:
        return None
    if not blood_count_resume_allowed(float(later[ANC].value), float(later[PLATELETS].value)):
        return None
    parts = [
        f"{later[ANC].words()}, at least {rules.BLOOD_RESUME_ANC:.1f} x 10^9/L",
        f"{later[PLATELETS].words()}, at least {_number(rules.BLOOD_RESUME_PLATELETS)} x 10^9/L",
    ]
    return _resume(
        BLOOD_COUNT_HOLD,
        "toxicity.blood_hold",
        "Blood counts",
        [later[ANC], later[PLATELETS]],
        parts,
    )


# --------------------------------------------------------------------------------------------
# Advice
# --------------------------------------------------------------------------------------------

_REPEAT: Final = {
    LIVER_HOLD: "Repeat the liver tests (bilirubin, ALT, AST) to see when the resume rule is met.",
    BLOOD_COUNT_HOLD: "Repeat the blood count (ANC, platelets) to see when the resume rule is met.",
}


def _sources(*groups: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        out.extend(s for s in group if s not in out)
    return tuple(out)


def lab_hold_advice(decision: LabHoldDecision) -> Advice:
    """Advice on a hold alert: withhold imatinib, the values, the label's resume rule and the
    resume dose, repeat the tests, call the patient now. ``basis`` ``lab_result``."""
    if not isinstance(decision, LabHoldDecision) or decision.resume_dose is None:
        raise CaseInvalid("decision", "must be a lab hold decision")
    dose = decision.resume_dose
    values = "; ".join(
        reading.words() for reading in decision.readings if reading.test in decision.abnormal
    )
    parts = [
        f"Withhold imatinib: {values}.",
        decision.resume_rule,
        dose.text,
        _REPEAT[decision.kind],
        "Call the patient now.",
    ]
    return Advice(
        " ".join([FOR_CLINICIAN, *parts]),
        decision.rule,
        _sources(decision.sources, dose.sources),
        True,
        decision.status,
        dose.flags,
        (WITHHOLD, CALL_PATIENT, REPEAT_LABS),
        LAB_RESULT,
    )


def lab_resume_advice(resume: LabResumeDecision, dose: ResumeDose) -> Advice:
    """Advice once later results meet the resume rule: the values, the dose to resume at (or
    the clinician's decision), a clinician to confirm the restart, call the patient. The
    actions gain ``resume_lower_dose`` or ``resume_previous_dose`` (``clinician_assessment``
    when the label gives no dose)."""
    if not isinstance(resume, LabResumeDecision) or not isinstance(dose, ResumeDose):
        raise CaseInvalid("resume", "must be a lab resume decision and its resume dose")
    parts = [
        f"Resume criteria met. {resume.text}",
        dose.text,
        "A clinician confirms the restart and the dose; end the plan's hold and record the "
        "dose as a plan revision.",
        "Call the patient.",
    ]
    return Advice(
        " ".join([FOR_CLINICIAN, *parts]),
        resume.rule,
        _sources(resume.sources, dose.sources),
        True,
        resume.status,
        dose.flags,
        (WITHHOLD, dose.action, CALL_PATIENT),
        LAB_RESULT,
    )


__all__ = [
    "BLOOD_COUNT_HOLD",
    "BLOOD_COUNT_TESTS",
    "CANONICAL_UNITS",
    "LAB_ACTIONS",
    "LAB_ALERT_KINDS",
    "LAB_RESULT",
    "LIVER_HOLD",
    "LIVER_TESTS",
    "PANELS",
    "REPEAT_LABS",
    "RESUME_PREVIOUS_DOSE",
    "TESTS",
    "TEST_NAMES",
    "ULN_REQUIRED",
    "LabHoldDecision",
    "LabReading",
    "LabResumeDecision",
    "ResumeDose",
    "blood_count_hold",
    "blood_count_resume",
    "blood_count_resume_dose_for",
    "lab_hold_advice",
    "lab_resume_advice",
    "latest_by_test",
    "liver_hold",
    "liver_resume",
    "liver_resume_dose_for",
]

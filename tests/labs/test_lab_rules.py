"""The label's lab hold and resume rules (backend/guidelines/labs.py), at every boundary: above,
at and below each threshold (docs/clinical-facts.md §5.1, §5.2)."""

from datetime import date
from decimal import Decimal

import pytest

from backend.guidelines import rules
from backend.guidelines.errors import CaseInvalid
from backend.guidelines.labs import (
    BLOOD_COUNT_HOLD,
    LAB_ACTIONS,
    LAB_RESULT,
    LIVER_HOLD,
    LabHoldDecision,
    LabReading,
    blood_count_hold,
    blood_count_resume,
    blood_count_resume_dose_for,
    lab_hold_advice,
    lab_resume_advice,
    latest_by_test,
    liver_hold,
    liver_resume,
    liver_resume_dose_for,
)

DAY = date(2026, 5, 4)
LATER = date(2026, 5, 18)


def liver(test: str, x_uln: str, uln: str = "40", on: date = DAY) -> LabReading:
    """A liver result at exactly `x_uln` times its ULN (decimal arithmetic)."""
    return LabReading(test, Decimal(x_uln) * Decimal(uln), Decimal(uln), on)


def count(test: str, value: str, on: date = DAY) -> LabReading:
    return LabReading(test, Decimal(value), None, on)


# ---------------------------------------------------------------------------------- liver hold


@pytest.mark.parametrize(
    ("x_uln", "hold"),
    [("2.99", False), ("3.0", False), ("3.01", True), ("3.5", True)],
)
def test_bilirubin_hold_is_above_three_times_uln(x_uln: str, hold: bool) -> None:
    decision = liver_hold([liver("bilirubin_total", x_uln, "17.1")])
    assert (decision is not None) is hold


@pytest.mark.parametrize("test", ["alt", "ast"])
@pytest.mark.parametrize(
    ("x_uln", "hold"),
    [("4.99", False), ("5.0", False), ("5.01", True), ("20", True)],
)
def test_transaminase_hold_is_above_five_times_uln(test: str, x_uln: str, hold: bool) -> None:
    decision = liver_hold([liver(test, x_uln)])
    assert (decision is not None) is hold


def test_exact_multiples_of_a_decimal_uln_are_not_rounded_into_a_hold() -> None:
    # 51.3 / 17.1 is 3.0000000000000004 in binary floating point: still exactly 3 here.
    assert liver_hold([LabReading("bilirubin_total", 51.3, 17.1, DAY)]) is None
    assert LabReading("bilirubin_total", 51.3, 17.1).x_uln == 3.0


def test_liver_hold_decision_names_rule_sources_values_thresholds_and_resume() -> None:
    decision = liver_hold(
        [liver("bilirubin_total", "1.0", "17.1"), liver("alt", "6.25"), liver("ast", "2")],
        dose_before_hold_mg=400,
    )
    assert isinstance(decision, LabHoldDecision)
    assert decision.kind == LIVER_HOLD == "liver_hold"
    assert decision.priority == "urgent"
    assert decision.rule == "toxicity.liver_hold"
    assert decision.rule in rules.TOXICITY_RULES
    assert decision.status == rules.C
    assert decision.sources == ("S1", "S2")
    assert decision.abnormal == ("alt",)
    assert decision.taken_on == DAY
    assert "ALT 250 U/L (6.25 x ULN 40), above 5 x ULN" in decision.text
    assert "withhold imatinib" in decision.text
    assert len(decision.text) <= 300
    assert "below 1.5 x ULN" in decision.resume_rule and "2.5 x ULN" in decision.resume_rule
    assert decision.resume_dose is not None
    assert decision.resume_dose.dose_mg == 300
    assert decision.resume_dose.action == "resume_lower_dose"


def test_a_liver_result_without_its_uln_cannot_be_judged() -> None:
    with pytest.raises(CaseInvalid) as error:
        liver_hold([LabReading("alt", 300, None, DAY)])
    assert error.value.field == "alt.upper_limit_of_normal"


def test_only_the_latest_result_of_each_test_counts() -> None:
    old_high = liver("alt", "8", on=date(2026, 5, 1))
    new_normal = liver("alt", "1", on=DAY)
    assert liver_hold([old_high, new_normal]) is None
    assert liver_hold([new_normal, old_high]) is None
    assert latest_by_test([old_high, new_normal], ["alt"]) == {"alt": new_normal}
    # The same day: the later one given wins.
    assert liver_hold([liver("alt", "8"), liver("alt", "1")]) is None
    assert liver_hold([liver("alt", "1"), liver("alt", "8")]) is not None


@pytest.mark.parametrize(
    ("before", "resume", "action", "rule_id"),
    [
        (800, 600, "resume_lower_dose", "toxicity.liver_hold"),
        (600, 400, "resume_lower_dose", "toxicity.liver_hold"),
        (400, 300, "resume_lower_dose", "toxicity.liver_hold"),
        (300, None, "clinician_assessment", "toxicity.below_300"),
        (None, None, "resume_lower_dose", "toxicity.liver_hold"),
    ],
)
def test_liver_resume_dose_is_one_step_down(before, resume, action, rule_id) -> None:
    dose = liver_resume_dose_for(before)
    assert (dose.dose_mg, dose.action, dose.rule) == (resume, action, rule_id)
    if rule_id == "toxicity.below_300":
        assert dose.flags == ("unconfirmed_rule:toxicity.below_300",)
        assert "UNCONFIRMED" in dose.text


# ---------------------------------------------------------------------------------- blood hold


@pytest.mark.parametrize(
    ("anc", "hold"), [("1.01", False), ("1.0", False), ("0.99", True), ("0", True)]
)
def test_anc_hold_is_below_one(anc: str, hold: bool) -> None:
    assert (blood_count_hold([count("anc", anc)]) is not None) is hold


@pytest.mark.parametrize(
    ("platelets", "hold"), [("51", False), ("50", False), ("49.9", True), ("49", True)]
)
def test_platelet_hold_is_below_fifty(platelets: str, hold: bool) -> None:
    assert (blood_count_hold([count("platelets", platelets)]) is not None) is hold


def test_blood_hold_decision_and_the_labels_gist_row() -> None:
    decision = blood_count_hold(
        [count("anc", "0.8"), count("platelets", "120")],
        starting_dose_mg=400,
        dose_before_hold_mg=400,
        episode=1,
    )
    assert decision is not None
    assert decision.kind == BLOOD_COUNT_HOLD == "blood_count_hold"
    assert (decision.priority, decision.rule, decision.status) == (
        "urgent",
        "toxicity.blood_hold",
        rules.C,
    )
    assert decision.sources == ("S2", "S1")
    assert decision.abnormal == ("anc",)
    assert "ANC 0.8 x 10^9/L, below 1.0 x 10^9/L" in decision.text
    assert "at least 1.5 x 10^9/L" in decision.resume_rule
    assert "at least 75 x 10^9/L" in decision.resume_rule
    assert decision.resume_dose is not None
    assert (decision.resume_dose.dose_mg, decision.resume_dose.action) == (
        400,
        "resume_previous_dose",
    )
    assert decision.flags == ()


@pytest.mark.parametrize(
    ("start", "episode", "before", "dose", "action", "rule_id"),
    [
        (400, 1, 400, 400, "resume_previous_dose", "toxicity.blood_hold"),
        (400, 1, 300, 300, "resume_previous_dose", "toxicity.blood_hold"),
        (400, 2, 400, 300, "resume_lower_dose", "toxicity.blood_recurrence_300"),
        (800, 1, 800, 600, "resume_lower_dose", "toxicity.blood_800"),
        (800, 2, 600, 400, "resume_lower_dose", "toxicity.blood_800"),
        (600, 1, 600, None, "clinician_assessment", "toxicity.blood_hold"),
        (None, 1, None, None, "clinician_assessment", "toxicity.blood_hold"),
    ],
)
def test_blood_resume_dose_per_the_label(start, episode, before, dose, action, rule_id) -> None:
    step = blood_count_resume_dose_for(start, episode, before)
    assert (step.dose_mg, step.action, step.rule) == (dose, action, rule_id)


def test_the_recurrence_dose_is_shown_as_unconfirmed() -> None:
    decision = blood_count_hold(
        [count("platelets", "40")], starting_dose_mg=400, dose_before_hold_mg=400, episode=2
    )
    assert decision is not None and decision.resume_dose is not None
    assert decision.resume_dose.status == rules.UNCONFIRMED
    assert decision.flags == ("unconfirmed_rule:toxicity.blood_recurrence_300",)
    assert "300 mg/day" in decision.resume_dose.text
    assert "UNCONFIRMED" in decision.resume_dose.text
    advice = lab_hold_advice(decision)
    assert "UNCONFIRMED" in advice.text
    assert advice.flags == ("unconfirmed_rule:toxicity.blood_recurrence_300",)
    assert rules.flag_words(advice.flags[0]) == "not confirmed by a primary source"


# ---------------------------------------------------------------------------------- resume


def liver_after(bilirubin: str, transaminase: str, test: str = "alt") -> list[LabReading]:
    return [
        liver("bilirubin_total", bilirubin, "17.1", LATER),
        liver(test, transaminase, "40", LATER),
    ]


@pytest.mark.parametrize(
    ("bilirubin", "met"), [("1.0", True), ("1.49", True), ("1.5", False), ("1.51", False)]
)
def test_liver_resume_needs_bilirubin_below_one_and_a_half(bilirubin: str, met: bool) -> None:
    decision = liver_resume(liver_after(bilirubin, "1"), after=DAY)
    assert (decision is not None) is met


@pytest.mark.parametrize("test", ["alt", "ast"])
@pytest.mark.parametrize(
    ("x_uln", "met"), [("2.0", True), ("2.49", True), ("2.5", False), ("2.51", False)]
)
def test_liver_resume_needs_transaminases_below_two_and_a_half(
    test: str, x_uln: str, met: bool
) -> None:
    decision = liver_resume(liver_after("1", x_uln, test), after=DAY)
    assert (decision is not None) is met


def test_liver_resume_needs_both_sides_measured_after_the_hold() -> None:
    only_bilirubin = [liver("bilirubin_total", "1", "17.1", LATER)]
    assert liver_resume(only_bilirubin, after=DAY) is None
    only_alt = [liver("alt", "1", on=LATER)]
    assert liver_resume(only_alt, after=DAY) is None
    # Results from the hold's own day (or before) do not count.
    same_day = [liver("bilirubin_total", "1", "17.1", DAY), liver("alt", "1", on=DAY)]
    assert liver_resume(same_day, after=DAY) is None
    # A transaminase measured at the hold must be measured again.
    assert liver_resume(liver_after("1", "1", "alt"), after=DAY, transaminases=["ast"]) is None
    both = [*liver_after("1", "1", "alt"), liver("ast", "3", on=LATER)]
    assert liver_resume(both, after=DAY, transaminases=["ast"]) is None  # AST 3 x ULN: not yet


def test_liver_resume_decision_text() -> None:
    decision = liver_resume(liver_after("1.49", "2.49"), after=DAY)
    assert decision is not None
    assert decision.kind == LIVER_HOLD and decision.met_on == LATER
    assert decision.rule == "toxicity.liver_hold" and decision.sources == ("S1", "S2")
    assert "below 1.5 x ULN" in decision.text and "below 2.5 x ULN" in decision.text
    assert "2026-05-18" in decision.text


@pytest.mark.parametrize(
    ("anc", "platelets", "met"),
    [
        ("1.5", "75", True),
        ("1.6", "80", True),
        ("1.49", "75", False),
        ("1.5", "74", False),
        ("1.5", "74.9", False),
    ],
)
def test_blood_resume_needs_anc_at_least_one_and_a_half_and_platelets_75(
    anc: str, platelets: str, met: bool
) -> None:
    readings = [count("anc", anc, LATER), count("platelets", platelets, LATER)]
    assert (blood_count_resume(readings, after=DAY) is not None) is met


def test_blood_resume_needs_both_counts() -> None:
    assert blood_count_resume([count("anc", "3", LATER)], after=DAY) is None
    assert blood_count_resume([count("platelets", "300", LATER)], after=DAY) is None


# ---------------------------------------------------------------------------------- advice


def test_hold_advice_withholds_calls_and_gives_the_resume_dose() -> None:
    decision = liver_hold([liver("bilirubin_total", "4", "17.1")], dose_before_hold_mg=600)
    assert decision is not None
    advice = lab_hold_advice(decision)
    assert advice.basis == LAB_RESULT == "lab_result"
    assert advice.actions == ("withhold", "call_patient", "repeat_labs")
    assert set(advice.actions) <= set(LAB_ACTIONS)
    assert advice.rule == "toxicity.liver_hold" and advice.for_clinician
    assert "600 → 400 mg/day" in advice.text
    assert "Resume when bilirubin is below 1.5 x ULN" in advice.text


@pytest.mark.parametrize(
    ("start", "episode", "action"),
    [(400, 1, "resume_previous_dose"), (400, 2, "resume_lower_dose")],
)
def test_resume_advice_gains_the_resume_action(start: int, episode: int, action: str) -> None:
    resume = blood_count_resume(
        [count("anc", "2", LATER), count("platelets", "90", LATER)], after=DAY
    )
    assert resume is not None
    advice = lab_resume_advice(resume, blood_count_resume_dose_for(start, episode, 400))
    assert advice.actions == ("withhold", action, "call_patient")
    assert advice.basis == "lab_result"
    assert "Resume criteria met" in advice.text


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        (lambda: LabReading("glucose", 1), "test"),
        (lambda: LabReading("alt", -1, 40), "value"),
        (lambda: LabReading("alt", True, 40), "value"),
        (lambda: LabReading("alt", float("nan"), 40), "value"),
        (lambda: LabReading("alt", 50, 0), "upper_limit_of_normal"),
    ],
)
def test_bad_readings_are_refused_naming_the_field(reading, field) -> None:
    with pytest.raises(CaseInvalid) as error:
        reading()
    assert error.value.field == field


def test_bad_episode_is_refused() -> None:
    with pytest.raises(CaseInvalid):
        blood_count_resume_dose_for(400, 0, 400)

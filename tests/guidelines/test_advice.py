"""Decision support for toxicity alerts (guideline-facts §5.1, §5.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.guidelines import Advice, CaseInvalid, rules, toxicity_advice
from backend.guidelines import advice as advice_module
from backend.guidelines.symptoms import SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"
FOR_CLINICIAN = "Advice for the clinician, not an instruction to the patient."


def assert_well_formed(advice: Advice) -> None:
    assert advice.for_clinician is True
    assert advice.text.startswith(FOR_CLINICIAN)
    assert advice.rule in advice_module.ADVICE_RULES
    assert advice.sources and all(s in SOURCES for s in advice.sources)
    assert advice.status == advice_module.ADVICE_RULES[advice.rule].status
    if advice_module.ADVICE_RULES[advice.rule].needs_flag:
        assert rules.UNCONFIRMED_FLAG_PREFIX + advice.rule in advice.flags


def test_every_advice_rule_has_known_sources_and_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for rule_id, rule in advice_module.ADVICE_RULES.items():
        assert rule.id == rule_id and rule.status in rules.STATUSES
        assert rule.sources and all(s in SOURCES for s in rule.sources)
        assert f"`{rule_id}`" in text


@pytest.mark.parametrize(
    ("dose", "step"),
    [
        (400, "400 → 300 mg/day (once daily)"),
        (600, "600 → 400 mg/day (once daily)"),
        (800, "800 → 600 mg/day (once daily)"),
    ],
)
def test_severe_withhold_and_resume_one_level_down(dose, step):
    advice = toxicity_advice(dose, severe=True)
    assert_well_formed(advice)
    assert advice.rule == "advice.severe_withhold"
    assert "Withhold imatinib until resolved, then resume one level down: " + step in advice.text
    assert "CTCAE grade 3 or more" in advice.text
    assert "DESIGN" in advice.text and advice.status == "DESIGN"
    assert {"S1", "S2"} <= set(advice.sources)


def test_severe_at_300_has_no_lower_step_and_is_unconfirmed():
    advice = toxicity_advice(300, severe=True)
    assert_well_formed(advice)
    assert advice.rule == "advice.severe_no_lower_step"
    assert advice.status == "UNCONFIRMED"
    assert "Withhold imatinib until resolved." in advice.text
    assert "no lower label dose step" in advice.text
    assert "UNCONFIRMED" in advice.text
    assert "→" not in advice.text
    assert "S45" in advice.sources
    assert "unconfirmed_rule:advice.severe_withhold" in advice.flags


@pytest.mark.parametrize(
    ("dose", "current"),
    [
        (300, "300 mg/day (once daily)"),
        (400, "400 mg/day (once daily)"),
        (600, "600 mg/day (once daily)"),
        (800, "800 mg/day (400 mg twice daily)"),
    ],
)
def test_not_severe_continue_and_review(dose, current):
    advice = toxicity_advice(dose, severe=False)
    assert_well_formed(advice)
    assert advice.rule == "advice.continue"
    assert f"Continue the current dose, {current}; review." in advice.text
    assert "Withhold" not in advice.text


@pytest.mark.parametrize(
    ("symptom", "words"),
    [
        ("nausea", "meal and a large glass of water; an antiemetic"),
        ("vomiting", "antiemetic"),
        ("diarrhoea", "antidiarrhoeal if diarrhoea is severe"),
        ("muscle_cramps", "with caution at high imatinib doses"),
        ("limb_swelling", "diuretics"),
        ("periorbital_swelling", "investigate unexpected rapid weight gain"),
    ],
)
def test_supportive_advice_where_the_label_gives_it(symptom, words):
    for severe in (False, True):
        advice = toxicity_advice(400, severe=severe, symptom=symptom)
        assert_well_formed(advice)
        assert words in advice.text
        assert "S3" in advice.sources


@pytest.mark.parametrize("symptom", ["fatigue", "rash", "other"])
def test_no_supportive_advice_where_the_label_gives_none(symptom):
    advice = toxicity_advice(400, severe=False, symptom=symptom)
    assert "Supportive" not in advice.text
    assert advice.text == toxicity_advice(400, severe=False).text


@pytest.mark.parametrize("dose", [0, 100, 500, 1000, True, 400.0, "400", None])
def test_dose_off_the_ladder_is_refused(dose):
    with pytest.raises(CaseInvalid) as error:
        toxicity_advice(dose, severe=True)
    assert error.value.field == "current_dose_mg"


@pytest.mark.parametrize("severe", [1, 0, "yes", None])
def test_severe_must_be_a_bool(severe):
    with pytest.raises(CaseInvalid) as error:
        toxicity_advice(400, severe=severe)
    assert error.value.field == "severe"


def test_unknown_symptom_is_refused():
    with pytest.raises(CaseInvalid) as error:
        toxicity_advice(400, severe=False, symptom="headache")
    assert error.value.field == "symptom"

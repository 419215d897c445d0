"""Decision support for side-effect alerts (clinical facts §5.1, §5.3; issue 16).

Advice on a patient's answers never says withhold or reduce; only a clinician's CTCAE grade of
3 or more does.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from backend.guidelines import (
    ACTIONS,
    SYMPTOMS,
    Advice,
    CaseInvalid,
    clinician_grade_advice,
    patient_report_advice,
    rules,
    toxicity_advice,
)
from backend.guidelines import advice as advice_module
from backend.guidelines.symptoms import SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"
FOR_CLINICIAN = "Advice for the clinician, not an instruction to the patient."
PRIORITIES = ("normal", "high", "urgent")
LADDER = (800, 600, 400, 300)
RED_FLAGS = tuple(code for code, item in SYMPTOMS.items() if item.red_flag)
WITH_SUPPORTIVE = ("nausea", "vomiting", "diarrhoea", "limb_swelling", "muscle_cramps")
DOSE_ACTIONS = {"withhold", "resume_lower_dose", "continue"}


def assert_well_formed(advice: Advice) -> None:
    assert advice.for_clinician is True
    assert advice.text.startswith(FOR_CLINICIAN)
    assert advice.rule in advice_module.ADVICE_RULES
    assert advice.sources and all(s in SOURCES for s in advice.sources)
    assert advice.status == advice_module.ADVICE_RULES[advice.rule].status
    if advice_module.ADVICE_RULES[advice.rule].needs_flag:
        assert rules.UNCONFIRMED_FLAG_PREFIX + advice.rule in advice.flags
    assert advice.actions and set(advice.actions) <= set(ACTIONS)
    assert len(advice.actions) == len(set(advice.actions))
    assert advice.basis in ("patient_reported", "clinician_grade")
    assert_plain_words(advice.text)


def assert_plain_words(text: str) -> None:
    """No internal markers in what a nurse reads (issue 16 #8). "AI" as a word: "NSAID" is
    a drug class, not a marker."""
    for marker in ("DESIGN", "UNCONFIRMED", "[", "SEED", "unconfirmed_rule"):
        assert marker not in text, (marker, text)
    assert not re.search(r"\bAI\b", text), text


def test_every_advice_rule_has_known_sources_and_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for rule_id, rule in advice_module.ADVICE_RULES.items():
        assert rule.id == rule_id and rule.status in rules.STATUSES
        assert rule.sources and all(s in SOURCES for s in rule.sources)
        assert f"`{rule_id}`" in text


def test_every_advice_rule_has_known_sources_and_a_status():
    """The same as above without the docs (those land separately)."""
    for rule_id, rule in advice_module.ADVICE_RULES.items():
        assert rule.id == rule_id and rule.status in rules.STATUSES
        assert rule.sources and all(s in SOURCES for s in rule.sources)
        assert rule.text.strip()


def test_action_codes_are_fixed():
    assert ACTIONS == (
        "supportive_care",
        "clinician_assessment",
        "call_patient",
        "urgent_review",
        "continue",
        "withhold",
        "resume_lower_dose",
    )


# ---- advice on a patient's answers ---------------------------------------------------------------


@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize("code", [*SYMPTOMS, "weight_gain"])
def test_patient_report_advice_never_touches_the_dose(code, priority):
    advice = patient_report_advice([code], priority)
    assert_well_formed(advice)
    assert advice.basis == "patient_reported"
    assert not DOSE_ACTIONS & set(advice.actions)
    assert {"clinician_assessment", "call_patient"} <= set(advice.actions)
    lowered = advice.text.lower()
    for word in ("withhold", "resume", "reduce to", "continue the current dose"):
        assert word not in lowered, (word, advice.text)
    assert "not a CTCAE grade: clinician to assess the grade" in advice.text
    assert "→" not in advice.text


@pytest.mark.parametrize(
    ("priority", "words"),
    [
        ("urgent", "Call the patient now."),
        ("high", "Call the patient today."),
        ("normal", "Call the patient by the next working day."),
    ],
)
def test_when_to_call_follows_the_priority(priority, words):
    advice = patient_report_advice(["nausea"], priority)
    assert advice.text.endswith(words)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("nausea", "meal and a large glass of water; an antiemetic"),
        ("vomiting", "antiemetic"),
        ("diarrhoea", "antidiarrhoeal if diarrhoea is severe"),
        ("limb_swelling", "diuretics"),
        ("muscle_cramps", "with caution at high imatinib doses"),
        ("periorbital_swelling", "investigate unexpected rapid weight gain"),
        ("weight_gain", "weigh the patient"),
        ("breathlessness", "Fluid retention"),
    ],
)
def test_supportive_care_where_the_label_gives_it(code, words):
    advice = patient_report_advice([code], "normal")
    assert "supportive_care" in advice.actions
    assert words in advice.text
    assert "S3" in advice.sources or "S1" in advice.sources


@pytest.mark.parametrize("code", WITH_SUPPORTIVE)
def test_supportive_care_for_the_labels_symptoms(code):
    assert "supportive_care" in patient_report_advice([code], "high").actions


@pytest.mark.parametrize("code", ["fatigue", "rash", "other"])
def test_no_supportive_care_where_the_label_gives_none(code):
    advice = patient_report_advice([code], "normal")
    assert "supportive_care" not in advice.actions
    assert "Supportive" not in advice.text
    assert advice.actions == ("clinician_assessment", "call_patient")


def test_supportive_measures_are_not_repeated():
    advice = patient_report_advice(["nausea", "vomiting"], "normal")
    assert advice.text.count("large glass of water") == 1


@pytest.mark.parametrize("code", RED_FLAGS)
def test_red_flags_add_an_urgent_review(code):
    advice = patient_report_advice([], "urgent", red_flags=[code])
    assert_well_formed(advice)
    assert advice.rule == "advice.red_flag"
    assert advice.actions[0] == "urgent_review"
    assert {"clinician_assessment", "call_patient"} <= set(advice.actions)
    assert not DOSE_ACTIONS & set(advice.actions)
    assert "urgent clinical review" in advice.text
    assert SYMPTOMS[code].label.lower() in advice.text.lower()


def test_no_red_flag_no_urgent_review():
    for code in SYMPTOMS:
        assert "urgent_review" not in patient_report_advice([code], "urgent").actions


def test_a_red_flag_beside_an_ordinary_symptom():
    advice = patient_report_advice(["nausea"], "urgent", red_flags=["black_stools", "fever"])
    assert advice.actions == (
        "urgent_review",
        "supportive_care",
        "clinician_assessment",
        "call_patient",
    )
    assert "(black, tarry or bloody stools, fever of 38 °c or more)" in advice.text.lower()
    assert "Call the patient now." in advice.text


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((["nausea"], "soon"), {}, "priority"),
        ((["headache"], "normal"), {}, "symptom"),
        (([], "urgent"), {"red_flags": ["headache"]}, "symptom"),
    ],
)
def test_patient_report_advice_bad_input(args, kwargs, field):
    with pytest.raises(CaseInvalid) as error:
        patient_report_advice(*args, **kwargs)
    assert error.value.field == field


# ---- advice on a clinician's grade ---------------------------------------------------------------


@pytest.mark.parametrize(("dose", "lower"), [(800, 600), (600, 400), (400, 300)])
@pytest.mark.parametrize("grade", [3, 4, 5])
def test_grade_3_or_more_withholds_and_resumes_one_step_down(dose, lower, grade):
    advice = clinician_grade_advice("vomiting", grade, dose)
    assert_well_formed(advice)
    assert advice.basis == "clinician_grade"
    assert advice.rule == "advice.severe_withhold"
    assert {"withhold", "resume_lower_dose"} <= set(advice.actions)
    assert "continue" not in advice.actions
    assert (
        "Withhold imatinib until resolved, then resume one step down: "
        f"{dose} → {lower} mg/day (once daily)." in advice.text
    )
    assert f"grade {grade}" in advice.text
    assert {"S1", "S2"} <= set(advice.sources)


@pytest.mark.parametrize("grade", [3, 4, 5])
def test_grade_3_or_more_on_300_withholds_and_the_clinician_decides(grade):
    advice = clinician_grade_advice("vomiting", grade, 300)
    assert_well_formed(advice)
    assert advice.rule == "advice.severe_no_lower_step"
    assert advice.status == "UNCONFIRMED"
    assert "withhold" in advice.actions
    assert "resume_lower_dose" not in advice.actions
    assert "continue" not in advice.actions
    assert "Withhold imatinib until resolved." in advice.text
    assert "no lower label dose step" in advice.text
    assert "clinician's decision" in advice.text
    assert "S45" in advice.sources
    assert "unconfirmed_rule:advice.severe_no_lower_step" in advice.flags
    assert "unconfirmed_rule:advice.severe_withhold" in advice.flags


@pytest.mark.parametrize(
    ("dose", "current"),
    [
        (300, "300 mg/day (once daily)"),
        (400, "400 mg/day (once daily)"),
        (600, "600 mg/day (once daily)"),
        (800, "800 mg/day (400 mg twice daily)"),
        (None, "as prescribed"),
    ],
)
@pytest.mark.parametrize("grade", [1, 2])
def test_grade_1_or_2_continues(dose, current, grade):
    advice = clinician_grade_advice("nausea", grade, dose)
    assert_well_formed(advice)
    assert advice.rule == "advice.continue"
    assert advice.actions[0] == "continue"
    assert not {"withhold", "resume_lower_dose"} & set(advice.actions)
    assert f"Not severe: continue the current dose, {current}; review." in advice.text
    assert "Withhold" not in advice.text


def test_grade_3_without_a_current_dose_names_the_ladder():
    advice = clinician_grade_advice("diarrhoea", 3, None)
    assert {"withhold", "resume_lower_dose"} <= set(advice.actions)
    assert "800 → 600 → 400 → 300 mg/day" in advice.text


def test_the_severe_threshold_is_a_parameter():
    assert "continue" in clinician_grade_advice("vomiting", 3, 400, severe_grade=4).actions
    assert "withhold" in clinician_grade_advice("vomiting", 4, 400, severe_grade=4).actions


@pytest.mark.parametrize("code", WITH_SUPPORTIVE)
@pytest.mark.parametrize("grade", [1, 3])
def test_clinician_grade_advice_keeps_the_supportive_measures(code, grade):
    advice = clinician_grade_advice(code, grade, 400)
    assert "supportive_care" in advice.actions
    assert "Supportive measures from the label" in advice.text
    assert "S3" in advice.sources


@pytest.mark.parametrize("code", ["fatigue", "rash", "other"])
def test_clinician_grade_advice_without_supportive_measures(code):
    advice = clinician_grade_advice(code, 2, 400)
    assert "supportive_care" not in advice.actions
    assert "Supportive" not in advice.text


@pytest.mark.parametrize("dose", [0, 100, 500, 1000, True, 400.0, "400"])
def test_clinician_grade_advice_dose_off_the_ladder_is_refused(dose):
    with pytest.raises(CaseInvalid) as error:
        clinician_grade_advice("nausea", 3, dose)
    assert error.value.field == "current_dose_mg"


@pytest.mark.parametrize("grade", [0, 6, True, 3.0, "3", None])
def test_clinician_grade_advice_bad_grade(grade):
    with pytest.raises(CaseInvalid) as error:
        clinician_grade_advice("nausea", grade, 400)
    assert error.value.field == "grade"


def test_clinician_grade_advice_unknown_symptom():
    with pytest.raises(CaseInvalid) as error:
        clinician_grade_advice("headache", 3, 400)
    assert error.value.field == "symptom"


# ---- every text in plain words -----------------------------------------------------------------


def test_no_advice_text_carries_internal_markers():
    codes = list(SYMPTOMS)
    for code, priority in itertools.product([*codes, "weight_gain"], PRIORITIES):
        assert_plain_words(patient_report_advice([code], priority).text)
    for flag in RED_FLAGS:
        assert_plain_words(patient_report_advice(codes, "urgent", red_flags=[flag]).text)
    for code, grade, dose in itertools.product(codes, range(1, 6), (*LADDER, None)):
        assert_plain_words(clinician_grade_advice(code, grade, dose).text)
    for dose, severe in itertools.product(LADDER, (True, False)):
        assert_plain_words(toxicity_advice(dose, severe=severe).text)


# ---- toxicity_advice: the wrapper kept for "severe or not" callers ------------------------------


@pytest.mark.parametrize(
    ("dose", "step"),
    [
        (400, "400 → 300 mg/day (once daily)"),
        (600, "600 → 400 mg/day (once daily)"),
        (800, "800 → 600 mg/day (once daily)"),
    ],
)
def test_severe_withhold_and_resume_one_step_down(dose, step):
    advice = toxicity_advice(dose, severe=True)
    assert_well_formed(advice)
    assert advice.rule == "advice.severe_withhold"
    assert "Withhold imatinib until resolved, then resume one step down: " + step in advice.text
    assert "CTCAE v5.0 grade 3" in advice.text
    assert advice.status == "DESIGN"  # as data, not in the text
    assert "unconfirmed_rule:advice.severe_withhold" in advice.flags
    assert {"S1", "S2"} <= set(advice.sources)
    assert advice.actions == ("withhold", "resume_lower_dose")
    assert advice.basis == "clinician_grade"


def test_severe_at_300_has_no_lower_step_and_is_unconfirmed():
    advice = toxicity_advice(300, severe=True)
    assert_well_formed(advice)
    assert advice.rule == "advice.severe_no_lower_step"
    assert advice.status == "UNCONFIRMED"
    assert "Withhold imatinib until resolved." in advice.text
    assert "no lower label dose step" in advice.text
    assert "→" not in advice.text
    assert "S45" in advice.sources
    assert "unconfirmed_rule:advice.severe_withhold" in advice.flags
    assert advice.actions == ("withhold",)


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
    assert f"continue the current dose, {current}; review." in advice.text
    assert "Withhold" not in advice.text
    assert advice.actions == ("continue",)


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
        assert "supportive_care" in advice.actions
        assert "S3" in advice.sources


@pytest.mark.parametrize("symptom", ["fatigue", "rash", "other"])
def test_no_supportive_advice_where_the_label_gives_none(symptom):
    advice = toxicity_advice(400, severe=False, symptom=symptom)
    assert "Supportive" not in advice.text
    assert advice.actions == ("continue",)
    assert advice.text == clinician_grade_advice(symptom, 1, 400).text


def test_the_wrapper_is_clinician_grade_advice():
    assert toxicity_advice(600, severe=True, symptom="nausea") == clinician_grade_advice(
        "nausea", 3, 600
    )
    assert toxicity_advice(600, severe=False) == clinician_grade_advice("other", 1, 600)


def test_without_a_dose_the_wrapper_names_the_ladder():
    advice = toxicity_advice(None, severe=True)
    assert "800 → 600 → 400 → 300 mg/day" in advice.text


@pytest.mark.parametrize("dose", [0, 100, 500, 1000, True, 400.0, "400"])
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

"""Alert rules: trigger (SYMPATHY) vs priority (composite grade, clinician grade), worsening,
skipped-for-side-effects, missed streak (clinical facts §6.3, §6.4, §10).

Red flags: test_red_flags.py; weight and rash persistence: test_weight_and_rash_rules.py.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from backend.guidelines import (
    DEFAULT_ALERT_SETTINGS,
    PRIORITIES,
    SYMPTOMS,
    AlertDecision,
    AlertRuleSettings,
    CaseInvalid,
    alert_rules,
    composite_grade,
    missed_streak_alert,
    rules,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    worsening_symptom_alert,
)
from backend.guidelines.symptoms import SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"
S = DEFAULT_ALERT_SETTINGS
NOT_A_GRADE = "not a CTCAE grade"
INTERNAL_MARKERS = ("DESIGN", "UNCONFIRMED", "[", "SEED")

# Items with a composite grade (not yes/no), and all their answer combinations.
GRADED = [code for code, item in SYMPTOMS.items() if not item.presence_only]


def all_answers(code: str):
    attributes = SYMPTOMS[code].attributes
    for values in itertools.product(range(5), repeat=len(attributes)):
        yield dict(zip(attributes, values, strict=True))


def assert_well_formed(decision: AlertDecision) -> None:
    assert decision.kind in alert_rules.ALERT_KINDS
    assert decision.priority in PRIORITIES
    assert decision.rule in alert_rules.ALERT_RULES
    assert decision.text.strip()
    assert decision.sources and all(s in SOURCES for s in decision.sources)
    assert decision.status == alert_rules.ALERT_RULES[decision.rule].status
    if alert_rules.ALERT_RULES[decision.rule].needs_flag:
        assert rules.UNCONFIRMED_FLAG_PREFIX + decision.rule in decision.flags
    assert not any(marker in decision.text for marker in INTERNAL_MARKERS), decision.text
    assert not re.search(r"\bAI\b", decision.text), decision.text
    json.dumps(decision.as_dict(), allow_nan=False)


# ---- rule data and settings ------------------------------------------------------------------


def test_every_alert_rule_has_known_sources_a_status_and_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for rule_id, rule in alert_rules.ALERT_RULES.items():
        assert rule.id == rule_id
        assert rule.status in rules.STATUSES
        assert rule.sources and all(s in SOURCES for s in rule.sources)
        assert f"`{rule_id}`" in text


def test_every_alert_rule_has_known_sources_and_a_status():
    """The same as above without the docs (those land separately)."""
    for rule_id, rule in alert_rules.ALERT_RULES.items():
        assert rule.id == rule_id
        assert rule.status in rules.STATUSES
        assert rule.sources and all(s in SOURCES for s in rule.sources)
        assert rule.text.strip()


def test_priorities_are_ordered():
    assert PRIORITIES == ("normal", "high", "urgent")
    assert alert_rules.priority_rank("urgent") > alert_rules.priority_rank("high")
    assert alert_rules.priority_rank("high") > alert_rules.priority_rank("normal")
    assert alert_rules.higher_priority("normal", "urgent", "high") == "urgent"


def test_default_settings():
    assert AlertRuleSettings() == S
    assert (S.severe_score, S.high_priority_composite, S.severe_grade, S.urgent_grade) == (
        3,
        3,
        3,
        4,
    )
    assert (S.worsening_rise, S.worsening_window_days) == (2, None)  # S20: no window
    assert (S.side_effect_skip_min_score, S.missed_streak_days) == (2, 2)
    assert (S.new_rash_alert, S.rash_persistent_days) == (True, 14)
    assert (S.weight_gain_percent, S.weight_gain_kg, S.weight_gain_window_days) == (5.0, 2.0, 7)
    assert not hasattr(S, "urgent_score")  # answers never make an alert urgent


def test_urgent_score_is_gone():
    with pytest.raises(TypeError):
        AlertRuleSettings(urgent_score=4)


@pytest.mark.parametrize(
    "changes",
    [
        {"severe_score": 0},
        {"severe_score": 5},
        {"high_priority_composite": 0},
        {"high_priority_composite": 4},
        {"severe_grade": 0},
        {"severe_grade": 6},
        {"urgent_grade": 2},  # below severe_grade
        {"urgent_grade": 6},
        {"worsening_rise": 0},
        {"worsening_rise": 5},
        {"worsening_window_days": 0},
        {"worsening_window_days": 3661},
        {"worsening_window_days": 7.0},
        {"side_effect_skip_min_score": 0},
        {"side_effect_skip_min_score": 5},
        {"missed_streak_days": 0},
        {"rash_persistent_days": 0},
        {"rash_persistent_days": 367},
        {"weight_gain_percent": 0.5},
        {"weight_gain_percent": 51},
        {"weight_gain_percent": True},
        {"weight_gain_percent": "five"},
        {"weight_gain_kg": 0.4},
        {"weight_gain_kg": 21},
        {"weight_gain_window_days": 0},
        {"weight_gain_window_days": 91},
        {"severe_score": True},
        {"severe_score": 3.0},
        {"missed_streak_days": "2"},
        {"new_rash_alert": 1},
    ],
)
def test_settings_out_of_range_are_refused(changes):
    with pytest.raises(ValueError):
        AlertRuleSettings(**changes)


def test_settings_at_their_bounds_are_accepted():
    AlertRuleSettings(severe_score=1, high_priority_composite=1, worsening_window_days=1)
    AlertRuleSettings(severe_score=4, high_priority_composite=3, worsening_window_days=3660)
    AlertRuleSettings(severe_grade=4, urgent_grade=4)
    assert AlertRuleSettings(weight_gain_percent=5) == S  # a whole number is a number
    assert AlertRuleSettings(weight_gain_kg=2) == S


def test_changed_settings_are_flagged():
    settings = AlertRuleSettings(severe_score=2, high_priority_composite=1)
    decision = severe_symptom_alert("nausea", {"frequency": 2, "severity": 1}, None, settings)
    assert decision is not None and decision.priority == "high"
    assert rules.FLAG_NON_DEFAULT_SETTINGS in decision.flags
    default = severe_symptom_alert("nausea", {"frequency": 3, "severity": 1}, None)
    assert rules.FLAG_NON_DEFAULT_SETTINGS not in default.flags


# ---- severe symptom: trigger (any answer >= 3) vs priority (composite) ----------------------


def test_score_2_is_no_alert_3_alerts_at_the_composites_priority():
    assert severe_symptom_alert("nausea", {"frequency": 2, "severity": 2}, None, S) is None
    decision = severe_symptom_alert("nausea", {"frequency": 2, "severity": 3}, None, S)
    assert_well_formed(decision)
    assert (decision.kind, decision.priority) == ("severe_symptom", "normal")  # composite 2
    assert decision.rule == "alert.severe_symptom"
    assert decision.status == "C"
    assert {"S20", "S18"} <= set(decision.sources)
    assert "unconfirmed_rule:alert.composite_priority" in decision.flags
    assert decision.symptom == "nausea"
    assert decision.text == (
        "nausea: occasionally (frequency 2), severe (severity 3); "
        "patient-reported composite 2 of 3, not a CTCAE grade"
    )


def test_nausea_frequently_mild_alerts_at_normal_never_urgent():
    """Issue 16 #1: composite 1 (Basch 2021); the SYMPATHY trigger still fires."""
    decision = severe_symptom_alert("nausea", {"frequency": 3, "severity": 1}, None, S)
    assert_well_formed(decision)
    assert decision.priority == "normal"
    assert decision.text == (
        "nausea: frequently (frequency 3), mild (severity 1); "
        "patient-reported composite 1 of 3, not a CTCAE grade"
    )


def test_nausea_almost_constantly_mild_is_normal():
    """Issue 16 #7: the highest single answer does not set the priority."""
    decision = severe_symptom_alert("nausea", {"frequency": 4, "severity": 1}, None, S)
    assert decision.priority == "normal"
    assert "composite 1 of 3" in decision.text


def test_vomiting_frequently_severe_is_high():
    decision = severe_symptom_alert("vomiting", {"frequency": 3, "severity": 3}, None, S)
    assert_well_formed(decision)
    assert decision.priority == "high"
    assert "composite 3 of 3" in decision.text


def test_diarrhoea_3_alerts_normal_4_is_high():
    normal = severe_symptom_alert("diarrhoea", {"frequency": 3}, None, S)
    high = severe_symptom_alert("diarrhoea", {"frequency": 4}, None, S)
    assert normal.priority == "normal"  # composite 2
    assert high.priority == "high"  # composite 3
    assert high.text == (
        "diarrhoea: almost constantly (frequency 4); "
        "patient-reported composite 3 of 3, not a CTCAE grade"
    )
    assert_well_formed(high)


def test_any_attribute_counts_for_the_trigger():
    decision = severe_symptom_alert(
        "limb_swelling", {"frequency": 1, "severity": 1, "interference": 4}, None, S
    )
    assert decision is not None
    assert decision.priority == "normal"  # composite 2
    assert "very much (interference 4)" in decision.text


@pytest.mark.parametrize("code", GRADED)
def test_answers_alone_trigger_on_any_3_and_take_the_composites_priority(code):
    """Exhaustive: every answer combination of every item with a composite."""
    for answers in all_answers(code):
        decision = severe_symptom_alert(code, answers, None, S)
        if max(answers.values()) < 3:
            assert decision is None, answers
            continue
        assert decision is not None, answers
        composite = composite_grade(code, answers)
        assert decision.priority == ("high" if composite == 3 else "normal"), answers
        assert decision.priority != "urgent"
        assert f"composite {composite} of 3, {NOT_A_GRADE}" in decision.text


def test_grade_2_is_no_alert_3_is_high_4_is_urgent():
    assert severe_symptom_alert("vomiting", {}, 2, S) is None
    high = severe_symptom_alert("vomiting", {}, 3, S)
    urgent = severe_symptom_alert("vomiting", {}, 4, S)
    fatal = severe_symptom_alert("vomiting", {}, 5, S)
    assert (high.priority, high.rule) == ("high", "alert.severe_grade")
    assert (urgent.priority, urgent.rule) == ("urgent", "alert.urgent_grade")
    assert fatal.priority == "urgent"
    assert high.text == "vomiting: CTCAE v5.0 grade 3 (Vomiting), clinician-assessed"
    for decision in (high, urgent, fatal):
        assert_well_formed(decision)


def test_other_is_graded_on_the_general_scale():
    assert severe_symptom_alert("other", {}, 2, S) is None
    assert severe_symptom_alert("other", {}, 3, S).priority == "high"
    decision = severe_symptom_alert("other", {}, 5, S)
    assert decision.priority == "urgent"
    assert decision.text.startswith("other symptom: CTCAE v5.0 grade 5 (")
    assert decision.text.endswith("), clinician-assessed")


def test_score_and_grade_together():
    decision = severe_symptom_alert("nausea", {"frequency": 3, "severity": 1}, 3, S)
    assert decision.priority == "high"  # the clinician's grade, not the composite
    assert decision.rule == "alert.severe_grade"  # the clinician's grade first
    assert decision.text == (
        "nausea: CTCAE v5.0 grade 3 (Nausea), clinician-assessed; frequently (frequency 3), "
        "mild (severity 1); patient-reported composite 1 of 3, not a CTCAE grade"
    )
    assert "unconfirmed_rule:alert.severe_grade" in decision.flags
    assert_well_formed(decision)
    urgent = severe_symptom_alert("vomiting", {"frequency": 3, "severity": 3}, 4, S)
    assert urgent.priority == "urgent"
    assert urgent.rule == "alert.urgent_grade"
    # a grade below the threshold does not lower a high composite
    high = severe_symptom_alert("vomiting", {"frequency": 3, "severity": 3}, 2, S)
    assert (high.priority, high.rule) == ("high", "alert.severe_symptom")


def test_grade_above_the_terms_maximum_is_refused():
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert("nausea", {}, 4, S)
    assert error.value.field == "grade"


@pytest.mark.parametrize(
    ("term", "grade", "priority"),
    [
        ("Stevens-Johnson syndrome", 3, "urgent"),  # any SJS grade is urgent
        ("Stevens-Johnson syndrome", 5, "urgent"),
        ("Toxic epidermal necrolysis", 4, "urgent"),
        ("Toxic epidermal necrolysis", 5, "urgent"),
        ("Erythema multiforme", 5, "urgent"),
        ("Erythema multiforme", 4, "urgent"),
        ("Erythema multiforme", 3, "high"),
        ("Erythema multiforme", 2, None),
        ("Rash maculo-papular", 3, "high"),
        (None, 3, "high"),  # the usual term: maculo-papular
    ],
)
def test_rash_grades_under_its_skin_terms(term, grade, priority):
    decision = severe_symptom_alert("rash", {}, grade, S, ctcae_term=term)
    if priority is None:
        assert decision is None
        return
    assert_well_formed(decision)
    assert decision.priority == priority
    name = term or "Rash maculo-papular"
    assert f"CTCAE v5.0 grade {grade} ({name}), clinician-assessed" in decision.text
    if term in ("Stevens-Johnson syndrome", "Toxic epidermal necrolysis"):
        assert decision.rule == "alert.urgent_grade"


@pytest.mark.parametrize(
    ("term", "grade"),
    [
        ("Toxic epidermal necrolysis", 3),  # TEN starts at grade 4
        ("Rash maculo-papular", 4),  # maculo-papular stops at 3
        ("Stevens-Johnson syndrome", 2),
    ],
)
def test_rash_grades_a_term_does_not_define_are_refused(term, grade):
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert("rash", {}, grade, S, ctcae_term=term)
    assert error.value.field == "grade"


@pytest.mark.parametrize("grade", [4, 5])
def test_rash_graded_above_maculo_papular_without_a_term_is_urgent(grade):
    """Erythema multiforme, SJS and TEN define grades 4-5; the term was not named."""
    decision = severe_symptom_alert("rash", {}, grade, S)
    assert_well_formed(decision)
    assert decision.priority == "urgent"
    assert "Rash maculo-papular" not in decision.text  # not the usual term: it stops at 3
    assert f"CTCAE v5.0 grade {grade} (" in decision.text


def test_a_term_of_another_symptom_is_refused():
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert("rash", {}, 3, S, ctcae_term="Nausea")
    assert error.value.field == "ctcae_term"


def test_rash_yes_alone_is_not_severe():
    assert severe_symptom_alert("rash", {"presence": 1}, None, S) is None
    assert severe_symptom_alert("rash", {"presence": 1, "body_area": 2}, None, S) is None
    assert severe_symptom_alert("rash", {"presence": 1}, 3, S).priority == "high"


def test_custom_question_is_flagged():
    decision = severe_symptom_alert(
        "periorbital_swelling", {"frequency": 3, "severity": 2, "interference": 1}, None, S
    )
    assert "unconfirmed_rule:symptom.periorbital_swelling" in decision.flags
    assert decision.text.startswith("swelling around the eyes: frequently")


@pytest.mark.parametrize(
    ("symptom", "scores", "field"),
    [
        ("headache", {"severity": 3}, "symptom"),
        ("nausea", {"interference": 3}, "scores.interference"),
        ("nausea", {"severity": 5}, "scores.severity"),
        ("nausea", {"severity": True}, "scores.severity"),
        ("rash", {"presence": 2}, "scores.presence"),
        ("rash", {"presence": 1, "body_area": 3}, "scores.body_area"),
        ("nausea", [("severity", 3)], "scores"),
    ],
)
def test_severe_alert_bad_input(symptom, scores, field):
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert(symptom, scores, None, S)
    assert error.value.field == field


def test_incomplete_scores_are_refused_as_case_invalid():
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert("nausea", {"frequency": 3}, None, S)
    assert error.value.field == "scores.severity"
    with pytest.raises(CaseInvalid) as error:
        worsening_symptom_alert("nausea", {"frequency": 0}, {"frequency": 2}, 3, S)
    assert error.value.field == "current_scores.severity"


# ---- worsening: previous vs current score mappings --------------------------------------------


def nausea(frequency: int, severity: int) -> dict[str, int]:
    return {"frequency": frequency, "severity": severity}


def test_rise_of_1_is_no_alert_2_is():
    assert worsening_symptom_alert("nausea", nausea(1, 1), nausea(2, 1), 7, S) is None
    decision = worsening_symptom_alert("nausea", nausea(1, 1), nausea(1, 3), 7, S)
    assert_well_formed(decision)
    assert decision.kind == "worsening_symptom"
    assert decision.rule == "alert.worsening_symptom"
    assert decision.symptom == "nausea"
    assert decision.text == (
        "nausea: severity severe, rising from mild (1 to 3 in 7 days); "
        "patient-reported composite 2 of 3, not a CTCAE grade"
    )
    assert "unconfirmed_rule:alert.worsening_window" not in decision.flags  # no window set


@pytest.mark.parametrize("attribute", ["frequency", "severity", "interference"])
def test_a_rise_of_2_in_any_attribute_alerts(attribute):
    previous = {"frequency": 1, "severity": 1, "interference": 1}
    current = {**previous, attribute: 3}
    decision = worsening_symptom_alert("limb_swelling", previous, current, 7, S)
    assert decision is not None
    assert decision.text.startswith(f"arm or leg swelling: {attribute} ")
    assert decision.priority == "normal"  # composite 1 or 2
    assert decision.priority == (
        "high" if composite_grade("limb_swelling", current) == 3 else "normal"
    )


def test_the_largest_rise_is_named():
    decision = worsening_symptom_alert(
        "limb_swelling",
        {"frequency": 1, "severity": 1, "interference": 0},
        {"frequency": 3, "severity": 1, "interference": 3},
        7,
        S,
    )
    assert decision.text.startswith("arm or leg swelling: interference quite a bit")


def test_worsening_compares_whatever_the_age_by_default():
    assert worsening_symptom_alert("nausea", nausea(0, 0), nausea(2, 1), 400, S) is not None
    assert worsening_symptom_alert("nausea", nausea(0, 0), nausea(2, 1), 0, S) is not None


def test_a_window_set_by_the_care_team_limits_the_age():
    settings = replace(S, worsening_window_days=14)
    decision = worsening_symptom_alert("nausea", nausea(0, 0), nausea(2, 1), 14, settings)
    assert decision is not None
    assert "unconfirmed_rule:alert.worsening_window" in decision.flags
    assert rules.FLAG_NON_DEFAULT_SETTINGS in decision.flags
    assert worsening_symptom_alert("nausea", nausea(0, 0), nausea(2, 1), 15, settings) is None


def test_worsening_priority_follows_the_new_composite():
    # frequently + mild: composite 1
    assert worsening_symptom_alert("nausea", nausea(1, 1), nausea(3, 1), 7, S).priority == (
        "normal"
    )
    # frequently + severe: composite 3
    assert worsening_symptom_alert("nausea", nausea(1, 1), nausea(3, 3), 7, S).priority == "high"
    # never urgent from answers alone
    assert worsening_symptom_alert("nausea", nausea(2, 2), nausea(4, 4), 7, S).priority == "high"


@pytest.mark.parametrize("code", GRADED)
def test_worsening_from_nothing_alerts_at_the_composites_priority(code):
    zero = dict.fromkeys(SYMPTOMS[code].attributes, 0)
    for answers in all_answers(code):
        decision = worsening_symptom_alert(code, zero, answers, 7, S)
        if max(answers.values()) < 2:
            assert decision is None, answers
            continue
        assert decision is not None, answers
        composite = composite_grade(code, answers)
        assert decision.priority == ("high" if composite == 3 else "normal"), answers


def test_no_previous_report_or_a_fall_is_no_alert():
    assert worsening_symptom_alert("nausea", None, nausea(4, 4), None, S) is None
    assert worsening_symptom_alert("nausea", None, nausea(4, 4), 3, S) is None
    assert worsening_symptom_alert("nausea", nausea(4, 4), nausea(0, 0), 3, S) is None
    assert worsening_symptom_alert("nausea", nausea(2, 2), nausea(2, 2), 3, S) is None
    # one attribute up by 2, another down: still a rise of 2
    assert worsening_symptom_alert("nausea", nausea(1, 4), nausea(3, 1), 3, S) is not None


def test_single_question_symptoms_use_their_own_words():
    decision = worsening_symptom_alert("diarrhoea", {"frequency": 1}, {"frequency": 3}, 5, S)
    assert decision.text == (
        "diarrhoea: frequency frequently, rising from rarely (1 to 3 in 5 days); "
        "patient-reported composite 2 of 3, not a CTCAE grade"
    )


def test_rise_threshold_is_a_setting():
    settings = replace(S, worsening_rise=3)
    assert worsening_symptom_alert("nausea", nausea(1, 1), nausea(1, 3), 7, settings) is None
    assert worsening_symptom_alert("nausea", nausea(1, 1), nausea(1, 4), 7, settings) is not None


def test_new_rash():
    new = worsening_symptom_alert("rash", {"presence": 0}, {"presence": 1}, 7, S)
    assert_well_formed(new)
    assert (new.kind, new.priority, new.rule) == ("worsening_symptom", "normal", "alert.new_rash")
    assert new.text == "rash: new (previously no; patient-reported)"
    first = worsening_symptom_alert("rash", None, {"presence": 1}, None, S)
    assert first.text == "rash: new (no earlier report of it; patient-reported)"
    # not new: the previous report said yes, whatever its age by default
    assert worsening_symptom_alert("rash", {"presence": 1}, {"presence": 1}, 14, S) is None
    assert worsening_symptom_alert("rash", {"presence": 1}, {"presence": 1}, 400, S) is None
    assert worsening_symptom_alert("rash", None, {"presence": 0}, None, S) is None
    off = replace(S, new_rash_alert=False)
    assert worsening_symptom_alert("rash", {"presence": 0}, {"presence": 1}, 7, off) is None


def test_new_rash_after_the_window_the_care_team_set():
    settings = replace(S, worsening_window_days=14)
    yes = {"presence": 1}
    assert worsening_symptom_alert("rash", yes, yes, 14, settings) is None
    assert worsening_symptom_alert("rash", yes, yes, 15, settings) is not None


def test_red_flag_items_are_not_worsening_alerts():
    for code in (c for c, item in SYMPTOMS.items() if item.red_flag):
        assert worsening_symptom_alert(code, {"presence": 0}, {"presence": 1}, 3, S) is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("headache", nausea(0, 0), nausea(2, 2), 1), "symptom"),
        (("nausea", nausea(0, 0), nausea(5, 2), 1), "current_scores.frequency"),
        (("nausea", {"frequency": -1}, nausea(2, 2), 1), "previous_scores.frequency"),
        (("nausea", nausea(0, 0), nausea(2, 2), -1), "days_apart"),
        (("nausea", nausea(0, 0), nausea(2, 2), None), "days_apart"),
        (("nausea", nausea(0, 0), nausea(2, 2), 1.5), "days_apart"),
        (("nausea", {"frequency": True}, nausea(2, 2), 1), "previous_scores.frequency"),
        (("nausea", nausea(0, 0), {"interference": 2}, 1), "current_scores.interference"),
        (("nausea", 0, nausea(2, 2), 1), "previous_scores"),
        (("nausea", nausea(0, 0), 2, 1), "current_scores"),
        (("rash", {"presence": 0}, {"presence": 2}, 1), "current_scores.presence"),
    ],
)
def test_worsening_bad_input(args, field):
    with pytest.raises(CaseInvalid) as error:
        worsening_symptom_alert(*args, S)
    assert error.value.field == field


# ---- dose skipped for side effects -------------------------------------------------------------


def test_skip_with_score_1_is_no_alert_2_is():
    assert side_effect_nonadherence_alert({"nausea": 1}, S) is None
    assert side_effect_nonadherence_alert({}, S) is None
    decision = side_effect_nonadherence_alert({"nausea": 2, "fatigue": 1}, S)
    assert_well_formed(decision)
    assert decision.kind == "side_effect_nonadherence"
    assert decision.priority == "high"
    assert decision.text == "dose skipped because of side effects; nausea: moderate (level 2)"


def test_skip_with_a_high_answer_is_high_not_urgent():
    """Answers never make an alert urgent; only a red flag does (test_red_flags.py)."""
    decision = side_effect_nonadherence_alert({"fatigue": 2, "diarrhoea": 4}, S)
    assert decision.priority == "high"
    assert decision.text == (
        "dose skipped because of side effects; diarrhoea: almost constantly (level 4), "
        "fatigue: moderate (level 2)"
    )


def test_skip_with_a_rash_counts():
    decision = side_effect_nonadherence_alert({"rash": 1}, S)
    assert decision is not None and "rash: yes" in decision.text
    assert decision.priority == "high"
    assert side_effect_nonadherence_alert({"rash": 0}, S) is None


def test_skip_threshold_is_a_setting():
    settings = replace(S, side_effect_skip_min_score=3)
    assert side_effect_nonadherence_alert({"nausea": 2}, settings) is None
    assert side_effect_nonadherence_alert({"nausea": 3}, settings) is not None


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ({"headache": 2}, "symptom"),
        ({"nausea": 5}, "symptom_levels.nausea"),
        ({"nausea": "2"}, "symptom_levels.nausea"),
        ({"rash": 2}, "symptom_levels.rash"),
        ({"fever": 2}, "symptom_levels.fever"),
        ([("nausea", 2)], "symptom_levels"),
    ],
)
def test_skip_bad_input(levels, field):
    with pytest.raises(CaseInvalid) as error:
        side_effect_nonadherence_alert(levels, S)
    assert error.value.field == field


# ---- missed streak -------------------------------------------------------------------------


def test_streak_of_1_is_no_alert_2_is():
    assert missed_streak_alert(0, S) is None
    assert missed_streak_alert(1, S) is None
    decision = missed_streak_alert(2, S)
    assert_well_formed(decision)
    assert (decision.kind, decision.priority) == ("missed_dose_streak", "normal")
    assert decision.text == "missed 2 days in a row"
    assert missed_streak_alert(3, S).text == "missed 3 days in a row"


def test_streak_threshold_is_a_setting():
    assert missed_streak_alert(2, replace(S, missed_streak_days=3)) is None
    assert missed_streak_alert(3, replace(S, missed_streak_days=3)) is not None


@pytest.mark.parametrize("bad", [-1, True, 2.0, "2", None])
def test_streak_bad_input(bad):
    with pytest.raises(CaseInvalid) as error:
        missed_streak_alert(bad, S)
    assert error.value.field == "streak_days"


def test_settings_must_be_alert_rule_settings():
    with pytest.raises(TypeError):
        missed_streak_alert(2, rules.DEFAULT_SETTINGS)

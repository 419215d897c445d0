"""Alert rules: severe, worsening, skipped-for-side-effects, missed streak (facts §6.3, §10)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from backend.guidelines import (
    DEFAULT_ALERT_SETTINGS,
    PRIORITIES,
    AlertDecision,
    AlertRuleSettings,
    CaseInvalid,
    alert_rules,
    missed_streak_alert,
    rules,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    worsening_symptom_alert,
)
from backend.guidelines.symptoms import SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"
S = DEFAULT_ALERT_SETTINGS


def assert_well_formed(decision: AlertDecision) -> None:
    assert decision.kind in alert_rules.ALERT_KINDS
    assert decision.priority in PRIORITIES
    assert decision.rule in alert_rules.ALERT_RULES
    assert decision.text.strip()
    assert decision.sources and all(s in SOURCES for s in decision.sources)
    assert decision.status == alert_rules.ALERT_RULES[decision.rule].status
    if alert_rules.ALERT_RULES[decision.rule].needs_flag:
        assert rules.UNCONFIRMED_FLAG_PREFIX + decision.rule in decision.flags
    json.dumps(decision.as_dict(), allow_nan=False)


# ---- rule data and settings ------------------------------------------------------------------


def test_every_alert_rule_has_known_sources_a_status_and_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for rule_id, rule in alert_rules.ALERT_RULES.items():
        assert rule.id == rule_id
        assert rule.status in rules.STATUSES
        assert rule.sources and all(s in SOURCES for s in rule.sources)
        assert f"`{rule_id}`" in text


def test_priorities_are_ordered():
    assert PRIORITIES == ("normal", "high", "urgent")
    assert alert_rules.priority_rank("urgent") > alert_rules.priority_rank("high")
    assert alert_rules.priority_rank("high") > alert_rules.priority_rank("normal")


def test_default_settings():
    assert AlertRuleSettings() == S
    assert (S.severe_score, S.urgent_score, S.severe_grade, S.urgent_grade) == (3, 4, 3, 4)
    assert (S.worsening_rise, S.worsening_window_days) == (2, 14)
    assert (S.side_effect_skip_min_score, S.missed_streak_days) == (2, 2)


@pytest.mark.parametrize(
    "changes",
    [
        {"severe_score": 0},
        {"severe_score": 5},
        {"urgent_score": 2},  # below severe_score
        {"urgent_score": 5},
        {"severe_grade": 0},
        {"severe_grade": 6},
        {"urgent_grade": 2},
        {"urgent_grade": 6},
        {"worsening_rise": 0},
        {"worsening_rise": 5},
        {"worsening_window_days": 0},
        {"side_effect_skip_min_score": 0},
        {"side_effect_skip_min_score": 5},
        {"missed_streak_days": 0},
        {"severe_score": True},
        {"severe_score": 3.0},
        {"missed_streak_days": "2"},
        {"new_rash_alert": 1},
    ],
)
def test_settings_out_of_range_are_refused(changes):
    with pytest.raises(ValueError):
        AlertRuleSettings(**changes)


def test_changed_settings_are_flagged():
    settings = AlertRuleSettings(severe_score=2, urgent_score=3)
    decision = severe_symptom_alert("nausea", {"frequency": 2, "severity": 1}, None, settings)
    assert decision is not None and decision.priority == "high"
    assert rules.FLAG_NON_DEFAULT_SETTINGS in decision.flags
    default = severe_symptom_alert("nausea", {"frequency": 3, "severity": 1}, None)
    assert rules.FLAG_NON_DEFAULT_SETTINGS not in default.flags


# ---- severe symptom --------------------------------------------------------------------------


def test_score_2_is_no_alert_3_is_high():
    assert severe_symptom_alert("nausea", {"frequency": 2, "severity": 2}, None, S) is None
    decision = severe_symptom_alert("nausea", {"frequency": 2, "severity": 3}, None, S)
    assert_well_formed(decision)
    assert (decision.kind, decision.priority) == ("severe_symptom", "high")
    assert decision.rule == "alert.severe_symptom"
    assert decision.status == "C"
    assert "S20" in decision.sources
    assert decision.text == "nausea: severe (severity score 3)"


def test_score_3_is_high_4_is_urgent():
    high = severe_symptom_alert("diarrhoea", {"frequency": 3}, None, S)
    urgent = severe_symptom_alert("diarrhoea", {"frequency": 4}, None, S)
    assert high.priority == "high"
    assert urgent.priority == "urgent"
    assert urgent.rule == "alert.urgent_symptom"
    assert "unconfirmed_rule:alert.urgent_symptom" in urgent.flags
    assert urgent.text == "diarrhoea: almost constantly (frequency score 4)"
    assert_well_formed(urgent)


def test_any_attribute_counts():
    decision = severe_symptom_alert(
        "limb_swelling", {"frequency": 1, "severity": 1, "interference": 4}, None, S
    )
    assert decision.priority == "urgent"
    assert "very much (interference score 4)" in decision.text


def test_grade_2_is_no_alert_3_is_high_4_is_urgent():
    assert severe_symptom_alert("vomiting", {}, 2, S) is None
    high = severe_symptom_alert("vomiting", {}, 3, S)
    urgent = severe_symptom_alert("vomiting", {}, 4, S)
    fatal = severe_symptom_alert("vomiting", {}, 5, S)
    assert (high.priority, high.rule) == ("high", "alert.severe_grade")
    assert (urgent.priority, urgent.rule) == ("urgent", "alert.urgent_grade")
    assert fatal.priority == "urgent"
    assert high.text == "vomiting: CTCAE grade 3 (clinician)"
    for decision in (high, urgent, fatal):
        assert_well_formed(decision)


def test_score_and_grade_together():
    decision = severe_symptom_alert("nausea", {"frequency": 3, "severity": 1}, 3, S)
    assert decision.priority == "high"
    assert decision.rule == "alert.severe_symptom"  # the patient's score first on a tie
    assert decision.text == "nausea: frequently (frequency score 3); CTCAE grade 3 (clinician)"
    assert "unconfirmed_rule:alert.severe_grade" in decision.flags
    low_score_urgent_grade = severe_symptom_alert("vomiting", {"frequency": 3}, 4, S)
    assert low_score_urgent_grade.priority == "urgent"
    assert low_score_urgent_grade.rule == "alert.urgent_grade"


def test_grade_above_the_terms_maximum_is_refused():
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert("nausea", {}, 4, S)
    assert error.value.field == "grade"


def test_rash_yes_alone_is_not_severe():
    assert severe_symptom_alert("rash", {"presence": 1}, None, S) is None
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
    ],
)
def test_severe_alert_bad_input(symptom, scores, field):
    with pytest.raises(CaseInvalid) as error:
        severe_symptom_alert(symptom, scores, None, S)
    assert error.value.field == field


# ---- worsening -------------------------------------------------------------------------------


def test_rise_of_1_is_no_alert_2_is():
    assert worsening_symptom_alert("nausea", 1, 2, 7, S) is None
    decision = worsening_symptom_alert("nausea", 1, 3, 7, S)
    assert_well_formed(decision)
    assert decision.kind == "worsening_symptom"
    assert decision.rule == "alert.worsening_symptom"
    assert decision.text == "nausea: severe, rising from mild (level 1 to 3 in 7 days)"
    assert "unconfirmed_rule:alert.worsening_window" in decision.flags


def test_14_days_apart_counts_15_does_not():
    assert worsening_symptom_alert("nausea", 0, 2, 14, S) is not None
    assert worsening_symptom_alert("nausea", 0, 2, 15, S) is None
    assert worsening_symptom_alert("nausea", 0, 2, 0, S) is not None


def test_worsening_priority_follows_the_new_level():
    assert worsening_symptom_alert("nausea", 0, 2, 7, S).priority == "normal"
    assert worsening_symptom_alert("nausea", 1, 3, 7, S).priority == "high"
    assert worsening_symptom_alert("nausea", 2, 4, 7, S).priority == "urgent"


def test_no_previous_report_or_a_fall_is_no_alert():
    assert worsening_symptom_alert("nausea", None, 4, None, S) is None
    assert worsening_symptom_alert("nausea", 4, 0, 3, S) is None
    assert worsening_symptom_alert("nausea", 2, 2, 3, S) is None


def test_single_question_symptoms_use_their_own_words():
    decision = worsening_symptom_alert("diarrhoea", 1, 3, 5, S)
    assert decision.text == "diarrhoea: frequently, rising from rarely (level 1 to 3 in 5 days)"


def test_new_rash():
    new = worsening_symptom_alert("rash", 0, 1, 7, S)
    assert_well_formed(new)
    assert (new.kind, new.priority, new.rule) == ("worsening_symptom", "normal", "alert.new_rash")
    assert new.text == "rash: new (yes; previously no)"
    first = worsening_symptom_alert("rash", None, 1, None, S)
    assert first.text == "rash: new (yes; no report of it in the last 14 days)"
    assert worsening_symptom_alert("rash", 1, 1, 14, S) is None  # not new
    assert worsening_symptom_alert("rash", 1, 1, 15, S) is not None  # last "yes" too old
    assert worsening_symptom_alert("rash", None, 0, None, S) is None
    assert worsening_symptom_alert("rash", 0, 1, 7, replace(S, new_rash_alert=False)) is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("headache", 0, 2, 1), "symptom"),
        (("nausea", 0, 5, 1), "current_level"),
        (("nausea", -1, 2, 1), "previous_level"),
        (("nausea", 0, 2, -1), "days_apart"),
        (("nausea", 0, 2, None), "days_apart"),
        (("nausea", 0, 2, 1.5), "days_apart"),
        (("nausea", True, 2, 1), "previous_level"),
        (("rash", 0, 2, 1), "current_level"),
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


def test_skip_with_an_urgent_symptom_is_urgent():
    decision = side_effect_nonadherence_alert({"fatigue": 2, "diarrhoea": 4}, S)
    assert decision.priority == "urgent"
    assert decision.text == (
        "dose skipped because of side effects; diarrhoea: almost constantly (level 4), "
        "fatigue: moderate (level 2)"
    )


def test_skip_with_a_rash_counts():
    decision = side_effect_nonadherence_alert({"rash": 1}, S)
    assert decision is not None and "rash: yes" in decision.text
    assert side_effect_nonadherence_alert({"rash": 0}, S) is None


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ({"headache": 2}, "symptom"),
        ({"nausea": 5}, "symptom_levels.nausea"),
        ({"nausea": "2"}, "symptom_levels.nausea"),
        ({"rash": 2}, "symptom_levels.rash"),
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

"""Red flags (issue 16): yes/no items whose "yes" is an urgent alert at once, whatever else the
report says; rash follow-ups that name red flags; instruction levels never self-care."""

from __future__ import annotations

import pytest

from backend.guidelines import (
    RED_FLAGS,
    SYMPTOMS,
    CaseInvalid,
    alert_rules,
    checked_answers,
    composite_grade,
    red_flag_alert,
    red_flags_in,
    rules,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    symptom_catalogue,
)
from backend.guidelines.alert_rules import AlertRuleSettings
from backend.guidelines.symptoms import SOURCES

# id -> (instruction level, words the patient must recognise in the question); issue 16.
ISSUE_RED_FLAGS = {
    "black_stools": ("emergency", ("black", "tarry", "bloody")),
    "vomiting_blood": ("emergency", ("vomiting", "blood")),
    "severe_abdominal_pain": ("emergency", ("severe", "belly")),
    "breathlessness": ("emergency", ("breath",)),
    "chest_pain": ("emergency", ("chest",)),
    "jaundice": ("call_now", ("yellow skin or eyes", "dark urine")),
    "fever": ("call_now", ("38 °C",)),
    "bleeding_bruising": ("call_now", ("bleeding", "bruising")),
    "blistering_rash": ("call_now", ("blisters", "peeling", "mouth")),
}
URGENT_LEVELS = ("emergency", "call_now")


def name(code: str) -> str:
    """The label as alert texts use it: first letter in lower case ("°C" kept)."""
    label = SYMPTOMS[code].label
    return label[0].lower() + label[1:]


def test_the_issues_red_flags_are_all_in_the_catalogue():
    assert set(RED_FLAGS) == set(ISSUE_RED_FLAGS)
    assert {code for code, item in SYMPTOMS.items() if item.red_flag} == set(ISSUE_RED_FLAGS)


@pytest.mark.parametrize("code", list(ISSUE_RED_FLAGS))
def test_each_red_flag_is_one_presence_question(code):
    item = SYMPTOMS[code]
    level, words = ISSUE_RED_FLAGS[code]
    assert item.red_flag is True
    assert item.attributes == ("presence",)
    (question,) = item.questions
    assert [(o.score, o.label) for o in question.options] == [(0, "no"), (1, "yes")]
    assert item.follow_ups == ()
    for word in words:
        assert word.lower() in question.text.lower(), (code, word)
    assert item.instruction_level in URGENT_LEVELS
    assert item.instruction_level != "self_care"
    assert item.instruction_level == level
    assert composite_grade(code, {"presence": 1}) is None
    assert item.sources and all(s in SOURCES for s in item.sources)


@pytest.mark.parametrize("code", list(ISSUE_RED_FLAGS))
def test_the_catalogue_json_marks_red_flags(code):
    entry = next(e for e in symptom_catalogue() if e["code"] == code)
    assert entry["red_flag"] is True
    assert entry["instruction_level"] in URGENT_LEVELS
    assert [q["attribute"] for q in entry["questions"]] == ["presence"]


def test_no_other_item_is_a_red_flag():
    for entry in symptom_catalogue():
        if entry["code"] not in ISSUE_RED_FLAGS:
            assert entry["red_flag"] is False
            assert entry["instruction_level"] is None


@pytest.mark.parametrize("code", list(ISSUE_RED_FLAGS))
@pytest.mark.parametrize("yes", [True, 1])
def test_red_flags_in_finds_it_on_yes(code, yes):
    assert red_flags_in(code, checked_answers(code, {"presence": yes})) == (code,)


@pytest.mark.parametrize("code", list(ISSUE_RED_FLAGS))
@pytest.mark.parametrize("no", [False, 0])
def test_red_flags_in_does_not_find_it_on_no(code, no):
    assert red_flags_in(code, checked_answers(code, {"presence": no})) == ()


@pytest.mark.parametrize("code", [c for c in SYMPTOMS if c not in ISSUE_RED_FLAGS])
def test_ordinary_items_raise_no_red_flag_whatever_the_answers(code):
    top = {a: SYMPTOMS[code].question(a).max_score for a in SYMPTOMS[code].attributes}
    assert red_flags_in(code, checked_answers(code, top)) == ()


# ---- rash follow-ups ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("follow_ups", "flags"),
    [
        ({}, ()),
        ({"body_area": 2}, ()),  # extent sets priority, not a red flag
        ({"blisters": True}, ("blistering_rash",)),
        ({"mouth_eye_sores": True}, ("blistering_rash",)),
        ({"blisters": True, "mouth_eye_sores": True}, ("blistering_rash",)),
        ({"fever": True}, ("fever",)),
        ({"blisters": True, "fever": True}, ("blistering_rash", "fever")),
        ({"blisters": False, "mouth_eye_sores": False, "fever": False}, ()),
    ],
)
def test_rash_follow_ups_name_red_flags(follow_ups, flags):
    scores = checked_answers("rash", {"presence": True, **follow_ups})
    assert red_flags_in("rash", scores) == flags
    for flag in flags:
        assert SYMPTOMS[flag].red_flag


def test_rash_no_raises_nothing():
    assert red_flags_in("rash", checked_answers("rash", {"presence": False})) == ()


# ---- alerts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(ISSUE_RED_FLAGS))
def test_red_flag_alert_is_urgent(code):
    decision = red_flag_alert(code)
    assert decision.kind == "red_flag"
    assert decision.priority == "urgent"
    assert decision.rule == "alert.red_flag"
    assert decision.symptom == code
    assert decision.status == alert_rules.ALERT_RULES["alert.red_flag"].status
    assert "unconfirmed_rule:alert.red_flag" in decision.flags
    assert decision.sources and all(s in SOURCES for s in decision.sources)
    assert decision.text == f"red flag: {name(code)} (patient-reported)"
    assert "CTCAE grade" not in decision.text


def test_red_flag_alert_is_urgent_whatever_the_settings():
    settings = AlertRuleSettings(high_priority_composite=1, severe_grade=5, urgent_grade=5)
    decision = red_flag_alert("fever", settings)
    assert decision.priority == "urgent"
    assert rules.FLAG_NON_DEFAULT_SETTINGS in decision.flags


@pytest.mark.parametrize("code", ["nausea", "rash", "headache"])
def test_red_flag_alert_refuses_what_is_not_a_red_flag(code):
    with pytest.raises(CaseInvalid) as error:
        red_flag_alert(code)
    assert error.value.field == "symptom"


def test_a_red_flags_yes_is_not_a_severe_score():
    """The yes is alerted by red_flag_alert; it is not a PRO-CTCAE answer of 3."""
    assert severe_symptom_alert("black_stools", {"presence": 1}, None) is None


@pytest.mark.parametrize("code", list(ISSUE_RED_FLAGS))
def test_side_effect_nonadherence_with_a_red_flag_is_urgent(code):
    decision = side_effect_nonadherence_alert({code: 1})
    assert decision is not None
    assert decision.priority == "urgent"
    assert "unconfirmed_rule:alert.red_flag" in decision.flags
    assert f"{name(code)}: yes (level 1)" in decision.text
    assert "continue" not in decision.text.lower()


def test_side_effect_nonadherence_lists_the_red_flag_first():
    decision = side_effect_nonadherence_alert({"diarrhoea": 4, "fever": 1, "nausea": 1})
    assert decision.priority == "urgent"
    assert decision.text == (
        "dose skipped because of side effects; fever of 38 °C or more: yes (level 1), "
        "diarrhoea: almost constantly (level 4)"
    )


def test_side_effect_nonadherence_with_a_red_flag_no_is_not_urgent():
    assert side_effect_nonadherence_alert({"fever": 0}) is None
    assert side_effect_nonadherence_alert({"fever": 0, "nausea": 2}).priority == "high"

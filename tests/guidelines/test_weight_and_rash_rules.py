"""Weight gain (fluid retention) and rash rules at their boundaries (issue 16; clinical facts
§5.3: label "investigate unexpected rapid weight gain"; CTCAE v5.0 weight gain grade 1 = 5%,
grade 2 = 10%)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.guidelines import (
    DEFAULT_ALERT_SETTINGS,
    CaseInvalid,
    persistent_rash_alert,
    rules,
    weight_gain_alert,
    worsening_symptom_alert,
)
from backend.guidelines.alert_rules import rash_priority

S = DEFAULT_ALERT_SETTINGS
LIMIT = S.rash_persistent_days


# ---- weight: percent from baseline ---------------------------------------------------------------


@pytest.mark.parametrize("baseline", [40.0, 60.0, 70.0, 80.0, 95.5, 120.0])
def test_five_percent_from_baseline_exactly_alerts(baseline):
    decision = weight_gain_alert(baseline, baseline * 1.05)
    assert decision is not None
    assert decision.kind == "weight_gain"
    assert decision.rule == "alert.weight_gain"
    assert decision.priority == "normal"
    assert "unconfirmed_rule:alert.weight_gain" in decision.flags
    assert "(+5.0%) from baseline" in decision.text


@pytest.mark.parametrize("baseline", [40.0, 60.0, 70.0, 80.0, 95.5, 120.0])
def test_four_point_nine_percent_does_not(baseline):
    assert weight_gain_alert(baseline, baseline * 1.049) is None


def test_weight_gain_text():
    decision = weight_gain_alert(80.0, 84.0)
    assert decision.text == (
        "weight 84.0 kg: +4.0 kg (+5.0%) from baseline 80.0 kg (possible fluid retention)"
    )
    assert decision.symptom == ""
    assert {"S1", "S16"} <= set(decision.sources)


@pytest.mark.parametrize(
    ("current", "priority"),
    [(84.0, "normal"), (87.9, "normal"), (88.0, "high"), (96.0, "high"), (120.0, "high")],
)
def test_ten_percent_or_more_is_high(current, priority):
    assert weight_gain_alert(80.0, current).priority == priority


def test_a_loss_or_no_change_is_no_alert():
    assert weight_gain_alert(80.0, 80.0) is None
    assert weight_gain_alert(80.0, 70.0) is None
    assert weight_gain_alert(None, 80.0) is None
    assert weight_gain_alert(None, 80.0, []) is None


def test_percent_threshold_is_a_setting():
    settings = replace(S, weight_gain_percent=3.0)
    assert weight_gain_alert(100.0, 102.9, settings=settings) is None
    decision = weight_gain_alert(100.0, 103.0, settings=settings)
    assert decision is not None
    assert rules.FLAG_NON_DEFAULT_SETTINGS in decision.flags


# ---- weight: kg within the window ----------------------------------------------------------------


@pytest.mark.parametrize("lowest", [50.0, 70.1, 70.3, 80.0, 99.9])
def test_two_kg_within_the_window_alerts(lowest):
    decision = weight_gain_alert(None, round(lowest + 2.0, 1), [lowest])
    assert decision is not None
    assert decision.priority == "normal"
    assert "+2.0 kg within 7 days" in decision.text


@pytest.mark.parametrize("lowest", [50.0, 70.1, 70.3, 80.0, 99.9])
def test_one_point_nine_kg_does_not(lowest):
    assert weight_gain_alert(None, round(lowest + 1.9, 1), [lowest]) is None


def test_the_lowest_weight_of_the_window_counts():
    assert weight_gain_alert(None, 82.0, [81.0, 80.0, 81.5]) is not None
    assert weight_gain_alert(None, 82.0, [81.0, 80.1, 81.5]) is None


def test_kg_rule_alone_below_the_percent_threshold():
    """2 kg in a week on 80 kg is 2.5%: the kg rule alerts on its own."""
    decision = weight_gain_alert(80.0, 82.0, [80.0])
    assert decision is not None
    assert "from baseline" not in decision.text
    assert "+2.0 kg within 7 days" in decision.text


def test_both_reasons_are_named():
    decision = weight_gain_alert(80.0, 84.0, [81.0])
    assert "(+5.0%) from baseline 80.0 kg" in decision.text
    assert "+3.0 kg within 7 days" in decision.text


def test_kg_threshold_and_window_are_settings():
    settings = replace(S, weight_gain_kg=3.0, weight_gain_window_days=14)
    assert weight_gain_alert(None, 82.9, [80.0], settings) is None
    decision = weight_gain_alert(None, 83.0, [80.0], settings)
    assert "+3.0 kg within 14 days" in decision.text


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((80.0, 0.0), "current_kg"),
        ((80.0, True), "current_kg"),
        ((0.0, 80.0), "baseline_kg"),
        ((80.0, 80.0, [0.5]), "earlier_kg"),
    ],
)
def test_weight_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        weight_gain_alert(*args)


# ---- rash persistence ---------------------------------------------------------------------------


def test_rash_persistent_days_minus_one_is_no_alert():
    assert persistent_rash_alert(LIMIT - 1, None) is None
    assert persistent_rash_alert(0, None) is None


def test_rash_at_the_limit_alerts():
    decision = persistent_rash_alert(LIMIT, None)
    assert decision is not None
    assert (decision.kind, decision.priority, decision.rule) == (
        "persistent_symptom",
        "normal",
        "alert.persistent_rash",
    )
    assert decision.symptom == "rash"
    assert decision.text == f"rash: still present after {LIMIT} days (patient-reported)"
    assert "unconfirmed_rule:alert.persistent_rash" in decision.flags


def test_not_again_until_that_many_days_since_the_last_alert():
    assert persistent_rash_alert(LIMIT + 5, 0) is None
    assert persistent_rash_alert(LIMIT + 5, LIMIT - 1) is None
    assert persistent_rash_alert(LIMIT + 5, LIMIT) is not None
    assert persistent_rash_alert(2 * LIMIT, LIMIT) is not None


def test_rash_persistent_days_is_a_setting():
    settings = replace(S, rash_persistent_days=7)
    assert persistent_rash_alert(6, None, settings) is None
    assert persistent_rash_alert(7, None, settings) is not None
    assert persistent_rash_alert(20, 6, settings) is None
    assert persistent_rash_alert(20, 7, settings) is not None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-1, None), "days_present"),
        ((True, None), "days_present"),
        ((14.0, None), "days_present"),
        ((LIMIT, -1), "days_since_last_alert"),
        ((LIMIT, "3"), "days_since_last_alert"),
    ],
)
def test_rash_persistence_bad_input(args, field):
    with pytest.raises(CaseInvalid) as error:
        persistent_rash_alert(*args)
    assert error.value.field == field


# ---- new rash: priority from the body area ------------------------------------------------------


@pytest.mark.parametrize(
    ("body_area", "priority"), [(None, "normal"), (0, "normal"), (1, "normal"), (2, "high")]
)
def test_new_rash_priority_from_body_area(body_area, priority):
    current = {"presence": 1}
    if body_area is not None:
        current["body_area"] = body_area
    assert rash_priority(current) == priority
    decision = worsening_symptom_alert("rash", {"presence": 0}, current, 3)
    assert decision.rule == "alert.new_rash"
    assert decision.priority == priority


def test_new_rash_text_names_the_extent():
    decision = worsening_symptom_alert("rash", None, {"presence": 1, "body_area": 2}, None)
    assert decision.text == (
        "rash: new (no earlier report of it; most of the body (more than 30%); patient-reported)"
    )

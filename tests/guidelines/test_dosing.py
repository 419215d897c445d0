"""Dose reduction ladder, escalation and toxicity holds (docs/clinical-facts.md §2.3, §5)."""

from __future__ import annotations

import pytest

from backend.guidelines import (
    blood_count_hold_needed,
    blood_count_resume_allowed,
    blood_count_resume_dose,
    doses_per_day,
    escalation_options_on_progression,
    liver_hold_needed,
    liver_resume_allowed,
    liver_resume_dose,
    next_lower_dose,
    reduction_step,
)


@pytest.mark.parametrize(("mg", "lower"), [(800, 600), (600, 400), (400, 300), (300, None)])
def test_reduction_ladder(mg, lower):
    assert next_lower_dose(mg) == lower


def test_below_300_is_a_clinician_decision_and_unconfirmed():
    step = reduction_step(300)
    assert step.dose_mg is None
    assert step.rule.status == "UNCONFIRMED"
    assert reduction_step(400).rule.status == "C"


@pytest.mark.parametrize("mg", [0, 100, 500, 700, 1000, True, 400.0, "400"])
def test_doses_off_the_ladder_are_refused(mg):
    with pytest.raises(ValueError):
        next_lower_dose(mg)


@pytest.mark.parametrize(("mg", "per_day"), [(300, 1), (400, 1), (600, 1), (800, 2)])
def test_doses_per_day(mg, per_day):
    assert doses_per_day(mg) == per_day


def test_escalation_on_progression():
    assert escalation_options_on_progression(400) == (600, 800)
    assert escalation_options_on_progression(800) == ()
    assert escalation_options_on_progression(600) == ()


@pytest.mark.parametrize(
    ("bilirubin", "transaminases", "hold"),
    [
        (3.0, 5.0, False),  # exactly at the limits: not above
        (3.01, 1.0, True),
        (1.0, 5.01, True),
        (0.5, 0.5, False),
    ],
)
def test_liver_hold(bilirubin, transaminases, hold):
    assert liver_hold_needed(bilirubin, transaminases) is hold


@pytest.mark.parametrize(
    ("bilirubin", "transaminases", "resume"),
    [(1.49, 2.49, True), (1.5, 1.0, False), (1.0, 2.5, False), (0, 0, True)],
)
def test_liver_resume(bilirubin, transaminases, resume):
    assert liver_resume_allowed(bilirubin, transaminases) is resume


@pytest.mark.parametrize(("before", "after"), [(400, 300), (600, 400), (800, 600)])
def test_liver_resume_dose_is_one_level_lower(before, after):
    step = liver_resume_dose(before)
    assert step.dose_mg == after
    assert step.rule.id == "toxicity.liver_hold"
    assert step.rule.sources == ("S1", "S2")


@pytest.mark.parametrize(
    ("anc", "platelets", "hold"),
    [(1.0, 50, False), (0.99, 100, True), (2.0, 49.9, True), (0.5, 20, True)],
)
def test_blood_count_hold(anc, platelets, hold):
    assert blood_count_hold_needed(anc, platelets) is hold


@pytest.mark.parametrize(
    ("anc", "platelets", "resume"),
    [(1.5, 75, True), (1.49, 200, False), (3.0, 74.9, False)],
)
def test_blood_count_resume(anc, platelets, resume):
    assert blood_count_resume_allowed(anc, platelets) is resume


@pytest.mark.parametrize(
    ("start", "episode", "before", "dose", "status"),
    [
        (400, 1, 400, 400, "C"),  # first episode: the dose before the hold
        (400, 1, 300, 300, "C"),
        (400, 2, 400, 300, "UNCONFIRMED"),  # recurrence: 300 mg
        (800, 1, 800, 600, "DESIGN"),  # DFSP row applied to GIST
        (800, 2, 600, 400, "DESIGN"),
        (600, 1, 600, None, "C"),  # no label row: clinician
    ],
)
def test_blood_count_resume_dose(start, episode, before, dose, status):
    step = blood_count_resume_dose(start, episode, before)
    assert step.dose_mg == dose
    assert step.rule.status == status
    assert step.rule.sources


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), True, "1"])
def test_lab_values_are_checked(value):
    with pytest.raises(ValueError):
        liver_hold_needed(value, 1.0)
    with pytest.raises(ValueError):
        blood_count_hold_needed(1.0, value)


def test_blood_count_episode_is_checked():
    with pytest.raises(ValueError):
        blood_count_resume_dose(400, 0, 400)

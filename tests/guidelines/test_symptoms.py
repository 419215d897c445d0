"""Symptom catalogue, answer validation and clinician grades (guideline-facts §6.1, §6.2)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from backend.guidelines import (
    ATTRIBUTES,
    RECALL_PERIOD,
    SYMPTOMS,
    AnswerOption,
    CaseInvalid,
    Symptom,
    checked_answers,
    checked_clinician_grade,
    summary_level,
    symptom_catalogue,
)
from backend.guidelines import symptoms as catalogue
from backend.guidelines.rules import STATUSES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"

# symptom -> (attributes asked, PRO-CTCAE?, CTCAE term, highest CTCAE grade), facts §6.1/§6.2
EXPECTED = {
    "nausea": (("frequency", "severity"), True, "Nausea", 3),
    "vomiting": (("frequency", "severity"), True, "Vomiting", 5),
    "diarrhoea": (("frequency",), True, "Diarrhea", 5),
    "limb_swelling": (("frequency", "severity", "interference"), True, "Edema limbs", 3),
    "periorbital_swelling": (
        ("frequency", "severity", "interference"),
        False,
        "Periorbital edema",
        3,
    ),
    "fatigue": (("severity", "interference"), True, "Fatigue", 3),
    "rash": (("presence",), True, "Rash maculo-papular", 3),
    "muscle_cramps": (("frequency", "severity", "interference"), True, "Muscle cramp", 3),
    "other": (("severity",), False, None, None),
}

SCALE_WORDS = {
    "frequency": ["never", "rarely", "occasionally", "frequently", "almost constantly"],
    "severity": ["none", "mild", "moderate", "severe", "very severe"],
    "interference": ["not at all", "a little bit", "somewhat", "quite a bit", "very much"],
    "presence": ["no", "yes"],
}

# Phrases of NCI's own item text that our wording must not copy.
NCI_PHRASES = ("In the last 7 days", "how OFTEN", "SEVERITY of your", "INTERFERE with your usual")


def full_answers(symptom: str, score: int = 1) -> dict[str, int]:
    return dict.fromkeys(SYMPTOMS[symptom].attributes, score)


# ---- the catalogue -----------------------------------------------------------------------


def test_codes_are_fixed():
    assert list(SYMPTOMS) == list(EXPECTED)
    assert ATTRIBUTES == ("frequency", "severity", "interference", "presence")
    assert RECALL_PERIOD == "the last 7 days"


@pytest.mark.parametrize("code", list(EXPECTED))
def test_every_symptom_asks_the_expected_questions_on_the_right_scales(code):
    symptom = SYMPTOMS[code]
    attributes, is_pro, term, max_grade = EXPECTED[code]
    assert isinstance(symptom, Symptom)
    assert symptom.code == code
    assert symptom.attributes == attributes
    assert symptom.is_pro_ctcae is is_pro
    assert symptom.ctcae_term == term
    assert symptom.ctcae_max_grade == max_grade
    assert symptom.status in STATUSES
    assert symptom.sources and all(s in catalogue.SOURCES for s in symptom.sources)
    assert symptom.label and symptom.note
    for question in symptom.questions:
        assert question.attribute in ATTRIBUTES
        words = SCALE_WORDS[question.attribute]
        assert [o.label for o in question.options] == words
        assert [o.score for o in question.options] == list(range(len(words)))
        assert all(isinstance(o, AnswerOption) for o in question.options)
        assert RECALL_PERIOD in question.text
        assert not any(phrase in question.text for phrase in NCI_PHRASES), question.text


def test_presence_is_no_zero_yes_one():
    (question,) = SYMPTOMS["rash"].questions
    assert [(o.score, o.label) for o in question.options] == [(0, "no"), (1, "yes")]


def test_periorbital_swelling_is_labelled_not_pro_ctcae():
    symptom = SYMPTOMS["periorbital_swelling"]
    assert symptom.is_pro_ctcae is False
    assert symptom.pro_ctcae_term is None
    assert symptom.status == "DESIGN"
    assert "not part of the NCI PRO-CTCAE" in symptom.note
    entry = next(e for e in symptom_catalogue() if e["code"] == "periorbital_swelling")
    assert entry["is_pro_ctcae"] is False
    assert "not part of the NCI PRO-CTCAE" in entry["note"]


def test_other_is_custom_free_text_severity_only():
    symptom = SYMPTOMS["other"]
    assert symptom.is_pro_ctcae is False
    assert symptom.attributes == ("severity",)
    assert symptom.free_text_prompt
    assert "not part of the NCI PRO-CTCAE" in symptom.note


def test_catalogue_is_json_serialisable_and_complete():
    data = symptom_catalogue()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert [e["code"] for e in data] == list(EXPECTED)
    for entry in data:
        assert entry["recall_period"] == RECALL_PERIOD
        assert entry["questions"]
        for question in entry["questions"]:
            assert question["options"][0] == {"score": 0, "label": question["options"][0]["label"]}
    skip = {e["code"]: e["skip_others_when_zero"] for e in data}
    assert skip["nausea"] == "frequency"
    assert skip["fatigue"] is None  # severity first: every question is asked
    assert skip["diarrhoea"] is None and skip["rash"] is None and skip["other"] is None


def test_symptom_statuses_that_are_not_confirmed_are_in_the_docs():
    text = DOCS.read_text(encoding="utf-8")
    for symptom in SYMPTOMS.values():
        if symptom.status in ("UNCONFIRMED", "DESIGN"):
            assert f"`symptom.{symptom.code}`" in text, symptom.code


# ---- checked_answers ---------------------------------------------------------------------


@pytest.mark.parametrize("code", list(EXPECTED))
def test_valid_answers_come_back_as_scores(code):
    top = 1 if code == "rash" else 4
    answers = full_answers(code, top)
    assert checked_answers(code, answers) == answers
    assert list(checked_answers(code, answers)) == list(SYMPTOMS[code].attributes)


def test_never_makes_the_other_attributes_optional_and_zero():
    assert checked_answers("nausea", {"frequency": 0}) == {"frequency": 0, "severity": 0}
    assert checked_answers("limb_swelling", {"frequency": 0, "severity": None}) == {
        "frequency": 0,
        "severity": 0,
        "interference": 0,
    }
    assert checked_answers("nausea", {"frequency": 0, "severity": 0}) == {
        "frequency": 0,
        "severity": 0,
    }


def test_never_with_a_positive_later_answer_is_refused():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {"frequency": 0, "severity": 3})
    assert error.value.field == "answers.severity"


def test_rarely_keeps_the_other_attributes_required():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {"frequency": 1})
    assert error.value.field == "answers.severity"


def test_fatigue_asks_interference_even_when_severity_is_none():
    """The facts page describes skipping only after frequency "never" or presence "no"."""
    with pytest.raises(CaseInvalid) as error:
        checked_answers("fatigue", {"severity": 0})
    assert error.value.field == "answers.interference"
    assert checked_answers("fatigue", {"severity": 0, "interference": 0}) == {
        "severity": 0,
        "interference": 0,
    }


def test_unknown_symptom():
    for code in ("headache", "", None, 3, "Nausea"):
        with pytest.raises(CaseInvalid) as error:
            checked_answers(code, {"severity": 1})
        assert error.value.field == "symptom"


def test_missing_attribute():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {"frequency": 2})
    assert error.value.field == "answers.severity"
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {})
    assert error.value.field == "answers.frequency"


@pytest.mark.parametrize(
    ("code", "extra"),
    [
        ("nausea", "interference"),
        ("diarrhoea", "severity"),
        ("rash", "severity"),
        ("fatigue", "frequency"),
        ("other", "presence"),
    ],
)
def test_attribute_not_asked(code, extra):
    answers = {**full_answers(code), extra: 1}
    with pytest.raises(CaseInvalid) as error:
        checked_answers(code, answers)
    assert error.value.field == f"answers.{extra}"


def test_unknown_key_is_refused_with_its_name():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {**full_answers("nausea"), "colour": 1})
    assert error.value.field == "answers.colour"


@pytest.mark.parametrize("bad", [5, -1, "3", True, False, 2.5, 3.0, [3], {"score": 3}])
@pytest.mark.parametrize("attribute", ["frequency", "severity"])
def test_bad_scores(attribute, bad):
    answers = {**full_answers("nausea"), attribute: bad}
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", answers)
    assert error.value.field == f"answers.{attribute}"
    assert error.value.reason


@pytest.mark.parametrize("bad", [2, -1, True, "yes", 1.0])
def test_bad_presence(bad):
    with pytest.raises(CaseInvalid) as error:
        checked_answers("rash", {"presence": bad})
    assert error.value.field == "answers.presence"


def test_answers_must_be_a_mapping():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", [("frequency", 1)])
    assert error.value.field == "answers"


def test_case_invalid_survives_pickling():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {"frequency": 9, "severity": 1})
    copy = pickle.loads(pickle.dumps(error.value))  # noqa: S301 - our own object
    assert (copy.field, copy.reason) == (error.value.field, error.value.reason)


# ---- summary level -------------------------------------------------------------------------


def test_summary_level_is_the_highest_score():
    assert summary_level({"frequency": 1, "severity": 3}) == 3
    assert summary_level({"frequency": 4, "severity": 0, "interference": 2}) == 4
    assert summary_level({"frequency": 0, "severity": 0}) == 0


def test_presence_counts_as_one():
    assert summary_level({"presence": 1}) == 1
    assert summary_level({"presence": 0}) == 0


@pytest.mark.parametrize(
    "scores", [{}, {"severity": 5}, {"presence": 2}, {"severity": True}, {"colour": 1}, [1]]
)
def test_summary_level_refuses_bad_scores(scores):
    with pytest.raises(ValueError):
        summary_level(scores)


# ---- clinician grade -----------------------------------------------------------------------


@pytest.mark.parametrize("code", list(EXPECTED))
def test_clinician_grade_up_to_the_terms_maximum(code):
    top = EXPECTED[code][3] or 5
    for grade in range(1, top + 1):
        assert checked_clinician_grade(code, grade) == grade
    for grade in range(top + 1, 6):
        with pytest.raises(CaseInvalid) as error:
            checked_clinician_grade(code, grade)
        assert error.value.field == "grade"


def test_nausea_has_no_grade_4():
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("nausea", 4)
    assert error.value.field == "grade"
    assert "highest grade is 3" in error.value.reason
    assert checked_clinician_grade("vomiting", 4) == 4


@pytest.mark.parametrize("bad", [0, 6, -1, True, "3", 3.0, None])
def test_clinician_grade_refuses(bad):
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("vomiting", bad)
    assert error.value.field == "grade"


def test_clinician_grade_unknown_symptom():
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("headache", 2)
    assert error.value.field == "symptom"

"""Symptom catalogue, answer validation and clinician grades (clinical facts §6.1, §6.2).

Composite grades: test_composite_grade.py; red flags: test_red_flags.py.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from backend.guidelines import (
    ATTRIBUTES,
    RECALL_PERIOD,
    RED_FLAGS,
    SYMPTOMS,
    AnswerOption,
    CaseInvalid,
    Symptom,
    checked_answers,
    checked_clinician_grade,
    checked_ctcae_term,
    summary_level,
    symptom_catalogue,
)
from backend.guidelines import symptoms as catalogue
from backend.guidelines.rules import STATUSES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guidelines.md"

RED_FLAG_CODES = (
    "black_stools",
    "vomiting_blood",
    "severe_abdominal_pain",
    "breathlessness",
    "chest_pain",
    "jaundice",
    "fever",
    "bleeding_bruising",
    "blistering_rash",
)

# symptom -> (attributes asked, PRO-CTCAE?, usual CTCAE term, its grades, highest grade of any
# of its terms), facts §6.1/§6.2. Red flags first, in the catalogue's order.
EXPECTED = {
    "black_stools": (("presence",), False, "Lower gastrointestinal hemorrhage", (1, 5), 5),
    "vomiting_blood": (("presence",), False, "Upper gastrointestinal hemorrhage", (1, 5), 5),
    "severe_abdominal_pain": (("presence",), False, "Abdominal pain", (1, 3), 5),
    "breathlessness": (("presence",), False, "Dyspnea", (1, 5), 5),
    "chest_pain": (("presence",), False, "Chest pain - cardiac", (1, 3), 3),
    "jaundice": (("presence",), False, "Blood bilirubin increased", (1, 4), 4),
    "fever": (("presence",), False, "Fever", (1, 5), 5),
    "bleeding_bruising": (("presence",), False, None, (1, 5), None),
    "blistering_rash": (("presence",), False, "Rash maculo-papular", (1, 3), 5),
    "nausea": (("frequency", "severity"), True, "Nausea", (1, 3), 3),
    "vomiting": (("frequency", "severity"), True, "Vomiting", (1, 5), 5),
    "diarrhoea": (("frequency",), True, "Diarrhea", (1, 5), 5),
    "limb_swelling": (("frequency", "severity", "interference"), True, "Edema limbs", (1, 3), 3),
    "periorbital_swelling": (
        ("frequency", "severity", "interference"),
        False,
        "Periorbital edema",
        (1, 3),
        3,
    ),
    "fatigue": (("severity", "interference"), True, "Fatigue", (1, 3), 3),
    "rash": (("presence",), True, "Rash maculo-papular", (1, 3), 5),
    "muscle_cramps": (
        ("frequency", "severity", "interference"),
        True,
        "Muscle cramp",
        (1, 3),
        3,
    ),
    "other": (("severity",), False, None, (1, 5), None),
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


def test_codes_are_fixed_red_flags_first():
    assert list(SYMPTOMS) == list(EXPECTED)
    assert RED_FLAGS == RED_FLAG_CODES
    assert list(SYMPTOMS)[: len(RED_FLAGS)] == list(RED_FLAGS)
    assert ATTRIBUTES == ("frequency", "severity", "interference", "presence")
    assert RECALL_PERIOD == "the last 7 days"


@pytest.mark.parametrize("code", list(EXPECTED))
def test_every_symptom_asks_the_expected_questions_on_the_right_scales(code):
    symptom = SYMPTOMS[code]
    attributes, is_pro, term, (low, high), max_grade = EXPECTED[code]
    assert isinstance(symptom, Symptom)
    assert symptom.code == code
    assert symptom.attributes == attributes
    assert symptom.is_pro_ctcae is is_pro
    assert symptom.ctcae_term == term
    assert symptom.ctcae_max_grade == max_grade
    if term is not None:
        usual = symptom.term(None)
        assert (usual.name, usual.lowest_grade, usual.highest_grade) == (term, low, high)
    assert symptom.red_flag is (code in RED_FLAG_CODES)
    assert symptom.status in STATUSES
    assert symptom.sources and all(s in catalogue.SOURCES for s in symptom.sources)
    assert symptom.label and symptom.note
    for question in symptom.questions:
        assert question.attribute in ATTRIBUTES
        words = SCALE_WORDS[question.attribute]
        assert [o.label for o in question.options] == words
        assert [o.score for o in question.options] == list(range(len(words)))
        assert all(isinstance(o, AnswerOption) for o in question.options)
        if not symptom.red_flag:  # red flags ask "now, or since your last report"
            assert RECALL_PERIOD in question.text
        assert not any(phrase in question.text for phrase in NCI_PHRASES), question.text


@pytest.mark.parametrize("code", list(EXPECTED))
def test_every_ctcae_term_has_a_sane_grade_range(code):
    for term in SYMPTOMS[code].ctcae_terms:
        assert term.name
        assert 1 <= term.lowest_grade <= term.highest_grade <= 5, term


def test_skin_terms_are_graded_as_ctcae_v5_defines_them():
    """Maculo-papular 1-3, erythema multiforme 1-5, SJS 3-5, TEN 4-5 (S16)."""
    for code in ("rash", "blistering_rash"):
        terms = {
            t.name: (t.lowest_grade, t.highest_grade, t.urgent) for t in SYMPTOMS[code].ctcae_terms
        }
        assert terms == {
            "Rash maculo-papular": (1, 3, False),
            "Erythema multiforme": (1, 5, False),
            "Stevens-Johnson syndrome": (3, 5, True),
            "Toxic epidermal necrolysis": (4, 5, True),
        }


def test_presence_is_no_zero_yes_one():
    (question,) = SYMPTOMS["rash"].questions
    assert [(o.score, o.label) for o in question.options] == [(0, "no"), (1, "yes")]
    assert question.is_yes_no


def test_rash_has_follow_up_questions_only_after_yes():
    rash = SYMPTOMS["rash"]
    assert rash.follow_up_attributes == ("body_area", "blisters", "mouth_eye_sores", "fever")
    assert [o.score for o in rash.question("body_area").options] == [0, 1, 2]
    assert "30%" in rash.question("body_area").option_label(2)
    for attribute in ("blisters", "mouth_eye_sores", "fever"):
        assert rash.question(attribute).is_yes_no
    assert "38" in rash.question("fever").text
    entry = next(e for e in symptom_catalogue() if e["code"] == "rash")
    assert [q["attribute"] for q in entry["follow_up_questions"]] == list(rash.follow_up_attributes)
    assert all(q["asked_when"] == {"presence": 1} for q in entry["follow_up_questions"])
    assert entry["has_composite_grade"] is False


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
        code = entry["code"]
        symptom = SYMPTOMS[code]
        assert entry["red_flag"] is (code in RED_FLAG_CODES)
        assert entry["instruction_level"] == symptom.instruction_level
        assert (entry["instruction_level"] is not None) is entry["red_flag"]
        assert entry["recall_period"] == RECALL_PERIOD
        assert entry["questions"]
        for question in entry["questions"]:
            assert question["options"][0] == {"score": 0, "label": question["options"][0]["label"]}
        assert entry["has_composite_grade"] is (EXPECTED[code][0] != ("presence",))
        assert entry["ctcae_term"] == EXPECTED[code][2]
        assert entry["ctcae_max_grade"] == EXPECTED[code][4]
        assert entry["ctcae_terms"] == [
            {"name": t.name, "lowest_grade": t.lowest_grade, "highest_grade": t.highest_grade}
            for t in symptom.ctcae_terms
        ]
        if code != "rash":
            assert entry["follow_up_questions"] == []
    skip = {e["code"]: e["skip_others_when_zero"] for e in data}
    assert skip["nausea"] == "frequency"
    assert skip["limb_swelling"] == "frequency"
    assert skip["fatigue"] == "severity"  # severity-led: "none" ends the item (S18)
    assert skip["diarrhoea"] is None and skip["rash"] is None and skip["other"] is None
    assert all(skip[code] is None for code in RED_FLAG_CODES)


def test_symptom_statuses_that_are_not_confirmed_are_in_the_docs():
    text = DOCS.read_text(encoding="utf-8")
    for symptom in SYMPTOMS.values():
        if symptom.status in ("UNCONFIRMED", "DESIGN"):
            assert f"`symptom.{symptom.code}`" in text, symptom.code


# ---- checked_answers ---------------------------------------------------------------------


@pytest.mark.parametrize("code", list(EXPECTED))
def test_valid_answers_come_back_as_scores(code):
    top = 1 if EXPECTED[code][0] == ("presence",) else 4
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
    with pytest.raises(CaseInvalid) as error:
        checked_answers("limb_swelling", {"frequency": 0, "interference": 1})
    assert error.value.field == "answers.interference"


def test_rarely_keeps_the_other_attributes_required():
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", {"frequency": 1})
    assert error.value.field == "answers.severity"


def test_fatigue_skips_interference_after_severity_none():
    """Severity-led items end at "none" (§6.4: "likewise severity 0 for severity-led items")."""
    assert checked_answers("fatigue", {"severity": 0}) == {"severity": 0, "interference": 0}
    assert checked_answers("fatigue", {"severity": 0, "interference": 0}) == {
        "severity": 0,
        "interference": 0,
    }
    with pytest.raises(CaseInvalid) as error:
        checked_answers("fatigue", {"severity": 0, "interference": 2})
    assert error.value.field == "answers.interference"
    with pytest.raises(CaseInvalid) as error:
        checked_answers("fatigue", {"severity": 1})
    assert error.value.field == "answers.interference"


def test_single_question_items_have_nothing_to_skip():
    assert checked_answers("other", {"severity": 0}) == {"severity": 0}
    assert checked_answers("diarrhoea", {"frequency": 0}) == {"frequency": 0}
    assert checked_answers("rash", {"presence": 0}) == {"presence": 0}


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
    with pytest.raises(CaseInvalid) as error:
        checked_answers("black_stools", {})
    assert error.value.field == "answers.presence"


@pytest.mark.parametrize(
    ("code", "extra"),
    [
        ("nausea", "interference"),
        ("diarrhoea", "severity"),
        ("rash", "severity"),
        ("fatigue", "frequency"),
        ("other", "presence"),
        ("nausea", "blisters"),  # rash follow-ups belong to the rash only
        ("black_stools", "body_area"),
        ("fever", "severity"),
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
    """Booleans are yes/no answers: refused on a 0-4 scale."""
    answers = {**full_answers("nausea"), attribute: bad}
    with pytest.raises(CaseInvalid) as error:
        checked_answers("nausea", answers)
    assert error.value.field == f"answers.{attribute}"
    assert error.value.reason


@pytest.mark.parametrize("code", ["rash", *RED_FLAG_CODES])
def test_presence_accepts_true_false_and_one_zero(code):
    assert checked_answers(code, {"presence": True}) == {"presence": 1}
    assert checked_answers(code, {"presence": False}) == {"presence": 0}
    assert checked_answers(code, {"presence": 1}) == {"presence": 1}
    assert checked_answers(code, {"presence": 0}) == {"presence": 0}
    assert type(checked_answers(code, {"presence": True})["presence"]) is int


@pytest.mark.parametrize("bad", [2, -1, "yes", "true", 1.0, [1]])
@pytest.mark.parametrize("code", ["rash", "fever"])
def test_bad_presence(code, bad):
    with pytest.raises(CaseInvalid) as error:
        checked_answers(code, {"presence": bad})
    assert error.value.field == "answers.presence"


def test_rash_follow_ups_after_yes():
    answers = {
        "presence": True,
        "body_area": 2,
        "blisters": False,
        "mouth_eye_sores": True,
        "fever": 0,
    }
    assert checked_answers("rash", answers) == {
        "presence": 1,
        "body_area": 2,
        "blisters": 0,
        "mouth_eye_sores": 1,
        "fever": 0,
    }
    # optional after a "yes": only those answered come back
    assert checked_answers("rash", {"presence": True, "blisters": True}) == {
        "presence": 1,
        "blisters": 1,
    }


@pytest.mark.parametrize("follow_up", ["body_area", "blisters", "mouth_eye_sores", "fever"])
def test_rash_follow_up_yes_after_no_is_refused(follow_up):
    with pytest.raises(CaseInvalid) as error:
        checked_answers("rash", {"presence": False, follow_up: 1})
    assert error.value.field == f"answers.{follow_up}"


@pytest.mark.parametrize(
    ("follow_up", "bad"),
    [
        ("body_area", 3),
        ("body_area", -1),
        ("body_area", True),
        ("body_area", "2"),
        ("blisters", 2),
        ("blisters", "yes"),
        ("fever", 1.0),
    ],
)
def test_rash_follow_up_bad_values(follow_up, bad):
    with pytest.raises(CaseInvalid) as error:
        checked_answers("rash", {"presence": True, follow_up: bad})
    assert error.value.field == f"answers.{follow_up}"


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


def test_rash_follow_ups_do_not_count_in_the_summary_level():
    assert summary_level({"presence": 1, "body_area": 2, "blisters": 1}) == 1


@pytest.mark.parametrize(
    "scores",
    [
        {},
        {"severity": 5},
        {"presence": 2},
        {"severity": True},
        {"colour": 1},
        [1],
        {"body_area": 2},
    ],
)
def test_summary_level_refuses_bad_scores(scores):
    with pytest.raises(ValueError):
        summary_level(scores)


# ---- clinician grade -----------------------------------------------------------------------


# Without a term named, a grade any of the symptom's terms defines is accepted (a rash may be
# graded 4 or 5 as erythema multiforme, SJS or TEN).
ANY_TERM_RANGE = {
    **{code: expected[3] for code, expected in EXPECTED.items()},
    "severe_abdominal_pain": (1, 5),  # abdominal pain 1-3, intra-abdominal hemorrhage 2-5
    "blistering_rash": (1, 5),
    "rash": (1, 5),
}


@pytest.mark.parametrize("code", list(EXPECTED))
def test_clinician_grade_within_the_range_its_terms_define(code):
    low, high = ANY_TERM_RANGE[code]
    for grade in range(1, 6):
        if low <= grade <= high:
            assert checked_clinician_grade(code, grade) == grade
        else:
            with pytest.raises(CaseInvalid) as error:
                checked_clinician_grade(code, grade)
            assert error.value.field == "grade"


@pytest.mark.parametrize("code", [c for c in EXPECTED if EXPECTED[c][2] is not None])
def test_clinician_grade_under_the_usual_term_named(code):
    term, (low, high) = EXPECTED[code][2], EXPECTED[code][3]
    for grade in range(1, 6):
        if low <= grade <= high:
            assert checked_clinician_grade(code, grade, term) == grade
        else:
            with pytest.raises(CaseInvalid) as error:
                checked_clinician_grade(code, grade, term)
            assert error.value.field == "grade"


def test_nausea_has_no_grade_4():
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("nausea", 4)
    assert error.value.field == "grade"
    assert "has no grade 4" in error.value.reason
    assert "1 to 3" in error.value.reason
    assert checked_clinician_grade("vomiting", 4) == 4


@pytest.mark.parametrize(
    ("term", "grade", "ok"),
    [
        ("Rash maculo-papular", 3, True),
        ("Rash maculo-papular", 4, False),
        ("Erythema multiforme", 1, True),
        ("Erythema multiforme", 5, True),
        ("Stevens-Johnson syndrome", 2, False),
        ("Stevens-Johnson syndrome", 3, True),
        ("Stevens-Johnson syndrome", 5, True),
        ("Toxic epidermal necrolysis", 3, False),
        ("Toxic epidermal necrolysis", 4, True),
        ("toxic epidermal necrolysis", 5, True),  # names match whatever the case
    ],
)
def test_rash_is_graded_under_its_skin_terms(term, grade, ok):
    if ok:
        assert checked_clinician_grade("rash", grade, term) == grade
    else:
        with pytest.raises(CaseInvalid) as error:
            checked_clinician_grade("rash", grade, term)
        assert error.value.field == "grade"


def test_ctcae_term_names():
    assert checked_ctcae_term("rash") == "Rash maculo-papular"
    assert checked_ctcae_term("rash", None, 3) == "Rash maculo-papular"
    assert checked_ctcae_term("rash", None, 4) == ""  # graded above the usual term, none named
    assert checked_ctcae_term("rash", " stevens-johnson syndrome ") == "Stevens-Johnson syndrome"
    assert checked_ctcae_term("other", "Headache") == "Headache"
    assert checked_ctcae_term("other") == ""
    with pytest.raises(CaseInvalid) as error:
        checked_ctcae_term("rash", "Headache")
    assert error.value.field == "ctcae_term"
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("nausea", 2, "Vomiting")
    assert error.value.field == "ctcae_term"
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("nausea", 2, 3)
    assert error.value.field == "ctcae_term"


@pytest.mark.parametrize("bad", [0, 6, -1, True, "3", 3.0, None])
def test_clinician_grade_refuses(bad):
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("vomiting", bad)
    assert error.value.field == "grade"


def test_clinician_grade_unknown_symptom():
    with pytest.raises(CaseInvalid) as error:
        checked_clinician_grade("headache", 2)
    assert error.value.field == "symptom"

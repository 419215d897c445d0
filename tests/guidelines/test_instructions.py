"""What the patient is told after a report (issue 16): emergency, call now, contact soon,
self-care; English and Spanish; the care team's phone and the local emergency number."""

from __future__ import annotations

from typing import Any

import pytest

from backend.guidelines import SYMPTOMS, CaseInvalid, PatientInstruction, patient_instruction
from backend.guidelines.instructions import instruction_level

LANGUAGES = ("en", "es")
PHONE = "+34 911 222 333"
EMERGENCY = "112"
RED_FLAGS = tuple(code for code, item in SYMPTOMS.items() if item.red_flag)
ORDINARY = tuple(code for code, item in SYMPTOMS.items() if not item.red_flag)

# level -> keyword arguments that lead to it
CASES: dict[str, dict[str, Any]] = {
    "emergency": {"symptom": "black_stools", "red_flags": ["black_stools"]},
    "call_now": {"symptom": "jaundice", "red_flags": ["jaundice"]},
    "contact_soon": {"symptom": "nausea", "red_flags": [], "care_team_alerted": True},
    "self_care": {"symptom": "nausea", "red_flags": [], "care_team_alerted": False},
}


def instruct(level: str, language: str, phone: str = PHONE, emergency: str = EMERGENCY):
    kwargs = {"care_team_alerted": True, **CASES[level]}
    return patient_instruction(**kwargs, language=language, phone=phone, emergency_number=emergency)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("level", list(CASES))
def test_each_level_names_the_phone_and_the_emergency_number(level, language):
    instruction = instruct(level, language)
    assert isinstance(instruction, PatientInstruction)
    assert instruction.level == level
    assert PHONE in instruction.text
    if level != "self_care":  # see test_self_care_names_the_emergency_number
        assert EMERGENCY in instruction.text
    assert instruction.phone == PHONE
    assert instruction.emergency_number == EMERGENCY
    assert instruction.as_dict() == {
        "level": level,
        "text": instruction.text,
        "phone": PHONE,
        "emergency_number": EMERGENCY,
    }
    assert "{" not in instruction.text and "}" not in instruction.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("level", ["emergency", "call_now", "contact_soon"])
def test_urgent_levels_name_the_emergency_number(level, language):
    assert EMERGENCY in instruct(level, language).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_self_care_names_the_emergency_number(language):
    """Every instruction screen shows the local emergency number (issue 16)."""
    assert EMERGENCY in instruct("self_care", language).text


@pytest.mark.parametrize("phone", ["", "   "])
@pytest.mark.parametrize("level", list(CASES))
def test_no_phone_leaves_no_dangling_words_in_english(level, phone):
    text = instruct(level, "en", phone=phone).text
    assert " on " not in text
    assert not text.rstrip(" .").endswith(" on")
    assert "  " not in text and " ." not in text and " ," not in text
    assert instruct(level, "en", phone=phone).phone == ""
    # exactly the phone clause is left out
    assert instruct(level, "en").text.replace(f" on {PHONE}", "") == text


@pytest.mark.parametrize("phone", ["", "   "])
@pytest.mark.parametrize("level", list(CASES))
def test_no_phone_leaves_no_dangling_words_in_spanish(level, phone):
    text = instruct(level, "es", phone=phone).text
    assert " al ." not in text and " al ," not in text
    assert not text.rstrip(" .").endswith(" al")
    assert "  " not in text and " ." not in text and " ," not in text
    assert instruct(level, "es").text.replace(f" al {PHONE}", "") == text


@pytest.mark.parametrize("level", list(CASES))
def test_languages_differ_and_an_unknown_language_is_english(level):
    english = instruct(level, "en").text
    assert instruct(level, "es").text != english
    assert instruct(level, "fr").text == english


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_reports_are_contact_soon_or_self_care(code):
    for alerted, level in ((True, "contact_soon"), (False, "self_care")):
        instruction = patient_instruction(
            symptom=code,
            red_flags=[],
            care_team_alerted=alerted,
            language="en",
            phone=PHONE,
            emergency_number=EMERGENCY,
        )
        assert instruction.level == level


@pytest.mark.parametrize("code", RED_FLAGS)
@pytest.mark.parametrize("alerted", [True, False])
def test_a_red_flag_is_never_self_care(code, alerted):
    level = instruction_level(red_flags=[code], care_team_alerted=alerted)
    assert level == SYMPTOMS[code].instruction_level
    assert level in ("emergency", "call_now")


def test_the_most_urgent_red_flag_wins():
    assert instruction_level(red_flags=["jaundice", "chest_pain"], care_team_alerted=True) == (
        "emergency"
    )
    assert instruction_level(red_flags=["fever", "jaundice"], care_team_alerted=True) == (
        "call_now"
    )


def test_a_rash_follow_up_red_flag_sets_the_level():
    instruction = patient_instruction(
        symptom="rash",
        red_flags=["blistering_rash"],
        care_team_alerted=True,
        language="en",
        phone=PHONE,
        emergency_number=EMERGENCY,
    )
    assert instruction.level == "call_now"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ("meal", "glass of water")), ("es", ("comida", "vaso grande de agua"))],
)
@pytest.mark.parametrize("code", ["nausea", "vomiting"])
def test_self_care_for_nausea_mentions_the_meal_and_the_water(code, language, words):
    text = patient_instruction(
        symptom=code,
        red_flags=[],
        care_team_alerted=False,
        language=language,
        phone=PHONE,
        emergency_number=EMERGENCY,
    ).text
    for word in words:
        assert word in text


@pytest.mark.parametrize("code", ["fatigue", "rash", "diarrhoea"])
def test_the_meal_tip_is_for_nausea_and_vomiting_only(code):
    text = patient_instruction(
        symptom=code,
        red_flags=[],
        care_team_alerted=False,
        language="en",
        phone=PHONE,
        emergency_number=EMERGENCY,
    ).text
    assert "meal" not in text


def test_the_meal_tip_is_not_given_when_the_care_team_was_alerted():
    text = instruct("contact_soon", "en").text
    assert "meal" not in text


def test_self_care_says_keep_taking_imatinib():
    assert "Keep taking imatinib as prescribed" in instruct("self_care", "en").text
    for level in ("emergency", "call_now", "contact_soon"):
        assert "Keep taking" not in instruct(level, "en").text


@pytest.mark.parametrize(
    "kwargs",
    [{"symptom": "headache", "red_flags": []}, {"symptom": "nausea", "red_flags": ["headache"]}],
)
def test_unknown_codes_are_refused(kwargs):
    with pytest.raises(CaseInvalid) as error:
        patient_instruction(
            **kwargs,
            care_team_alerted=False,
            language="en",
            phone=PHONE,
            emergency_number=EMERGENCY,
        )
    assert error.value.field == "symptom"

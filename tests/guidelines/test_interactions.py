"""The interaction list (issue 17): matching, synonyms, flags, the label's advice, unknown
names kept and shown, never refused."""

from __future__ import annotations

import pytest

from backend.guidelines import recommend, rules
from backend.guidelines.interactions import (
    INTERACTANTS,
    KIND_RULES,
    KINDS,
    find_interactions,
    normalise,
)

from .helpers import assert_well_formed, case


def flags_for(*names: str) -> list[str]:
    result = recommend(case(comedications=list(names)))
    assert_well_formed(result, "2025-03-15")
    return [f for f in result["flags"] if f.startswith(rules.INTERACTION_FLAG_PREFIX)]


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("ketoconazole", "ketoconazole"),
        ("KETOCONAZOLE", "ketoconazole"),
        ("Itraconazole 200 mg bd", "itraconazole"),
        ("posaconazole", "posaconazole"),
        ("Voriconazole", "voriconazole"),
        ("clarithromycin", "clarithromycin"),
        ("telithromycin", "telithromycin"),
        ("ritonavir", "ritonavir"),
        ("Paxlovid", "ritonavir"),
        ("cobicistat", "cobicistat"),
        ("nefazodone", "nefazodone"),
        ("rifampicin", "rifampicin"),
        ("Rifampin", "rifampicin"),
        ("carbamazepine", "carbamazepine"),
        ("Tegretol", "carbamazepine"),
        ("phenytoin", "phenytoin"),
        ("phenobarbital", "phenobarbital"),
        ("phenobarbitone", "phenobarbital"),
        ("St John's wort", "st_johns_wort"),
        ("St. John\u2019s Wort", "st_johns_wort"),
        ("hypericum perforatum", "st_johns_wort"),
        ("warfarin", "warfarin"),
        ("Coumadin 5mg", "warfarin"),
        ("grapefruit juice", "grapefruit"),
        ("Grapefruit", "grapefruit"),
        ("ciclosporin", "ciclosporin"),
        ("cyclosporine", "ciclosporin"),
    ],
)
def test_each_listed_name_flags_its_canonical_name(given, canonical):
    assert flags_for(given) == [f"cyp3a4_interaction:{canonical}"]


def test_one_entry_can_name_two_drugs_and_each_drug_is_flagged_once():
    assert sorted(flags_for("lopinavir/ritonavir", "Norvir")) == [
        "cyp3a4_interaction:lopinavir",
        "cyp3a4_interaction:ritonavir",
    ]


@pytest.mark.parametrize("name", ["dihydroergotamine", "ritonavirx", "prifampin", "grape"])
def test_whole_words_only(name):
    found = find_interactions([name])
    assert [item.name for _given, item in found.matches] != ["ergotamine"]
    if name != "dihydroergotamine":
        assert found.matches == () and found.not_recognised == (name,)


def test_unknown_names_are_kept_and_shown():
    result = recommend(case(comedications=["Ketoconazole", "Omeprazole 20 mg", "herbal tea"]))
    assert "cyp3a4_interaction:ketoconazole" in result["flags"]
    assert "comedications_not_recognised" in result["flags"]
    shown = next(r for r in result["reasons"] if r["rule"] == "interaction.not_recognised")
    assert "Omeprazole 20 mg" in shown["text"] and "herbal tea" in shown["text"]
    assert "Ketoconazole" not in shown["text"]


def test_no_comedications_no_interaction_flags():
    for value in ([], None):
        result = recommend(case(comedications=value))
        assert not [f for f in result["flags"] if f.startswith("cyp3a4_interaction:")]
        assert "comedications_not_recognised" not in result["flags"]


@pytest.mark.parametrize(
    ("given", "rule_id", "words"),
    [
        ("ketoconazole", "interaction.strong_cyp3a4_inhibitor", "strong CYP3A4 inhibitor"),
        ("rifampin", "interaction.strong_cyp3a4_inducer", "at least 50%"),
        ("warfarin", "interaction.warfarin", "low-molecular-weight"),
        ("grapefruit", "interaction.grapefruit", "avoid"),
        ("simvastatin", "interaction.cyp3a4_substrate", "narrow therapeutic window"),
    ],
)
def test_each_match_gives_the_labels_advice_and_its_status(given, rule_id, words):
    result = recommend(case(comedications=[given]))
    advice = next(r for r in result["reasons"] if r["rule"] == rule_id)
    assert words in advice["text"] and advice["text"].startswith(given)
    assert advice["status"] == rules.UNCONFIRMED
    assert "S1" in advice["sources"]
    assert rules.UNCONFIRMED_FLAG_PREFIX + rule_id in result["flags"]
    assert result["dose_mg_per_day"] == 400  # the clinician decides any change


def test_the_list_is_well_formed():
    assert set(KIND_RULES) == set(KINDS)
    for rule_id in KIND_RULES.values():
        assert rule_id in rules.RULES
    spellings: dict[str, str] = {}
    for item in INTERACTANTS.values():
        assert item.kind in KINDS and item.sources
        assert set(item.sources) <= set(rules.SOURCES)
        for spelling in (item.name, *item.synonyms):
            key = normalise(spelling.replace("_", " "))
            assert spellings.setdefault(key, item.name) == item.name, spelling


@pytest.mark.parametrize(
    "name",
    [
        "ketoconazole",
        "itraconazole",
        "clarithromycin",
        "rifampicin",
        "carbamazepine",
        "phenytoin",
        "phenobarbital",
        "st_johns_wort",
        "warfarin",
        "grapefruit",
    ],
)
def test_the_issue_names_are_on_the_list(name):
    assert name in INTERACTANTS

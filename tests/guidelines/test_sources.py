"""One source registry with primary references, statuses and flags in plain words, and a fact
base inside the repository (issue 16 point 8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend import guidelines
from backend.guidelines import flag_words, rules, status_words
from backend.guidelines.recommendation import flags_in_words, reason_words

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "docs" / "clinical-facts.md"
# Words that must never be in a citation or a rule text a nurse reads.
# (the old page's names are spelt in two halves so that a grep for them finds only real uses)
FORBIDDEN = ("SEED", "AI-written", "droracle", "mirror", "facts" + " page", "guideline" + "-facts")


def every_rule_table() -> Iterator[tuple[str, dict[str, rules.Rule]]]:
    """Every table of rules in the guideline package (rules, and the symptom, alert and advice
    modules when they define one)."""
    import importlib

    for name in ("rules", "symptoms", "alert_rules", "advice"):
        module = importlib.import_module(f"backend.guidelines.{name}")
        for attribute, value in vars(module).items():
            if (
                isinstance(value, dict)
                and value
                and all(isinstance(v, rules.Rule) for v in value.values())
            ):
                yield f"{name}.{attribute}", value


def every_rule() -> list[rules.Rule]:
    return [rule for _name, table in every_rule_table() for rule in table.values()]


# ---- the registry ----------------------------------------------------------------------------


def test_sources_name_primary_references_only() -> None:
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in rules.SOURCES.items())
    for code, citation in rules.SOURCES.items():
        assert not code.startswith("SEED"), code
        # "Summary of Product Characteristics" is the EU label's name, not a summary
        words = citation.replace("Summary of Product Characteristics", "SmPC").lower()
        for word in (*FORBIDDEN, "secondary", "summary", "summaries"):
            assert word.lower() not in words, (code, citation)
        assert not re.search(r"\bAI\b", citation), (code, citation)
        assert "(=" not in citation, (code, citation)


def test_the_named_primaries() -> None:
    s26 = rules.SOURCES["S26"]
    assert "ESMO" in s26 and "Ann Oncol 2022;33(1):20-33" in s26 and "NCCN" in s26
    assert "British Sarcoma Group" in rules.SOURCES["S23"] and "2025" in rules.SOURCES["S23"]
    assert "Novartis" in rules.SOURCES["S3"]
    assert "Prescribing Information" in rules.SOURCES["S36"]
    assert "Warnings and precautions" in rules.SOURCES["S36"]
    assert rules.SOURCES["S37"].endswith("Cancer 2010;116:1847-58")
    assert "CTCAE" in rules.SOURCES["S16"] and "v5.0" in rules.SOURCES["S16"]


@pytest.mark.parametrize(
    "code", ["S16", "S17", "S18", "S19", "S20", "S21", "S27", "S28", "S30", "S32"]
)
def test_the_symptom_sources_are_in_the_one_registry(code: str) -> None:
    assert code in rules.SOURCES


def test_source_notes_say_how_sources_were_read_for_known_sources_only() -> None:
    assert set(rules.SOURCE_NOTES) <= set(rules.SOURCES)
    for code in ("S1", "S2", "S23", "S26", "S36"):
        assert "secondary" in rules.SOURCE_NOTES[code], code
    for note in rules.SOURCE_NOTES.values():
        assert "SEED" not in note and "droracle" not in note


def test_rule_texts_hold_no_internal_names() -> None:
    rule_list = every_rule()
    assert len(rule_list) >= len(rules.RULES) + len(rules.TOXICITY_RULES)
    for rule in rule_list:
        for word in FORBIDDEN:
            assert word not in rule.text, (rule.id, word)
        assert not rule.text.rstrip().endswith("]"), rule.id


def test_every_cited_source_is_in_the_registry() -> None:
    for name, table in every_rule_table():
        for rule in table.values():
            missing = [code for code in rule.sources if code not in rules.SOURCES]
            assert not missing, (name, rule.id, missing)
    for row in rules.MODIFIED_NIH_ROWS:
        assert set(row.sources) <= set(rules.SOURCES), row
    from backend.guidelines.symptoms import SYMPTOMS

    for symptom in SYMPTOMS.values():
        sources = getattr(symptom, "sources", ())
        assert set(sources) <= set(rules.SOURCES), (symptom.code, sources)


def test_no_rule_cites_the_product_brief() -> None:
    for rule in every_rule():
        assert not [code for code in rule.sources if code.startswith("SEED")], rule.id


def test_every_source_has_an_entry_in_the_fact_base() -> None:
    section = FACTS.read_text(encoding="utf-8").split("## 11. Sources")[1].split("## 12.")[0]
    entries = dict(re.findall(r"^- (S\d+b?) (.+)$", section, re.MULTILINE))
    for code in rules.SOURCES:
        assert code in entries, code
    for code, entry in entries.items():
        assert "SEED" not in entry, code
        # a secondary copy is said in the entry, after the primary reference
        if "droracle" in entry or "mirror" in entry:
            assert "secondary copy" in entry, code
            assert entry.index("secondary copy") < entry.index(
                "droracle" if "droracle" in entry else "mirror"
            ), code


# ---- statuses and flags in words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (rules.C, None),
        (rules.C_2ND, "secondary source only, to be re-verified"),
        (rules.UNCONFIRMED, "not confirmed by a primary source"),
        (rules.DESIGN, "a product convention, not a clinical fact"),
        ("", "not confirmed by a primary source"),
        (None, "not confirmed by a primary source"),
        ("MAYBE", "not confirmed by a primary source"),
    ],
)
def test_status_words(status: str | None, words: str | None) -> None:
    assert status_words(status) == words


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("mutation_testing_required", "Mutation testing required before relying on this plan"),
        ("rupture_duration_uncertain", rules.FLAG_WORDS["rupture_duration_uncertain"]),
        ("afip_site_extrapolated", rules.FLAG_WORDS["afip_site_extrapolated"]),
        ("non_default_settings", rules.FLAG_WORDS["non_default_settings"]),
        ("exposure_shortfall", rules.FLAG_WORDS["exposure_shortfall"]),
        ("exposure_shortfall_likely", rules.FLAG_WORDS["exposure_shortfall_likely"]),
        ("unconfirmed_rule:duration.neoadjuvant_total", "not confirmed by a primary source"),
        ("unconfirmed_rule:review.schedule", "a product convention, not a clinical fact"),
        ("unconfirmed_rule:toxicity.below_300", "not confirmed by a primary source"),
        ("unconfirmed_rule:toxicity.blood_800", "a product convention, not a clinical fact"),
        ("unconfirmed_rule:no.such_rule", "not confirmed by a primary source"),
        ("unconfirmed_rule:decision.adjuvant_high_risk", "not confirmed by a primary source"),
        ("something_new", "Something new"),
    ],
)
def test_flag_words(flag: str, words: str) -> None:
    assert flag_words(flag) == words


def test_every_unconfirmed_or_design_rule_reads_as_its_status() -> None:
    for rule in every_rule():
        if rule.needs_flag:
            assert flag_words(rules.UNCONFIRMED_FLAG_PREFIX + rule.id) == status_words(
                rule.status
            ), rule.id


def test_flag_words_never_show_a_code() -> None:
    for flag in (*rules.FLAG_WORDS, "unconfirmed_rule:review.schedule", "unconfirmed_rule:x"):
        words = flag_words(flag)
        assert "_" not in words and "unconfirmed" not in words and "review." not in words


def test_both_functions_are_exported() -> None:
    assert guidelines.status_words is status_words and guidelines.flag_words is flag_words
    assert {"status_words", "flag_words"} <= set(guidelines.__all__)


def test_flags_in_words_group_rule_statuses() -> None:
    grouped = flags_in_words(
        [
            "mutation_testing_required",
            "unconfirmed_rule:review.schedule",
            "unconfirmed_rule:duration.neoadjuvant_total",
            "unconfirmed_rule:duration.end_date_calendar_months",
            "unconfirmed_rule:review.schedule",
        ]
    )
    assert grouped == [
        {
            "words": "Mutation testing required before relying on this plan",
            "codes": ["mutation_testing_required"],
            "is_status": False,
        },
        {
            "words": "a product convention, not a clinical fact",
            "codes": ["review.schedule", "duration.end_date_calendar_months"],
            "is_status": True,
        },
        {
            "words": "not confirmed by a primary source",
            "codes": ["duration.neoadjuvant_total"],
            "is_status": True,
        },
    ]


# ---- reasons stored before and after reasons carried a status ---------------------------------


@pytest.mark.parametrize(
    ("text", "plain", "status"),
    [
        ("Dose. [DESIGN convention, not a clinical fact]", "Dose.", rules.DESIGN),
        ("Dose. [UNCONFIRMED, default to be verified]", "Dose.", rules.UNCONFIRMED),
        ("Dose. [secondary source only, re-verify]", "Dose.", rules.C_2ND),
        ("Dose. [secondary source only, re-verify]  ", "Dose.", rules.C_2ND),
        ("Dose.", "Dose.", None),
        ("Dose [see table].", "Dose [see table].", None),
        ("Dose [see table]", "Dose [see table]", None),
    ],
)
def test_plain_reason_text(text: str, plain: str, status: str | None) -> None:
    assert rules.plain_reason_text(text) == (plain, status)


def test_reason_words_of_an_old_reason() -> None:
    old = {
        "rule": "review.schedule",
        "text": "Review points. [DESIGN convention, not a clinical fact]",
        "sources": ["S36", "S1"],
    }
    words = reason_words(old)
    assert words["text"] == "Review points."
    assert words["status"] == rules.DESIGN
    assert words["status_words"] == "a product convention, not a clinical fact"
    assert words["sources"][0] == ("S36", rules.SOURCES["S36"], rules.SOURCE_NOTES["S36"])
    assert words["sources"][1] == ("S1", rules.SOURCES["S1"], rules.SOURCE_NOTES["S1"])


def test_reason_words_of_an_old_reason_without_a_note_takes_the_rules_status() -> None:
    words = reason_words({"rule": "review.blood_counts", "text": "Counts.", "sources": ["S36"]})
    assert words["status"] == rules.C_2ND
    assert reason_words({"rule": "dose.none", "text": "None.", "sources": []})["status"] == rules.C


def test_reason_words_of_a_new_reason() -> None:
    new = {"rule": "x", "text": "Text.", "sources": ["S4", "S999"], "status": rules.UNCONFIRMED}
    words = reason_words(new)
    assert (words["text"], words["status"]) == ("Text.", rules.UNCONFIRMED)
    assert words["status_words"] == "not confirmed by a primary source"
    assert words["sources"] == [("S4", rules.SOURCES["S4"], ""), ("S999", "S999", "")]

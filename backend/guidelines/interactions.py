"""Drugs and foods that interact with imatinib: a maintained list, checked at plan time.

Each entry has a canonical lower-case name (used in the flag ``cyp3a4_interaction:<name>``),
the names and common brand names that match it, its kind, and its sources. The advice for
each kind is a rule in ``rules.RULES`` (``interaction.*``).

Status: docs/clinical-facts.md does not hold the label's drug-interaction section (US label
§2 and §7, EU SmPC §4.5). The kinds of advice below are the label's, written from the label as
remembered, and every ``interaction.*`` rule is UNCONFIRMED until that text is read on DailyMed
(open question in docs/guidelines.md). The drug lists follow the label's examples plus drugs
generally classed as strong CYP3A4 inhibitors or inducers; a clinician should review them.

Matching (:func:`find_interactions`): case-insensitive; punctuation and spacing do not count
("St. John's Wort" = "st johns wort"); a name matches when it appears as whole words anywhere
in the entry ("Rifampicin 600 mg daily", "lopinavir/ritonavir"). An entry that matches nothing
is kept and reported as not recognised, never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

STRONG_INHIBITOR: Final = "strong_cyp3a4_inhibitor"
STRONG_INDUCER: Final = "strong_cyp3a4_inducer"
NARROW_SUBSTRATE: Final = "cyp3a4_substrate_narrow_margin"
ANTICOAGULANT: Final = "warfarin"
FOOD: Final = "grapefruit"
KINDS: Final = (STRONG_INHIBITOR, STRONG_INDUCER, NARROW_SUBSTRATE, ANTICOAGULANT, FOOD)

# kind -> the rule (rules.RULES) that gives the label's advice
KIND_RULES: Final[dict[str, str]] = {
    STRONG_INHIBITOR: "interaction.strong_cyp3a4_inhibitor",
    STRONG_INDUCER: "interaction.strong_cyp3a4_inducer",
    NARROW_SUBSTRATE: "interaction.cyp3a4_substrate",
    ANTICOAGULANT: "interaction.warfarin",
    FOOD: "interaction.grapefruit",
}


@dataclass(frozen=True)
class Interactant:
    """One drug or food: canonical name, what matches it, its kind and its sources."""

    name: str
    kind: str
    synonyms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ("S1",)
    # True when the label names it as an example; False when it is on the list only because it
    # is generally classed as strong (reviewer: check it against the current label).
    named_in_label: bool = True


def _entries(*items: Interactant) -> dict[str, Interactant]:
    table: dict[str, Interactant] = {}
    for item in items:
        assert item.name == item.name.lower() and item.name not in table, item.name
        assert item.kind in KINDS, item.name
        table[item.name] = item
    return table


INTERACTANTS: Final[dict[str, Interactant]] = _entries(
    # ---- strong CYP3A4 inhibitors: raise imatinib exposure (US label §7.2; EU SmPC §4.5) --------
    Interactant("ketoconazole", STRONG_INHIBITOR, ("nizoral",), ("S1", "S2")),
    Interactant("itraconazole", STRONG_INHIBITOR, ("sporanox",), ("S1", "S2")),
    Interactant("posaconazole", STRONG_INHIBITOR, ("noxafil",), ("S1",), False),
    Interactant("voriconazole", STRONG_INHIBITOR, ("vfend",), ("S1", "S2")),
    Interactant("clarithromycin", STRONG_INHIBITOR, ("biaxin", "klacid"), ("S1", "S2")),
    Interactant("telithromycin", STRONG_INHIBITOR, ("ketek",), ("S1", "S2")),
    Interactant("ritonavir", STRONG_INHIBITOR, ("norvir", "paxlovid"), ("S1", "S2")),
    Interactant("cobicistat", STRONG_INHIBITOR, ("tybost",), ("S1",), False),
    Interactant("atazanavir", STRONG_INHIBITOR, ("reyataz",), ("S1", "S2")),
    Interactant("indinavir", STRONG_INHIBITOR, ("crixivan",), ("S1", "S2")),
    Interactant("nelfinavir", STRONG_INHIBITOR, ("viracept",), ("S1", "S2")),
    Interactant("saquinavir", STRONG_INHIBITOR, ("invirase",), ("S1", "S2")),
    Interactant("lopinavir", STRONG_INHIBITOR, ("kaletra",), ("S1",), False),
    Interactant("nefazodone", STRONG_INHIBITOR, (), ("S1", "S2")),
    # ---- strong CYP3A4 inducers: lower imatinib exposure (US label §2 and §7.1; EU SmPC §4.5) ---
    Interactant("rifampicin", STRONG_INDUCER, ("rifampin", "rifadin", "rimactane"), ("S1", "S2")),
    Interactant("rifabutin", STRONG_INDUCER, ("mycobutin",), ("S1",)),
    Interactant("rifapentine", STRONG_INDUCER, ("priftin",), ("S1",)),
    Interactant("carbamazepine", STRONG_INDUCER, ("tegretol",), ("S1", "S2")),
    Interactant(
        "phenytoin", STRONG_INDUCER, ("fosphenytoin", "dilantin", "epanutin"), ("S1", "S2")
    ),
    Interactant("phenobarbital", STRONG_INDUCER, ("phenobarbitone",), ("S1", "S2")),
    Interactant("dexamethasone", STRONG_INDUCER, (), ("S1", "S2")),
    Interactant("enzalutamide", STRONG_INDUCER, ("xtandi",), ("S1",), False),
    Interactant("apalutamide", STRONG_INDUCER, ("erleada",), ("S1",), False),
    Interactant("mitotane", STRONG_INDUCER, ("lysodren",), ("S1",), False),
    Interactant(
        "st_johns_wort",
        STRONG_INDUCER,
        (
            "st johns wort",
            "st john's wort",
            "saint johns wort",
            "st john wort",
            "hypericum",
            "hypericum perforatum",
        ),
        ("S1", "S2"),
    ),
    # ---- CYP3A4 substrates with a narrow therapeutic window: imatinib raises their levels ------
    Interactant("simvastatin", NARROW_SUBSTRATE, ("zocor",), ("S1", "S2")),
    Interactant(
        "ciclosporin", NARROW_SUBSTRATE, ("cyclosporine", "cyclosporin", "neoral", "sandimmun")
    ),
    Interactant("tacrolimus", NARROW_SUBSTRATE, ("prograf", "advagraf")),
    Interactant("sirolimus", NARROW_SUBSTRATE, ("rapamune",)),
    Interactant("pimozide", NARROW_SUBSTRATE, ("orap",)),
    Interactant("quinidine", NARROW_SUBSTRATE, ()),
    Interactant("fentanyl", NARROW_SUBSTRATE, ("durogesic",)),
    Interactant("alfentanil", NARROW_SUBSTRATE, ()),
    Interactant("ergotamine", NARROW_SUBSTRATE, ()),
    Interactant("dihydroergotamine", NARROW_SUBSTRATE, ()),
    # ---- anticoagulant: CYP2C9 and CYP3A4 (US label §7.3) -------------------------------------
    Interactant("warfarin", ANTICOAGULANT, ("coumadin", "marevan", "jantoven"), ("S1", "S2")),
    # ---- food (US label §7.2) ------------------------------------------------------------------
    Interactant("grapefruit", FOOD, ("grapefruit juice",), ("S1",)),
)


def normalise(name: str) -> str:
    """Lower case; apostrophes dropped; other punctuation and runs of spaces become one space."""
    text = name.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _patterns() -> list[tuple[re.Pattern[str], Interactant]]:
    found: list[tuple[re.Pattern[str], Interactant]] = []
    for item in INTERACTANTS.values():
        for spelling in (item.name, *item.synonyms):
            words = normalise(spelling)
            found.append((re.compile(rf"(?:^| ){re.escape(words)}(?: |$)"), item))
    return found


_PATTERNS: Final = _patterns()


@dataclass(frozen=True)
class InteractionCheck:
    """What the comedication list gave: matches in order (given name, entry), and the names
    that matched nothing (kept as given)."""

    matches: tuple[tuple[str, Interactant], ...]
    not_recognised: tuple[str, ...]


def find_interactions(comedications: tuple[str, ...] | list[str]) -> InteractionCheck:
    """Match each comedication against the list; one entry may match more than one drug
    ("lopinavir/ritonavir"). Each drug is reported once, with the first name that matched."""
    matches: list[tuple[str, Interactant]] = []
    seen: set[str] = set()
    unknown: list[str] = []
    for given in comedications:
        text = normalise(given)
        hits = [item for pattern, item in _PATTERNS if pattern.search(text)]
        if not hits:
            if given.strip() and given.strip() not in unknown:
                unknown.append(given.strip())
            continue
        for item in hits:
            if item.name not in seen:
                seen.add(item.name)
                matches.append((given.strip(), item))
    return InteractionCheck(tuple(matches), tuple(unknown))

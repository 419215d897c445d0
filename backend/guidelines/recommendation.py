"""The plan recommendation: case in, suggested imatinib plan with reasons and sources out.

Clinical software only suggests: a clinician confirms or overrides every plan. Each decision,
dose and duration in the output carries a reason with its source IDs and the status of its rule
(``C``, ``C-2nd``, ``UNCONFIRMED``, ``DESIGN``) as data, never as a note inside the text; every
UNCONFIRMED or DESIGN rule that shaped the output adds the flag ``unconfirmed_rule:<rule id>``.
:func:`reason_words` turns a stored reason (of this version or an older one) into what a
clinician reads.

Order of the decision rules (docs/clinical-facts.md §10 "eligibility", first match wins):
1. PDGFRA D842V -> no_imatinib (any setting);
2. imatinib-insensitive genotypes (SDH-deficient, KIT/PDGFRA wild-type, NF1, BRAF, NTRK) ->
   no_adjuvant in the adjuvant setting, specialist_only otherwise;
3. age under 18 -> specialist_only;
4. adjuvant by modified NIH risk: very low/low -> no_adjuvant, intermediate -> discuss,
   high -> treat; neoadjuvant and advanced -> treat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from . import rules
from .case import ClinicalCase, parse_case
from .dates import add_calendar_months
from .risk import afip_column, afip_risk, modified_nih_row
from .rules import DEFAULT_SETTINGS, GuidelineSettings, NihRow
from .schedule import build_review_points

_GENOTYPE_NAMES = {
    "sdh_deficient": "SDH-deficient",
    "wild_type": "KIT/PDGFRA wild-type",
    "nf1": "NF1-related",
    "braf": "BRAF V600E",
    "ntrk": "NTRK-fusion",
}
_INSENSITIVE_RULES = {
    # mutation: (adjuvant rule, advanced rule)
    "sdh_deficient": (
        "decision.adjuvant_sdh_deficient_or_wild_type",
        "decision.advanced_sdh_deficient_or_wild_type",
    ),
    "wild_type": (
        "decision.adjuvant_sdh_deficient_or_wild_type",
        "decision.advanced_sdh_deficient_or_wild_type",
    ),
    "nf1": ("decision.adjuvant_nf1", "decision.advanced_nf1"),
    "braf": ("decision.adjuvant_braf_ntrk", "decision.advanced_braf_ntrk"),
    "ntrk": ("decision.adjuvant_braf_ntrk", "decision.advanced_braf_ntrk"),
}
_CATEGORY_WORDS = {
    "very_low": "very low",
    "low": "low",
    "intermediate": "intermediate",
    "high": "high",
    "none": "none",
    "moderate": "moderate",
    "insufficient_data": "insufficient data",
}


class _Explanation:
    """Collects reasons and flags in the order rules fire; no duplicates."""

    def __init__(self) -> None:
        self.reasons: list[dict[str, Any]] = []
        self.flags: list[str] = []

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)

    def use(self, rule_id: str, **values: object) -> rules.Rule:
        rule = rules.RULES[rule_id]
        self.add(rule.id, rule.text.format(**values), rule.sources, rule.status)
        if rule.needs_flag:
            self.flag(rules.UNCONFIRMED_FLAG_PREFIX + rule.id)
        return rule

    def add(self, rule_id: str, text: str, sources: tuple[str, ...], status: str) -> None:
        self.reasons.append(
            {"rule": rule_id, "text": text, "sources": list(sources), "status": status}
        )


def reason_words(reason: Mapping[str, Any]) -> dict[str, Any]:
    """What a clinician reads for one stored reason, old or new.

    Returns ``rule``, ``text`` (without any old bracketed status note), ``status``,
    ``status_words`` (None when confirmed) and ``sources`` as ``(id, citation, note)`` triples
    (``note`` is how the source was read, or ""). Reasons stored before reasons had a
    ``status`` take it from the old note in their text, else from the rule's current status.
    """
    rule_id = str(reason.get("rule", ""))
    text, old_status = rules.plain_reason_text(str(reason.get("text", "")))
    status = reason.get("status") or old_status
    if status is None:
        status = rules.rule_status(rule_id) or rules.C
    sources = [str(code) for code in reason.get("sources", [])]
    return {
        "rule": rule_id,
        "text": text,
        "status": status,
        "status_words": rules.status_words(status),
        "sources": [
            (code, rules.SOURCES.get(code, code), rules.SOURCE_NOTES.get(code, ""))
            for code in sources
        ],
    }


def flags_in_words(
    flags: Iterable[str], *, known: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """A plan's or an advice's flags as a clinician reads them, in order: each other flag as a
    note (``{"words", "codes": [flag], "is_status": False}``), then one entry per rule status
    (``{"words": "not confirmed by a primary source", "codes": [rule ids], "is_status": True}``).
    ``known`` gives rule id -> status for rules the caller knows better (an advice's own rule).
    """
    notes: list[dict[str, Any]] = []
    statuses: dict[str, list[str]] = {}
    for flag in flags:
        words = rules.flag_words(flag)
        if flag.startswith(rules.UNCONFIRMED_FLAG_PREFIX):
            rule_id = flag[len(rules.UNCONFIRMED_FLAG_PREFIX) :]
            if known and known.get(rule_id) in (rules.UNCONFIRMED, rules.DESIGN):
                words = rules.status_words(known[rule_id]) or words
            codes = statuses.setdefault(words, [])
            if rule_id not in codes:
                codes.append(rule_id)
        else:
            notes.append({"words": words, "codes": [flag], "is_status": False})
    return notes + [
        {"words": words, "codes": codes, "is_status": True} for words, codes in statuses.items()
    ]


def recommend(
    case: Mapping[str, object], *, settings: GuidelineSettings = DEFAULT_SETTINGS
) -> dict[str, Any]:
    """Suggest an imatinib plan for a GIST case (the input object, as parsed JSON).

    Raises :class:`~backend.guidelines.errors.CaseInvalid` for invalid input. The result is
    JSON-serialisable (dates as ISO strings) and stamped with ``GUIDELINE_VERSION``.
    """
    if not isinstance(settings, GuidelineSettings):
        raise TypeError("settings must be a GuidelineSettings")
    c = parse_case(case)
    why = _Explanation()
    if settings != DEFAULT_SETTINGS:
        why.flag(rules.FLAG_NON_DEFAULT_SETTINGS)

    risk, nih_category = _risk(c, settings, why)
    decision, decision_rule = _decide(c, nih_category, why)
    if c.mutation == "unknown":
        why.flag(rules.FLAG_MUTATION_TESTING_REQUIRED)
        why.use("flag.mutation_testing_required")

    dose_mg: int | None = None
    duration: int | None = None
    end: date | None = None
    review_points: list[dict[str, str]] = []
    if decision == rules.TREAT:
        dose_mg = _dose(c, settings, why)
        duration = _duration(c, nih_category, settings, why)
        if duration is not None:
            end = add_calendar_months(c.start_date, duration)
            why.use("duration.end_date_calendar_months", months=duration)
        review_points, used, horizon = build_review_points(c.setting, c.start_date, end, settings)
        for rule_id in used:
            if rule_id == "review.horizon":
                why.use(rule_id, months=horizon)
            elif rule_id == "review.imaging_adjuvant":
                why.use(rule_id, months=settings.adjuvant_imaging_interval_months)
            else:
                why.use(rule_id)
    else:
        decision_words = decision.replace("_", " ")
        why.add(
            "dose.none",
            f"No imatinib dose is proposed: the suggestion is '{decision_words}' "
            "(see the decision above).",
            decision_rule.sources,
            decision_rule.status,
        )
        if decision == rules.DISCUSS:
            why.use("duration.adjuvant_intermediate_risk")
        else:
            why.add(
                "duration.none",
                f"No imatinib course is planned: the suggestion is '{decision_words}' "
                "(see the decision above).",
                decision_rule.sources,
                decision_rule.status,
            )

    return {
        "guideline_version": rules.GUIDELINE_VERSION,
        "decision": decision,
        "risk": risk,
        "dose_mg_per_day": dose_mg,
        "doses_per_day": None if dose_mg is None else rules.DOSES_PER_DAY[dose_mg],
        "duration_months": duration,
        "planned_end_date": None if end is None else end.isoformat(),
        "review_points": review_points,
        "flags": why.flags,
        "reasons": why.reasons,
    }


def _risk(
    c: ClinicalCase, settings: GuidelineSettings, why: _Explanation
) -> tuple[dict[str, Any], str | None]:
    """Both risk tables for a primary tumour; null for advanced disease (no primary risk)."""
    if c.setting == "advanced":
        return {"modified_nih": None, "afip": {"category": None, "progression_pct": None}}, None
    assert c.size_cm is not None and c.mitoses_per_50hpf is not None
    category, row = modified_nih_row(
        c.site, c.size_cm, c.mitoses_per_50hpf, c.rupture, settings=settings
    )
    why.use("risk.modified_nih", category=_CATEGORY_WORDS[category], row=_describe_row(row))
    if row.rule_id != "risk.modified_nih":
        why.use(row.rule_id, category=_CATEGORY_WORDS[category])

    afip_category, pct = afip_risk(c.site, c.size_cm, c.mitoses_per_50hpf, settings=settings)
    column, extrapolated = afip_column(c.site, settings=settings)
    if pct is not None:
        percent = f" ({pct:g}% with progressive disease)"
    elif afip_category == "insufficient_data":
        percent = ""
    else:
        percent = " (small numbers, no percentage given)"
    column_words = column.replace("_", "/")
    why.use(
        "risk.afip",
        column=column_words,
        category=_CATEGORY_WORDS[afip_category],
        percent=percent,
    )
    if extrapolated:
        why.flag(rules.FLAG_AFIP_SITE_EXTRAPOLATED)
        why.use("risk.afip.site_extrapolated", site=c.site.replace("_", " "), column=column_words)
    if c.age_years is not None and c.age_years < rules.ADULT_AGE_YEARS:
        why.use("risk.paediatric_caution")
    risk = {
        "modified_nih": category,
        "afip": {"category": afip_category, "progression_pct": pct},
    }
    return risk, category


def _describe_row(row: NihRow) -> str:
    if row.rupture_only:
        return f"table row {row.order}: tumour rupture"
    parts = [row.size_cm.describe("cm"), row.mitoses.describe("mitoses/50 HPF")]
    if row.site is not None:
        parts.append(row.site.replace("_", "-"))
    return f"table row {row.order}: " + ", ".join(parts)


def _decide(c: ClinicalCase, nih_category: str | None, why: _Explanation) -> tuple[str, rules.Rule]:
    if c.mutation == "pdgfra_d842v":
        return rules.NO_IMATINIB, why.use("decision.pdgfra_d842v")
    if c.mutation in _INSENSITIVE_RULES:
        adjuvant_rule, advanced_rule = _INSENSITIVE_RULES[c.mutation]
        if c.setting == "adjuvant":
            return rules.NO_ADJUVANT, why.use(adjuvant_rule)
        if c.setting == "advanced":
            return rules.SPECIALIST_ONLY, why.use(advanced_rule)
        rule = why.use(
            "decision.neoadjuvant_insensitive_genotype", genotype=_GENOTYPE_NAMES[c.mutation]
        )
        return rules.SPECIALIST_ONLY, rule
    if c.age_years is not None and c.age_years < rules.ADULT_AGE_YEARS:
        return rules.SPECIALIST_ONLY, why.use("decision.paediatric")
    if c.setting == "adjuvant":
        if nih_category in (rules.VERY_LOW, rules.LOW):
            rule = why.use("decision.adjuvant_low_risk", category=_CATEGORY_WORDS[nih_category])
            return rules.NO_ADJUVANT, rule
        if nih_category == rules.INTERMEDIATE:
            return rules.DISCUSS, why.use("decision.adjuvant_intermediate_risk")
        return rules.TREAT, why.use("decision.adjuvant_high_risk")
    if c.setting == "neoadjuvant":
        return rules.TREAT, why.use("decision.neoadjuvant")
    return rules.TREAT, why.use("decision.advanced")


def _dose(c: ClinicalCase, settings: GuidelineSettings, why: _Explanation) -> int:
    exon_9 = c.mutation == "kit_exon_9"
    if c.setting == "advanced":
        rule_id = "dose.advanced_kit_exon_9" if exon_9 else "dose.advanced_standard"
        mg = 800 if exon_9 else 400
        why.use(rule_id)
    elif c.setting == "adjuvant":
        if exon_9 and c.profile == "esmo":
            mg = 800
            why.use("dose.adjuvant_kit_exon_9_esmo")
        elif exon_9:
            mg = settings.adjuvant_kit_exon_9_nccn_mg
            why.use("dose.adjuvant_kit_exon_9_nccn", mg=mg)
        else:
            mg = 400
            why.use("dose.adjuvant_standard")
    else:
        if exon_9:
            mg = settings.neoadjuvant_kit_exon_9_mg
            why.use("dose.neoadjuvant_kit_exon_9", mg=mg)
        else:
            mg = settings.neoadjuvant_mg
            why.use("dose.neoadjuvant_standard", mg=mg)
    why.use("dose.administration")
    return mg


def _duration(
    c: ClinicalCase, nih_category: str | None, settings: GuidelineSettings, why: _Explanation
) -> int | None:
    if c.setting == "advanced":
        why.use("duration.advanced_indefinite")
        return None
    if c.setting == "neoadjuvant":
        why.use("duration.neoadjuvant_preoperative")
        if nih_category != rules.HIGH:
            return None
        months = settings.neoadjuvant_total_months
        why.use("duration.neoadjuvant_total", months=months)
    else:
        months = rules.ADJUVANT_HIGH_RISK_MONTHS
        if not c.rupture:
            why.use("duration.adjuvant_high_risk")
    if c.rupture:
        why.flag(rules.FLAG_RUPTURE_DURATION_UNCERTAIN)
        why.use("duration.adjuvant_rupture")
    return months

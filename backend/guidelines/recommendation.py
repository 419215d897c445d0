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
from .interactions import KIND_RULES, find_interactions
from .review_schedule import BaselineChecks, build_review_points
from .risk import (
    afip_column,
    afip_risk,
    afip_without_mitoses,
    modified_nih_row,
    modified_nih_without_mitoses,
)
from .rules import DEFAULT_SETTINGS, GuidelineSettings, NihRow

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

    def has(self, rule_id: str) -> bool:
        return any(reason["rule"] == rule_id for reason in self.reasons)

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
    if c.setting != "advanced" and c.age_years is None:
        why.flag(rules.FLAG_AGE_NOT_GIVEN)
        why.use("flag.age_not_given")
    _compare_risk_tables(c, risk, why)
    if c.setting == "adjuvant" and c.surgery_date is not None:
        _check_adjuvant_start(c, settings, why)
    if decision == rules.TREAT and c.setting == "adjuvant" and c.resection_margin == "R2":
        why.flag(rules.FLAG_RESECTION_R2)
        decision, decision_rule = rules.SPECIALIST_ONLY, why.use("decision.resection_r2")
    if _may_be_given(decision):
        _check_comedications(c, why)
        _check_baseline_risks(c, why)
    if (
        decision == rules.TREAT
        and c.creatinine_clearance_ml_min is not None
        and c.creatinine_clearance_ml_min < rules.RENAL_SEVERE_BELOW_ML_MIN
    ):
        decision = rules.SPECIALIST_ONLY
        decision_rule = _renal_severe(c, why)

    dose_mg: int | None = None
    duration: int | None = None
    end: date | None = None
    review_points: list[dict[str, str]] = []
    if decision == rules.TREAT:
        dose_mg = _organ_function(c, _dose(c, settings, why), settings, why)
        if dose_mg is None:
            decision = rules.SPECIALIST_ONLY
            decision_rule = rules.RULES["decision.organ_function_no_dose_level"]
    elif _may_be_given(decision):
        _organ_function(c, None, settings, why)  # the limits, for a clinician who treats
    if _may_be_given(decision) and (
        c.creatinine_clearance_ml_min is None or c.hepatic_impairment is None
    ):
        missing = [
            words
            for value, words in (
                (c.creatinine_clearance_ml_min, "Creatinine clearance"),
                (c.hepatic_impairment, "liver impairment (none, mild, moderate or severe)"),
            )
            if value is None
        ]
        why.flag(rules.FLAG_RENAL_HEPATIC_NOT_CHECKED)
        why.use("flag.renal_hepatic_not_checked", missing=_capitalised(" and ".join(missing)))

    if decision == rules.TREAT:
        duration = _duration(c, nih_category, settings, why)
        if duration is not None:
            end = add_calendar_months(c.start_date, duration)
            why.use("duration.end_date_calendar_months", months=duration)
        baseline = BaselineChecks(c.hbv_status, c.thyroidectomy, c.pregnant_or_planning)
        review_points, used, horizon = build_review_points(
            c.setting, c.start_date, end, settings, baseline
        )
        for rule_id in used:
            if rule_id == "review.horizon":
                why.use(rule_id, months=horizon)
            elif rule_id == "review.imaging_adjuvant":
                why.use(rule_id, months=settings.adjuvant_imaging_interval_months)
            elif rule_id == "review.imaging_advanced":
                first = sorted(settings.advanced_imaging_first_months)
                why.use(
                    rule_id,
                    first=_and_list([str(m) for m in first]),
                    months=settings.advanced_imaging_interval_months,
                )
            elif rule_id == "review.blood_counts_after_week_8":
                why.use(rule_id, months=settings.blood_count_interval_after_week_8_months)
            elif rule_id == "review.tsh_thyroidectomy":
                why.use(rule_id, months=settings.thyroidectomy_tsh_interval_months)
            elif rule_id == "review.pregnancy":
                why.use(rule_id, days=settings.contraception_days_after_last_dose)
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


def _may_be_given(decision: str) -> bool:
    """Imatinib may still be given (by the plan, or by a clinician's decision): the plan-time
    safety checks apply. Not after no_imatinib or no_adjuvant."""
    return decision in (rules.TREAT, rules.DISCUSS, rules.SPECIALIST_ONLY)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _crcl_words(value: float) -> str:
    return f"{value:g}"


def _renal_severe(c: ClinicalCase, why: _Explanation) -> rules.Rule:
    assert c.creatinine_clearance_ml_min is not None
    why.flag(rules.FLAG_RENAL_DOSE_CAP)
    why.flag(rules.FLAG_RENAL_SEVERE)
    return why.use("decision.renal_severe", crcl=_crcl_words(c.creatinine_clearance_ml_min))


def _level_at_most(raw_mg: float) -> int | None:
    """The highest dose the module proposes that is not above raw_mg (None: below them all)."""
    return next((mg for mg in rules.PROPOSED_DOSE_LEVELS_MG if mg <= raw_mg), None)


def _organ_function(
    c: ClinicalCase, recommended: int | None, settings: GuidelineSettings, why: _Explanation
) -> int | None:
    """The label's kidney and liver dose limits (docs/clinical-facts.md §2.4).

    With a recommended dose: the dose they allow (None when it falls below every proposed
    level, the caller then makes it a specialist decision). Without one (discuss, specialist):
    the limits are stated for a clinician who decides to treat, and nothing is returned.
    Creatinine clearance below 20 mL/min in a treat plan never reaches here (specialist).
    """
    renal_mg: float | None = None
    crcl = c.creatinine_clearance_ml_min
    if crcl is not None and crcl < rules.RENAL_MILD_BELOW_ML_MIN:
        why.flag(rules.FLAG_RENAL_DOSE_CAP)
        if crcl < rules.RENAL_SEVERE_BELOW_ML_MIN:
            if not why.has("decision.renal_severe"):
                _renal_severe(c, why)  # discuss / specialist: stated, the decision stands
        elif crcl < rules.RENAL_MODERATE_BELOW_ML_MIN:
            change = ""
            if recommended is not None:
                half = recommended * rules.RENAL_MODERATE_START_PERCENT / 100
                renal_mg = min(half, rules.RENAL_MODERATE_MAX_MG)
                change = _change_words(recommended, _level_at_most(renal_mg))
            why.use("dose.renal_moderate", crcl=_crcl_words(crcl), change=change)
            level = None if renal_mg is None else _level_at_most(renal_mg)
            if recommended is not None and level is not None and level < 300:
                why.use("dose.renal_below_gist_ladder", mg=level, recommended=recommended)
        else:
            change = ""
            if recommended is not None:
                renal_mg = min(recommended, rules.RENAL_MILD_MAX_MG)
                change = _change_words(recommended, _level_at_most(renal_mg))
            why.use("dose.renal_mild", crcl=_crcl_words(crcl), change=change)

    hepatic_mg: float | None = None
    grade = c.hepatic_impairment
    if grade in ("mild", "moderate"):
        change = ""
        if recommended is not None:
            hepatic_mg = min(recommended, rules.HEPATIC_EU_START_MAX_MG)
            change = _change_words(recommended, _level_at_most(hepatic_mg))
            if hepatic_mg < recommended:
                why.flag(rules.FLAG_HEPATIC_DOSE_REDUCTION)
        why.use("dose.hepatic_eu_minimum", grade=_capitalised(grade), change=change)
    elif grade == "severe":
        why.flag(rules.FLAG_HEPATIC_DOSE_REDUCTION)
        percent = settings.severe_hepatic_reduction_percent
        base = recommended if recommended is not None else 400
        us_mg = base * (100 - percent) / 100
        hepatic_mg = min(us_mg, rules.HEPATIC_EU_START_MAX_MG)
        level = _level_at_most(hepatic_mg)
        why.use(
            "dose.hepatic_severe",
            percent=percent,
            recommended=base,
            reduced=f"{us_mg:g}",
            mg="no dose level" if level is None else level,
        )
        if recommended is None:
            hepatic_mg = None

    if recommended is None:
        return None
    limits = [mg for mg in (renal_mg, hepatic_mg) if mg is not None]
    if not limits:
        return recommended
    raw = min(limits)
    level = _level_at_most(raw)
    if renal_mg is not None and hepatic_mg is not None and level is not None:
        why.use("dose.organ_function_combined", mg=level)
    if level is None:
        why.use("decision.organ_function_no_dose_level", raw=f"{raw:g}")
    return level


def _change_words(recommended: int, mg: int | None) -> str:
    if mg is None or mg == recommended:
        return ""
    return f" The proposed dose is {mg} mg/day instead of {recommended} mg/day."


def _check_comedications(c: ClinicalCase, why: _Explanation) -> None:
    """Each listed medicine on the interaction list adds ``cyp3a4_interaction:<name>`` and the
    label's advice; names not on the list are kept and shown, never refused."""
    if not c.comedications:
        return
    found = find_interactions(c.comedications)
    for given, item in found.matches:
        why.flag(rules.INTERACTION_FLAG_PREFIX + item.name)
        rule = rules.RULES[KIND_RULES[item.kind]]
        name = rules.INTERACTANT_WORDS.get(item.name, item.name)
        text = rule.text.format(given=given, name=name)
        sources = tuple(dict.fromkeys((*rule.sources, *item.sources)))
        why.add(rule.id, text, sources, rule.status)
        if rule.needs_flag:
            why.flag(rules.UNCONFIRMED_FLAG_PREFIX + rule.id)
    if found.not_recognised:
        why.flag(rules.FLAG_COMEDICATIONS_NOT_RECOGNISED)
        why.use("interaction.not_recognised", names=", ".join(found.not_recognised))


def _check_baseline_risks(c: ClinicalCase, why: _Explanation) -> None:
    if c.hbv_status in ("chronic", "past_infection"):
        why.flag(rules.FLAG_HBV_REACTIVATION_RISK)
        why.use("flag.hbv_reactivation_risk", status=c.hbv_status.replace("_", " "))
    if c.pregnant_or_planning:
        why.flag(rules.FLAG_PREGNANCY_RISK)
        why.use("flag.pregnancy_risk")


def _check_adjuvant_start(c: ClinicalCase, settings: GuidelineSettings, why: _Explanation) -> None:
    """SSG XVIII started adjuvant imatinib within 12 weeks of surgery ([C] S4): a later start
    is flagged. Exactly 12 weeks (84 days) is within; 85 days is late."""
    assert c.surgery_date is not None
    days = (c.start_date - c.surgery_date).days
    if days > settings.adjuvant_start_within_weeks * 7:
        why.flag(rules.FLAG_LATE_ADJUVANT_START)
        why.use("flag.late_adjuvant_start", days=days, weeks=settings.adjuvant_start_within_weeks)


def _compare_risk_tables(c: ClinicalCase, risk: dict[str, Any], why: _Explanation) -> None:
    """``risk_tables_disagree`` when modified NIH and AFIP lead to different decisions
    (rules.NIH_DECISION / AFIP_DECISION, DESIGN); AFIP "insufficient data" is not compared."""
    nih = risk["modified_nih"]
    afip = risk["afip"]["category"]
    if nih is None or afip not in rules.AFIP_DECISION:
        return
    nih_decision, afip_decision = rules.NIH_DECISION[nih], rules.AFIP_DECISION[afip]
    if nih_decision == afip_decision:
        return
    pct = risk["afip"]["progression_pct"]
    why.flag(rules.FLAG_RISK_TABLES_DISAGREE)
    why.use(
        "flag.risk_tables_disagree",
        nih=_CATEGORY_WORDS[nih],
        nih_decision=nih_decision.replace("_", " "),
        afip=_CATEGORY_WORDS[afip],
        pct="" if pct is None else f" {pct:g}%",
        afip_decision=afip_decision.replace("_", " "),
    )


def _risk(
    c: ClinicalCase, settings: GuidelineSettings, why: _Explanation
) -> tuple[dict[str, Any], str | None]:
    """Both risk tables for a primary tumour; null for advanced disease (no primary risk)."""
    if c.setting == "advanced":
        return {"modified_nih": None, "afip": {"category": None, "progression_pct": None}}, None
    assert c.size_cm is not None
    if c.mitoses_per_50hpf is None:
        return _risk_without_mitoses(c, settings, why)
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


def _risk_without_mitoses(
    c: ClinicalCase, settings: GuidelineSettings, why: _Explanation
) -> tuple[dict[str, Any], str | None]:
    """Neoadjuvant case without a mitotic count: each table's category only where the size,
    site and rupture decide it whatever the count; otherwise null."""
    assert c.size_cm is not None
    nih = modified_nih_without_mitoses(c.site, c.size_cm, c.rupture, settings=settings)
    afip = afip_without_mitoses(c.site, c.size_cm, settings=settings)
    category = None if nih is None else nih[0]
    if nih is not None:
        why.use("risk.modified_nih", category=_CATEGORY_WORDS[nih[0]], row=_describe_row(nih[1]))
    afip_category, pct = (None, None) if afip is None else afip
    column, extrapolated = afip_column(c.site, settings=settings)
    if extrapolated and afip is not None:
        why.flag(rules.FLAG_AFIP_SITE_EXTRAPOLATED)
        why.use(
            "risk.afip.site_extrapolated",
            site=c.site.replace("_", " "),
            column=column.replace("_", "/"),
        )
    why.use(
        "risk.mitoses_not_given",
        nih="not computable" if category is None else _CATEGORY_WORDS[category],
        afip="not computable"
        if afip_category is None
        else _CATEGORY_WORDS[afip_category] + ("" if pct is None else f" ({pct:g}%)"),
    )
    if c.age_years is not None and c.age_years < rules.ADULT_AGE_YEARS:
        why.use("risk.paediatric_caution")
    risk = {"modified_nih": category, "afip": {"category": afip_category, "progression_pct": pct}}
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
        if c.resection_margin == "R2":
            why.flag(rules.FLAG_RESECTION_R2)
            why.use("duration.neoadjuvant_r2")
            return None
        if c.surgery_date is None or c.resection_margin is None or c.mitoses_per_50hpf is None:
            why.flag(rules.FLAG_DURATION_PROVISIONAL)
            detail = (
                "No mitotic count was given, so the risk of recurrence and the total duration "
                "are not known yet; add mitoses_per_50hpf from the resection's pathology too. "
                if c.mitoses_per_50hpf is None
                else ""
            )
            why.use("duration.provisional_until_pathology", detail=detail)
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

"""Clinical rule data for imatinib in GIST: thresholds, texts, sources and status.

This module holds data only, so a clinician can review it without reading the logic (plus two
small pure functions that put statuses and flags into plain words). Every rule comes from
``docs/clinical-facts.md`` (section numbers are given next to each block) and carries the source
IDs of its §11. Status tags are that page's own:

- ``C``            confirmed in a retrieved source;
- ``C-2nd``        confirmed only in a secondary source (re-verify against the primary);
- ``UNCONFIRMED``  not found in a retrieved source; encoded as the page's stated default;
- ``DESIGN``       an engineering convention where no guidance exists.

Rules with status UNCONFIRMED or DESIGN add the flag ``unconfirmed_rule:<rule id>`` to every
recommendation they take part in, and their defaults can be changed per installation through
:class:`GuidelineSettings` (never silent hard-coded truth, docs/clinical-facts.md preamble).

What a clinician reads never holds these tags or flag codes: :func:`status_words` and
:func:`flag_words` give the plain words, and ``SOURCES`` names primary references only (how a
source was read, when only a secondary copy could be, is in ``SOURCE_NOTES``).

Change ``GUIDELINE_VERSION`` whenever anything in this module changes: it is stamped on every
stored decision.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

GUIDELINE_VERSION: Final = "2026.12-1"

# --------------------------------------------------------------------------------------------
# Vocabularies of the input and output objects
# --------------------------------------------------------------------------------------------

SETTINGS: Final = ("adjuvant", "neoadjuvant", "advanced")
SITES: Final = (
    "stomach",
    "duodenum",
    "jejunum_ileum",
    "colon",
    "rectum",
    "esophagus",
    "extra_gastrointestinal",
)
MUTATIONS: Final = (
    "kit_exon_11",
    "kit_exon_9",
    "kit_exon_13",
    "kit_exon_17",
    "kit_other",
    "pdgfra_d842v",
    "pdgfra_other",
    "sdh_deficient",
    "nf1",
    "braf",
    "ntrk",
    "wild_type",
    "unknown",
)
PROFILES: Final = ("nccn", "esmo")
DEFAULT_PROFILE: Final = "nccn"

TREAT: Final = "treat"
NO_ADJUVANT: Final = "no_adjuvant"
NO_IMATINIB: Final = "no_imatinib"
DISCUSS: Final = "discuss"
SPECIALIST_ONLY: Final = "specialist_only"
DECISIONS: Final = (TREAT, NO_ADJUVANT, NO_IMATINIB, DISCUSS, SPECIALIST_ONLY)

# Modified NIH categories, lowest first (the order is used to compare risks).
VERY_LOW: Final = "very_low"
LOW: Final = "low"
INTERMEDIATE: Final = "intermediate"
HIGH: Final = "high"
MODIFIED_NIH_ORDER: Final = (VERY_LOW, LOW, INTERMEDIATE, HIGH)

AFIP_CATEGORIES: Final = ("none", "very_low", "low", "moderate", "high", "insufficient_data")

# Plan-time safety fields of the case (docs/clinical-facts.md §2.4, §5.4; issue 17).
HEPATIC_IMPAIRMENT: Final = ("none", "mild", "moderate", "severe")
RESECTION_MARGINS: Final = ("R0", "R1", "R2")
HBV_STATUSES: Final = ("negative", "past_infection", "chronic", "unknown")
MAX_CREATININE_CLEARANCE_ML_MIN: Final = 300.0  # data-entry sanity bound, not a clinical one
MAX_COMEDICATIONS: Final = 100  # data-entry sanity bounds
MAX_COMEDICATION_LENGTH: Final = 200

# §2.4 [C] S1: creatinine clearance bands (mL/min) and their dose limits.
RENAL_MILD_BELOW_ML_MIN: Final = 60.0  # 40-59: no more than 600 mg/day
RENAL_MODERATE_BELOW_ML_MIN: Final = 40.0  # 20-39: start at 50%, no more than 400 mg/day
RENAL_SEVERE_BELOW_ML_MIN: Final = 20.0  # < 20: use with caution, no starting dose given
RENAL_MILD_MAX_MG: Final = 600
RENAL_MODERATE_MAX_MG: Final = 400
RENAL_MODERATE_START_PERCENT: Final = 50
# §2.4 [C] S2: any liver impairment, start at the minimum recommended dose.
HEPATIC_EU_START_MAX_MG: Final = 400
# §1.2 decision mapping used to compare the two risk tables (DESIGN, rule
# ``flag.risk_tables_disagree``): the decision each category would lead to.
NIH_DECISION: Final[dict[str, str]] = {
    VERY_LOW: NO_ADJUVANT,
    LOW: NO_ADJUVANT,
    INTERMEDIATE: DISCUSS,
    HIGH: TREAT,
}
AFIP_DECISION: Final[dict[str, str]] = {
    "none": NO_ADJUVANT,
    "very_low": NO_ADJUVANT,
    "low": NO_ADJUVANT,
    "moderate": DISCUSS,
    "high": TREAT,
}  # insufficient_data: no comparison

# Flags (besides ``unconfirmed_rule:<rule id>``).
FLAG_MUTATION_TESTING_REQUIRED: Final = "mutation_testing_required"
FLAG_RUPTURE_DURATION_UNCERTAIN: Final = "rupture_duration_uncertain"
FLAG_AFIP_SITE_EXTRAPOLATED: Final = "afip_site_extrapolated"
FLAG_NON_DEFAULT_SETTINGS: Final = "non_default_settings"
UNCONFIRMED_FLAG_PREFIX: Final = "unconfirmed_rule:"
# Plan-time safety (issue 17)
FLAG_RENAL_DOSE_CAP: Final = "renal_dose_cap"
FLAG_RENAL_SEVERE: Final = "renal_severe_impairment"
FLAG_HEPATIC_DOSE_REDUCTION: Final = "hepatic_dose_reduction"
FLAG_RENAL_HEPATIC_NOT_CHECKED: Final = "renal_hepatic_not_checked"
INTERACTION_FLAG_PREFIX: Final = "cyp3a4_interaction:"
FLAG_COMEDICATIONS_NOT_RECOGNISED: Final = "comedications_not_recognised"
FLAG_DURATION_PROVISIONAL: Final = "duration_provisional"
FLAG_LATE_ADJUVANT_START: Final = "late_adjuvant_start"
FLAG_AGE_NOT_GIVEN: Final = "age_not_given"
FLAG_RISK_TABLES_DISAGREE: Final = "risk_tables_disagree"
FLAG_HBV_REACTIVATION_RISK: Final = "hbv_reactivation_risk"
FLAG_PREGNANCY_RISK: Final = "pregnancy_risk"
FLAG_RESECTION_R2: Final = "resection_r2"

ADJUVANT_HIGH_RISK_MONTHS: Final = 36  # §3.2 [C] S4 (also after rupture, [C] S5, S4)
ADULT_AGE_YEARS: Final = 18  # §1.2: age < 18 -> specialist only [C] S2, S34, S39

# --------------------------------------------------------------------------------------------
# Sources (docs/clinical-facts.md §11): the one registry for the whole guideline module.
# Each value is the citation a nurse reads: the primary reference only. How a source was read,
# when only a secondary copy could be, is in SOURCE_NOTES (for docs and tooltips, never in the
# sentence a nurse reads). The full entries, with addresses, are in §11.
# --------------------------------------------------------------------------------------------

SOURCES: Final[dict[str, str]] = {
    "S1": "Gleevec (imatinib) US Prescribing Information, Novartis",
    "S2": "Glivec (imatinib) EU Summary of Product Characteristics, Novartis Europharm",
    "S3": "Novartis product information for health-care professionals (gleevec.com and "
    "glivec.com adjuvant and safety pages)",
    "S4": "Joensuu H et al. One vs three years of adjuvant imatinib for operable GIST "
    "(SSG XVIII/AIO). JAMA 2012;307(12):1265-72",
    "S5": "Joensuu H et al. SSG XVIII/AIO 10-year survival update. J Clin Oncol 2020;38(15 "
    "suppl):11503",
    "S6": "DeMatteo RP et al. Adjuvant imatinib after resection of localised primary GIST "
    "(ACOSOG Z9001). Lancet 2009;373:1097-104",
    "S7": "Raut CP et al. Five-year adjuvant imatinib for resected GIST (PERSIST-5). "
    "JAMA Oncol 2018;4(12):e184060",
    "S8": "Casali PG et al. Adjuvant imatinib in localized GIST (EORTC 62024). "
    "J Clin Oncol 2015;33(36):4276-83",
    "S9": "MetaGIST. Comparison of two doses of imatinib in advanced GIST: meta-analysis of "
    "1,640 patients. J Clin Oncol 2010;28:1247-53",
    "S10": "Patel S, Zalcberg JR. Optimizing the dose of imatinib for GIST: lessons from the "
    "phase 3 trials. Eur J Cancer 2008;44:501-9",
    "S11": "Le Cesne A et al. Discontinuation of imatinib after 3 years in advanced GIST (BFR14). "
    "Lancet Oncol 2010;11:942-9; Blay JY et al. ASCO 2012, abstract 10095",
    "S12": "Phase III trials of imatinib 400 vs 800 mg in advanced GIST: SWOG S0033 (Blanke CD "
    "et al. J Clin Oncol 2008) and EORTC 62005 (Verweij J et al. Lancet 2004)",
    "S13": "Joensuu H. Risk stratification of patients diagnosed with GIST. "
    "Hum Pathol 2008;39:1411-9",
    "S14": "Fletcher CDM et al. Diagnosis of GIST: a consensus approach (NIH). "
    "Hum Pathol 2002;33:459-65",
    "S15": "Miettinen M, Lasota J. GIST: pathology and prognosis at different sites. "
    "Semin Diagn Pathol 2006;23:70-83",
    "S16": "NCI Common Terminology Criteria for Adverse Events (CTCAE) v5.0, NCI/CTEP, 27 Nov 2017",
    "S17": "NCI PRO-CTCAE item library v1.0 (items, attributes, scales, recall period, "
    "conditional branching)",
    "S18": "Basch E et al. Composite grading algorithm for PRO-CTCAE. Clin Trials "
    "2021;18(1):104-114",
    "S19": "Basch E et al. Symptom monitoring with patient-reported outcomes during routine "
    "cancer treatment (STAR). J Clin Oncol 2016;34(6):557-65",
    "S20": "SYMPATHY: web-based symptom monitoring during chemoradiation. Adv Radiat Oncol 2022",
    "S21": "Optimization of alert notifications in ePRO symptom monitoring (PRO-TECT, "
    "AFT-39). PMID 38771558",
    "S22": "Joensuu H et al. Follow-up strategies for GIST treated with or without adjuvant "
    "imatinib after surgery. Eur J Cancer 2015",
    "S23": "British Sarcoma Group guidelines for the management of GIST, 2025 update (follow-up)",
    "S24": "GIST mutations and their management (review). Cancers 2022;14(15):3689, Table 11",
    "S25": "Onkopedia guideline GIST, German Society of Haematology and Medical Oncology "
    "(DGHO), April 2024",
    "S26": "ESMO-EURACAN-GENTURIS Clinical Practice Guidelines for GIST (Casali PG et al. "
    "Ann Oncol 2022;33(1):20-33); NCCN Clinical Practice Guidelines in Oncology: "
    "Gastrointestinal Stromal Tumors",
    "S27": "GIST adherence studies (ADAGIO-GIST, Anticancer Res 2011; Patient Prefer Adherence "
    "2022 and 2021; Br J Cancer 2025)",
    "S28": "CML adherence studies (Marin D et al. J Clin Oncol 2010; Ibrahim AR et al. Blood "
    "2011; Noens L et al. Blood 2009; Leuk Res 2021)",
    "S30": "Schlemmer M et al. German phase II of imatinib 400 mg in GIST. "
    "Eur J Med Res 2011;16:206",
    "S32": "Park JH et al. Severe imatinib-associated skin rash in GIST. "
    "Cancer Res Treat 2016;48:162",
    "S33": "Nishida T et al. Standard diagnosis, treatment and follow-up of GIST based on "
    "guidelines. Gastric Cancer 2016;19:3-14",
    "S34": "The Life Raft Group: imatinib dosage (quoting the NCCN GIST guideline on KIT "
    "exon 9) and paediatric GIST risk pages",
    "S35": "Neoadjuvant imatinib: preoperative imatinib study (PMC5387273); Doyon C et al. "
    "Int J Surg Oncol 2012",
    "S35b": "Short pre-operative imatinib 600 mg/day, randomised phase II (McAuliffe JC et al. "
    "Ann Surg Oncol 2009)",
    "S36": "Gleevec (imatinib) US Prescribing Information, Novartis: §5 Warnings and precautions",
    "S37": "Gronchi A et al. Role of high-dose imatinib in GIST. Cancer 2010;116:1847-58",
    "S39": "Paediatric GIST biology and treatment (review). Cancer Chemother Pharmacol 2019",
    "S44": "Lu PW, Raut CP. Adjuvant therapy for primary GIST: is longer really better? (review)",
    "S45": "Imatinib 300 mg/day in GIST patients intolerant of 400 mg. Medicine (Baltimore) "
    "2016;95:e5488",
    "S47": "Chiang KC et al. World J Gastroenterol 2006;12:2060 (imaging at 1 and 3 months, "
    "then 3-monthly)",
}

# How a source was read, where that matters (docs and tooltips only; §11 has the addresses).
SOURCE_NOTES: Final[dict[str, str]] = {
    "S1": "Read in a secondary copy (the label text on a third-party site), not on DailyMed; "
    "re-verify against the primary.",
    "S2": "Read in a secondary copy (the SmPC text on a third-party site), not on the EMA site; "
    "re-verify against the primary.",
    "S5": "Abstract read; the long-term figures were read in a secondary copy (a table in a "
    "2022 review).",
    "S6": "Abstract and publication record read; the table was read in a review (PMC6773539).",
    "S8": "Read in a secondary copy (the results as tabulated in two reviews); re-verify "
    "against the primary.",
    "S12": "Read in a secondary copy (the trial results as tabulated in three reviews); "
    "re-verify against the primary.",
    "S13": "Abstract read; the table was read in a secondary copy (two reproductions).",
    "S14": "Read in a secondary copy (the table as reproduced on a patient site).",
    "S15": "Read in a secondary copy (ISRN 2012 Table 2; NCI PDQ Table 1).",
    "S16": "Read in a secondary copy (a transcription of the NCI spreadsheet, cross-checked); "
    "re-verify against the primary.",
    "S17": "Recall period read at NCI; item wording, scales and branching were read in "
    "secondary copies (transcriptions, CDISC); re-verify against the NCI library.",
    "S18": "Abstract read; the composite table was read in the authors' group's public "
    "implementation; re-check against the paper's table.",
    "S19": "Read in a secondary copy of the PubMed Central article.",
    "S21": "Abstract read in a secondary copy.",
    "S23": "The guideline itself was not read, only a secondary summary; re-verify against "
    "the published guideline.",
    "S26": "Neither guideline's own text was read, only secondary summaries; re-verify against "
    "the published guidelines.",
    "S27": "ADAGIO-GIST read in a secondary copy of its PubMed record.",
    "S34": "Patient-organisation pages; the NCCN quote is read in a secondary copy; re-verify "
    "against the NCCN guideline.",
    "S35b": "Read only in a secondary summary; the paper was identified from it and not read; "
    "re-verify.",
    "S36": "Read in a secondary copy (a summary of the label's warnings); re-verify on DailyMed.",
    "S44": "Narrative review; the relevant text was truncated where it was read.",
}

# --------------------------------------------------------------------------------------------
# Rules: id -> status, sources, text
# --------------------------------------------------------------------------------------------

C: Final = "C"
C_2ND: Final = "C-2nd"
UNCONFIRMED: Final = "UNCONFIRMED"
DESIGN: Final = "DESIGN"
STATUSES: Final = (C, C_2ND, UNCONFIRMED, DESIGN)


@dataclass(frozen=True)
class Rule:
    """One clinical rule: what it says, where it comes from, and how sure we are."""

    id: str
    status: str
    sources: tuple[str, ...]
    text: str

    @property
    def needs_flag(self) -> bool:
        """UNCONFIRMED and DESIGN rules must be visible as such in every output they shape."""
        return self.status in (UNCONFIRMED, DESIGN)


def _rules(*rules: Rule) -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for rule in rules:
        assert rule.id not in table, rule.id
        assert rule.status in STATUSES, rule.id
        assert rule.sources, rule.id
        table[rule.id] = rule
    return table


# Texts may hold ``{placeholders}`` filled in by the recommendation (doses, months).
RULES: Final[dict[str, Rule]] = _rules(
    # ---- risk (§4) ------------------------------------------------------------------------
    Rule(
        "risk.modified_nih",
        C,
        ("S13", "S14"),
        "Modified NIH (Joensuu 2008) risk of recurrence: {category} ({row}).",
    ),
    Rule(
        "risk.modified_nih.small_non_gastric_mitotic",
        UNCONFIRMED,
        ("S13", "S14"),
        "Non-gastric tumour of 2.0 cm or less with 6-10 mitoses/50 HPF: classified as "
        "{category}. NIH 2002 and the Joensuu abstract give intermediate; one circulated copy "
        "of the table gives high. Edge case not settled in the sources.",
    ),
    Rule(
        "risk.afip",
        C,
        ("S15",),
        "AFIP (Miettinen-Lasota 2006) risk of progressive disease for the {column} column: "
        "{category}{percent}.",
    ),
    Rule(
        "risk.afip.site_extrapolated",
        UNCONFIRMED,
        ("S15",),
        "The AFIP table has no column for {site}; the {column} column is used instead "
        "(extrapolated).",
    ),
    Rule(
        "risk.paediatric_caution",
        C,
        ("S34", "S39"),
        "Adult risk tables should not be used for paediatric-type GIST; the risk shown is for "
        "information only.",
    ),
    # ---- decisions (§1.2, §10 eligibility; first match wins in this order) -------------------
    Rule(
        "decision.pdgfra_d842v",
        C,
        ("S25", "S24", "S7"),
        "PDGFRA exon 18 D842V is primarily resistant to imatinib (and sunitinib): do not use "
        "imatinib. In advanced disease refer: avapritinib is the treatment of choice.",
    ),
    Rule(
        "decision.adjuvant_sdh_deficient_or_wild_type",
        C,
        ("S25", "S24"),
        "SDH-deficient or KIT/PDGFRA wild-type GIST is considered imatinib-insensitive and is "
        "often indolent: no adjuvant imatinib.",
    ),
    Rule(
        "decision.adjuvant_nf1",
        C,
        ("S24", "S26"),
        "NF1-related GIST is insensitive to imatinib in advanced disease: no adjuvant imatinib.",
    ),
    Rule(
        "decision.adjuvant_braf_ntrk",
        C,
        ("S24",),
        "BRAF V600E and NTRK-fusion GIST are resistant to standard GIST TKIs: no adjuvant "
        "imatinib; specialist review.",
    ),
    Rule(
        "decision.advanced_sdh_deficient_or_wild_type",
        C,
        ("S25", "S24"),
        "SDH-deficient or KIT/PDGFRA wild-type GIST: specialist decision; avoid routine TKI.",
    ),
    Rule(
        "decision.advanced_braf_ntrk",
        C,
        ("S24",),
        "BRAF V600E and NTRK-fusion GIST are resistant to standard GIST TKIs: specialist decision.",
    ),
    Rule(
        "decision.advanced_nf1",
        DESIGN,
        ("S24",),
        "NF1-related GIST is insensitive to imatinib in advanced disease; no source gives an "
        "action for this setting, so no automatic plan: specialist decision.",
    ),
    Rule(
        "decision.neoadjuvant_insensitive_genotype",
        DESIGN,
        ("S24", "S25"),
        "{genotype} GIST is considered insensitive to imatinib; no source gives a "
        "pre-operative rule, so no automatic plan: specialist decision.",
    ),
    Rule(
        "decision.paediatric",
        C,
        ("S2", "S34", "S39"),
        "Age under 18: safety and efficacy of imatinib in children with GIST are not "
        "established and there is no paediatric posology; paediatric GIST is mostly "
        "SDH-deficient or KIT/PDGFRA wild-type. Specialist only, no automatic plan.",
    ),
    Rule(
        "decision.adjuvant_low_risk",
        C_2ND,
        ("S26", "S13"),
        "Adjuvant setting, {category} risk: risk-benefit does not favour adjuvant imatinib "
        "(benefit is concentrated in high risk).",
    ),
    Rule(
        "decision.adjuvant_intermediate_risk",
        UNCONFIRMED,
        ("S6", "S8"),
        "Adjuvant setting, intermediate risk: no automatic plan, discuss. Evidence is mainly "
        "for high risk; Z9001 (3 cm or more, 1 year) and EORTC 62024 (intermediate and high "
        "risk, 2 years) improved recurrence-free survival without a clear overall survival "
        "benefit.",
    ),
    Rule(
        "decision.adjuvant_high_risk",
        C,
        ("S1", "S4"),
        "Adjuvant setting, high risk after complete gross resection: adjuvant imatinib "
        "(SSG XVIII: 3 years better than 1 year for recurrence-free and overall survival).",
    ),
    Rule(
        "decision.neoadjuvant",
        C_2ND,
        ("S26", "S35"),
        "Neoadjuvant setting: imatinib for cytoreduction before surgery, then continued as "
        "adjuvant treatment.",
    ),
    Rule(
        "decision.advanced",
        C,
        ("S1", "S11"),
        "Unresectable, metastatic or recurrent GIST: first-line imatinib, continuous.",
    ),
    # ---- flags that are not decisions -------------------------------------------------------
    Rule(
        "flag.mutation_testing_required",
        C,
        ("S25",),
        "Mutation status unknown: mutational analysis is required before adjuvant or systemic "
        "decisions; this plan is provisional until the result is known.",
    ),
    # ---- dose (§2) --------------------------------------------------------------------------
    Rule(
        "dose.advanced_standard",
        C,
        ("S1", "S12", "S3"),
        "400 mg once daily, with a meal and a large glass of water.",
    ),
    Rule(
        "dose.advanced_kit_exon_9",
        C,
        ("S9", "S10", "S37"),
        "KIT exon 9: 800 mg/day given as 400 mg twice daily (the only genotype with a "
        "progression-free survival benefit from the high dose), with meals.",
    ),
    Rule(
        "dose.adjuvant_standard",
        C,
        ("S1", "S4", "S6", "S7"),
        "400 mg once daily, with a meal and a large glass of water.",
    ),
    Rule(
        "dose.adjuvant_kit_exon_9_nccn",
        UNCONFIRMED,
        ("S34", "S33"),
        "KIT exon 9, NCCN profile: {mg} mg/day (label dose); 800 mg optional (ESMO practice, "
        "low evidence). Guidelines differ on the exon 9 dose.",
    ),
    Rule(
        "dose.adjuvant_kit_exon_9_esmo",
        C_2ND,
        ("S26", "S24", "S33"),
        "KIT exon 9, ESMO profile: 800 mg/day given as 400 mg twice daily, extrapolated from "
        "advanced disease (no prospective adjuvant evidence). Guidelines differ on this dose.",
    ),
    Rule(
        "dose.neoadjuvant_standard",
        UNCONFIRMED,
        ("S1", "S26", "S35b"),
        "{mg} mg/day as in advanced disease; this neoadjuvant default is not confirmed in the "
        "retrieved text (one phase II of very short pre-operative exposure used 600 mg/day).",
    ),
    Rule(
        "dose.neoadjuvant_kit_exon_9",
        UNCONFIRMED,
        ("S9", "S10"),
        "KIT exon 9: {mg} mg/day as in advanced disease (common practice, not confirmed in the "
        "retrieved text for the neoadjuvant setting).",
    ),
    Rule(
        "dose.administration",
        C,
        ("S34", "S3"),
        "400 mg and 600 mg are given once daily; 800 mg as 400 mg twice daily. Take with food "
        "and a large glass of water to limit stomach irritation.",
    ),
    # ---- duration (§3) ----------------------------------------------------------------------
    Rule(
        "duration.adjuvant_high_risk",
        C,
        ("S4",),
        "High risk: 36 months of adjuvant imatinib (SSG XVIII: 5-year recurrence-free survival "
        "65.6% vs 47.9% and overall survival 92.0% vs 81.7% for 3 vs 1 year).",
    ),
    Rule(
        "duration.adjuvant_rupture",
        C,
        ("S5", "S4"),
        "Tumour rupture (automatically high risk): 36 months by default, as in SSG XVIII where "
        "18% of patients had rupture. The optimal duration after rupture is unknown; a longer "
        "course may be considered (not confirmed: only trials in progress).",
    ),
    Rule(
        "duration.adjuvant_intermediate_risk",
        UNCONFIRMED,
        ("S6", "S4"),
        "Intermediate risk: no automatic duration. If the clinician decides to treat: 12 months "
        "(Z9001 evidence) or 36 months, entered by the clinician.",
    ),
    Rule(
        "duration.neoadjuvant_preoperative",
        C_2ND,
        ("S26", "S35"),
        "Pre-operative phase: continue until maximal response (no further shrinkage between "
        "two successive CT scans), typically 6-12 months; do not delay surgery for bleeding or "
        "symptoms. Post-operative continuation is decided on the final pathology.",
    ),
    Rule(
        "duration.neoadjuvant_total",
        UNCONFIRMED,
        ("S44",),
        "High risk: continue after surgery to complete {months} months in total, counted from "
        "the start of neoadjuvant imatinib (widely practised; not confirmed in retrieved text).",
    ),
    Rule(
        "duration.advanced_indefinite",
        C,
        ("S11",),
        "Advanced disease: continue until progression, intolerance or patient decision; no "
        "planned end date (BFR14: stopping after 1, 3 or 5 years led to rapid relapse).",
    ),
    Rule(
        "duration.end_date_calendar_months",
        DESIGN,
        ("S4",),
        "Planned end date = start date + {months} calendar months (the month's last day when "
        "the day does not exist). How dose holds count toward the course is not stated in any "
        "source: the end date is not moved for holds; exposure is reviewed by the clinician.",
    ),
    # ---- review points (§5.4, §8) -----------------------------------------------------------
    Rule(
        "review.schedule",
        DESIGN,
        ("S36", "S1", "S22"),
        "Review points built from the label monitoring advice and follow-up tables: blood "
        "counts weekly in weeks 1-4 and every 2 weeks in weeks 5-8; liver tests before "
        "starting and monthly; imaging as below; weight and fluid signs at every visit. After "
        "week 8 blood counts are checked periodically at an interval the clinician sets.",
    ),
    Rule(
        "review.blood_counts",
        C_2ND,
        ("S36",),
        "Blood counts: weekly for the first month, every 2 weeks in the second month, then "
        "periodically.",
    ),
    Rule(
        "review.liver_tests",
        C,
        ("S1",),
        "Liver tests (transaminases, bilirubin, alkaline phosphatase): before starting, then "
        "monthly or as clinically indicated.",
    ),
    Rule(
        "review.imaging_adjuvant",
        C,
        ("S22", "S23", "S26"),
        "Imaging during adjuvant imatinib: CT (or MRI) abdomen-pelvis every {months} months "
        "(sources give 3-6 months; 6-monthly is sufficient during adjuvant treatment). After "
        "stopping, high risk: every 3 months for 2 years, then 6-monthly to year 5, then "
        "annually to about 10 years.",
    ),
    Rule(
        "review.imaging_neoadjuvant",
        C_2ND,
        ("S26", "S35"),
        "Neoadjuvant: early response assessment (CT, with or without PET) and reassessment at "
        "each CT; surgery at maximal response, usually 6-12 months after the start.",
    ),
    Rule(
        "review.imaging_advanced",
        UNCONFIRMED,
        ("S47",),
        "Advanced disease: CT response assessment at {first} months, then every {months} "
        "months (one published series used 1 and 3 months, then every 3 months; the guideline "
        "interval is not confirmed).",
    ),
    Rule(
        "review.horizon",
        DESIGN,
        ("S11",),
        "No planned end date: review points are listed for the first {months} months only; "
        "later ones follow the same pattern or are set when the plan is reviewed.",
    ),
    Rule(
        "review.done_window",
        DESIGN,
        ("S1", "S36"),
        "A lab result of the right kind taken up to {days} days before a review point's date, "
        "or any time after it, marks the point done (one result, one point).",
    ),
    Rule(
        "review.overdue",
        DESIGN,
        ("S1", "S36"),
        "A liver-test or blood-count review point not done {days} days after its date is "
        "overdue and alerts the care team once.",
    ),
    Rule(
        "review.blood_counts_after_week_8",
        DESIGN,
        ("S36",),
        "After week 8 the label says to check blood counts periodically, without an interval: "
        "they are listed every {months} month(s), a product default the clinician may change.",
    ),
    Rule(
        "review.hbv_serology",
        UNCONFIRMED,
        ("S2", "S36"),
        "Hepatitis B: reactivation has been reported in carriers of hepatitis B virus treated "
        "with BCR-ABL tyrosine kinase inhibitors, imatinib included. Test for hepatitis B "
        "infection before starting.",
    ),
    Rule(
        "review.tsh_thyroidectomy",
        C_2ND,
        ("S36",),
        "Thyroidectomy: hypothyroidism has been reported in thyroidectomy patients taking "
        "levothyroxine during imatinib; monitor TSH closely. Listed before starting and every "
        "{months} month(s) (the interval is a product default).",
    ),
    Rule(
        "review.pregnancy",
        UNCONFIRMED,
        ("S1", "S2"),
        "Pregnancy: imatinib can harm an unborn baby. For a woman who could become pregnant: a "
        "pregnancy test before starting, and effective contraception during treatment and for "
        "{days} days after the last dose.",
    ),
    # ---- plan-time safety (§1.2, §2.4, §3.1, §4, §5.4; issue 17) ---------------------------
    Rule(
        "flag.age_not_given",
        C,
        ("S2", "S34", "S39"),
        "Age not given: a patient under 18 cannot be excluded. There is no paediatric posology "
        "for GIST and adult risk tables do not apply to paediatric-type GIST; give the age "
        "before relying on this plan.",
    ),
    Rule(
        "flag.renal_hepatic_not_checked",
        C,
        ("S1", "S2"),
        "{missing} not given: the label's kidney and liver dose rules were not checked. Give "
        "the creatinine clearance and the degree of liver impairment (none if none) before "
        "confirming the dose.",
    ),
    Rule(
        "dose.renal_mild",
        C,
        ("S1",),
        "Mild renal impairment (creatinine clearance {crcl} mL/min, 40-59): doses above "
        "600 mg/day are not recommended.{change}",
    ),
    Rule(
        "dose.renal_moderate",
        C,
        ("S1",),
        "Moderate renal impairment (creatinine clearance {crcl} mL/min, 20-39): start at 50% "
        "of the recommended dose and do not go above 400 mg/day; later doses may be increased "
        "as tolerated within that limit.{change}",
    ),
    Rule(
        "dose.renal_below_gist_ladder",
        DESIGN,
        ("S1", "S45"),
        "{mg} mg/day (50% of {recommended} mg) is below 300 mg/day, the lowest GIST level of "
        "the label's reduction ladder, and there are no GIST outcome data at this dose. The "
        "label's 50% start is kept rather than rounded up to 300 mg; the clinician confirms "
        "the dose and may increase it as tolerated.",
    ),
    Rule(
        "decision.renal_severe",
        C,
        ("S1",),
        "Severe renal impairment (creatinine clearance {crcl} mL/min, below 20): the label "
        "says use with caution (100 mg/day was tolerated in 2 patients) and gives no starting "
        "dose. No automatic plan: specialist decision.",
    ),
    Rule(
        "dose.hepatic_eu_minimum",
        C,
        ("S2",),
        "{grade} liver impairment: start at the minimum recommended dose, 400 mg/day, and "
        "reduce it if not tolerated (EU SmPC).{change}",
    ),
    Rule(
        "dose.hepatic_severe",
        UNCONFIRMED,
        ("S1", "S2"),
        "Severe liver impairment: the US label reduces the recommended dose by {percent}% "
        "({recommended} to {reduced} mg/day); the EU SmPC says start at 400 mg/day. The "
        "{percent}% figure is not confirmed in the label text read so far. Proposed: {mg} "
        "mg/day, the lower of the two.",
    ),
    Rule(
        "dose.organ_function_combined",
        DESIGN,
        ("S1", "S2"),
        "Kidney and liver impairment together: no source gives a combined rule, so the lower "
        "of the two doses is proposed ({mg} mg/day).",
    ),
    Rule(
        "decision.organ_function_no_dose_level",
        DESIGN,
        ("S1", "S45"),
        "The kidney and liver dose rules leave {raw} mg/day, below every dose the module "
        "proposes (200 mg/day, and 300-800 mg/day on the GIST ladder): no automatic plan, "
        "specialist decision.",
    ),
    Rule(
        "interaction.strong_cyp3a4_inhibitor",
        UNCONFIRMED,
        ("S1", "S2"),
        "{given}: {name} is a strong CYP3A4 inhibitor and may increase imatinib exposure. "
        "Avoid the combination where possible (an alternative without strong CYP3A4 "
        "inhibition); if it must be given, monitor closely for imatinib side effects.",
    ),
    Rule(
        "interaction.strong_cyp3a4_inducer",
        UNCONFIRMED,
        ("S1", "S2"),
        "{given}: {name} is a strong CYP3A4 inducer and may reduce imatinib exposure. Avoid "
        "the combination (an alternative with less enzyme induction); if it must be given, the "
        "label advises increasing the imatinib dose by at least 50% and monitoring the "
        "clinical response carefully.",
    ),
    Rule(
        "interaction.cyp3a4_substrate",
        UNCONFIRMED,
        ("S1", "S2"),
        "{given}: imatinib may raise the blood levels of {name}, a CYP3A4 substrate with a "
        "narrow therapeutic window: use with caution and monitor.",
    ),
    Rule(
        "interaction.warfarin",
        UNCONFIRMED,
        ("S1", "S2"),
        "{given}: imatinib may increase warfarin exposure (CYP2C9 and CYP3A4). Patients who "
        "need anticoagulation should receive low-molecular-weight or standard heparin instead "
        "of warfarin.",
    ),
    Rule(
        "interaction.grapefruit",
        UNCONFIRMED,
        ("S1",),
        "{given}: grapefruit juice may increase imatinib exposure; avoid it during treatment.",
    ),
    Rule(
        "interaction.not_recognised",
        DESIGN,
        ("S1",),
        "Not on the module's interaction list, kept as given and not checked: {names}. A "
        "pharmacist or clinician checks them against the imatinib label.",
    ),
    Rule(
        "duration.provisional_until_pathology",
        C_2ND,
        ("S26", "S35"),
        "Neoadjuvant plan: the duration is provisional until the resection's pathology. "
        "{detail}After the operation, add surgery_date and resection_margin to the case to "
        "complete the plan.",
    ),
    Rule(
        "risk.mitoses_not_given",
        C,
        ("S13", "S15"),
        "No mitotic count (biopsies often lack one): modified NIH risk {nih}; AFIP risk "
        "{afip}. The resection's pathology gives the count.",
    ),
    Rule(
        "flag.late_adjuvant_start",
        C,
        ("S4",),
        "Adjuvant imatinib starts {days} days after surgery, later than {weeks} weeks: SSG "
        "XVIII, the trial behind the 36-month course, started imatinib within 12 weeks of "
        "surgery, so its benefit after a later start is not known from that trial.",
    ),
    Rule(
        "decision.resection_r2",
        DESIGN,
        ("S1", "S26"),
        "Resection margin R2 (macroscopic residual tumour): not a complete gross resection, so "
        "the adjuvant rules do not apply and residual GIST is managed as advanced disease. No "
        "automatic adjuvant plan: specialist decision.",
    ),
    Rule(
        "duration.neoadjuvant_r2",
        DESIGN,
        ("S1", "S11"),
        "Resection margin R2 after neoadjuvant imatinib: macroscopic tumour remains and is "
        "managed as advanced disease, so imatinib continues with no planned end date "
        "(specialist review).",
    ),
    Rule(
        "flag.risk_tables_disagree",
        DESIGN,
        ("S13", "S15"),
        "The two risk tables lead to different decisions: modified NIH {nih} ({nih_decision}), "
        "AFIP {afip}{pct} ({afip_decision}). The plan follows the modified NIH table (the SSG "
        "XVIII basis); the clinician weighs the difference. Compared as: NIH very low or low, "
        "AFIP none, very low or low: no adjuvant; NIH intermediate, AFIP moderate: discuss; "
        "high: treat.",
    ),
    Rule(
        "flag.hbv_reactivation_risk",
        UNCONFIRMED,
        ("S2", "S36"),
        "Hepatitis B status {status}: risk of hepatitis B reactivation on imatinib. Consult a "
        "liver specialist before starting and monitor for active hepatitis B during treatment "
        "and for several months after it.",
    ),
    Rule(
        "flag.pregnancy_risk",
        UNCONFIRMED,
        ("S1", "S2"),
        "Pregnant or planning a pregnancy: imatinib can harm an unborn baby and is not "
        "recommended in pregnancy unless the benefit outweighs the risk. Specialist "
        "discussion before starting.",
    ),
)

# --------------------------------------------------------------------------------------------
# Changeable defaults for UNCONFIRMED / DESIGN rules
# --------------------------------------------------------------------------------------------

REDUCTION_LADDER_MG: Final = (800, 600, 400, 300)  # §5.1 [C] S1; below 300 UNCONFIRMED (S45)
# 200 mg/day is not a GIST ladder level: it is the label's 50% start in moderate renal
# impairment (§2.4 [C] S1, 50% of 400 mg), given once daily.
RENAL_START_MG: Final = 200
DOSES_PER_DAY: Final[dict[int, int]] = {200: 1, 300: 1, 400: 1, 600: 1, 800: 2}  # §2.1 [C] S34
PROPOSED_DOSE_LEVELS_MG: Final = (800, 600, 400, 300, RENAL_START_MG)  # what recommend proposes


@dataclass(frozen=True)
class GuidelineSettings:
    """Defaults docs/clinical-facts.md marks UNCONFIRMED or DESIGN, changeable by an administrator.

    The values here are that page's stated defaults. Passing other values to
    ``recommend`` adds the flag ``non_default_settings`` to its output.
    """

    # §4.1 note: non-gastric, <= 2.0 cm, 6-10 mitoses. "intermediate" or "high".
    small_non_gastric_mitotic_risk: str = INTERMEDIATE
    # §2.2 DESIGN: adjuvant KIT exon 9 dose under the NCCN profile.
    adjuvant_kit_exon_9_nccn_mg: int = 400
    # §2.1: neoadjuvant doses (UNCONFIRMED).
    neoadjuvant_mg: int = 400
    neoadjuvant_kit_exon_9_mg: int = 800
    # §3.2: total months from neoadjuvant start when risk was high (UNCONFIRMED).
    neoadjuvant_total_months: int = 36
    # §4.2: AFIP column for sites the table lacks (DESIGN/UNCONFIRMED).
    afip_extrapolation_column: str = "jejunum_ileum"
    # §8: imaging interval during adjuvant imatinib (sources give 3-6 months; S22 6-monthly).
    adjuvant_imaging_interval_months: int = 6
    # DESIGN: how far ahead to list review points when the plan has no end date.
    indefinite_review_horizon_months: int = 24
    # §3.2 neoadjuvant pre-operative phase, typically 6-12 months (C-2nd): the surgical
    # review points, in months from the start.
    neoadjuvant_surgical_review_months: tuple[int, ...] = (6, 12)
    # §5.4 "then periodically" (no interval in the label): blood counts after week 8, DESIGN.
    blood_count_interval_after_week_8_months: int = 1
    # §8 advanced imaging (UNCONFIRMED; one series, S47): first scans, then the interval.
    advanced_imaging_first_months: tuple[int, ...] = (1, 3)
    advanced_imaging_interval_months: int = 3
    # §2.4 severe liver impairment: US label 25% reduction (UNCONFIRMED).
    severe_hepatic_reduction_percent: int = 25
    # §3.1 SSG XVIII started within 12 weeks of surgery ([C] S4); later is flagged (DESIGN use).
    adjuvant_start_within_weeks: int = 12
    # §5.4 TSH "closely" in thyroidectomy patients (C-2nd): the interval is DESIGN.
    thyroidectomy_tsh_interval_months: int = 1
    # Label pregnancy advice (UNCONFIRMED, not in the fact base): contraception after the last
    # dose, in days.
    contraception_days_after_last_dose: int = 14
    # DESIGN (issue 17): a lab result taken up to this many days before a review point's date
    # (or any time after it) marks the point done.
    review_done_window_days: int = 7
    # DESIGN (issue 17): a liver-test or blood-count point still not done this many days after
    # its date is overdue, and alerts the care team once.
    review_overdue_after_days: int = 7

    def __post_init__(self) -> None:
        if self.small_non_gastric_mitotic_risk not in (INTERMEDIATE, HIGH):
            raise ValueError("small_non_gastric_mitotic_risk must be intermediate or high")
        for name in ("adjuvant_kit_exon_9_nccn_mg", "neoadjuvant_mg", "neoadjuvant_kit_exon_9_mg"):
            if getattr(self, name) not in REDUCTION_LADDER_MG:
                raise ValueError(f"{name} must be one of {sorted(REDUCTION_LADDER_MG)}")
        if self.afip_extrapolation_column not in AFIP_COLUMNS:
            raise ValueError(f"afip_extrapolation_column must be one of {AFIP_COLUMNS}")
        for name in (
            "neoadjuvant_total_months",
            "adjuvant_imaging_interval_months",
            "indefinite_review_horizon_months",
            "blood_count_interval_after_week_8_months",
            "advanced_imaging_interval_months",
            "adjuvant_start_within_weeks",
            "thyroidectomy_tsh_interval_months",
            "contraception_days_after_last_dose",
            "review_done_window_days",
            "review_overdue_after_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number, at least 1")
        for name in ("neoadjuvant_surgical_review_months", "advanced_imaging_first_months"):
            months = getattr(self, name)
            if (
                not isinstance(months, (tuple, list))
                or not months
                or not all(
                    isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in months
                )
            ):
                raise ValueError(f"{name} must be whole months, at least 1")
        percent = self.severe_hepatic_reduction_percent
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent < 100:
            raise ValueError("severe_hepatic_reduction_percent must be a whole number, 0 to 99")


# --------------------------------------------------------------------------------------------
# §4.1 Modified NIH (Joensuu 2008). Evaluate top-down; the first matching row wins.
# --------------------------------------------------------------------------------------------

GASTRIC_SITES: Final = frozenset({"stomach"})  # every other site is non-gastric (S13)


@dataclass(frozen=True)
class Band:
    """A numeric band: above ``above`` (exclusive) and up to ``up_to`` (inclusive)."""

    above: float | None = None
    up_to: float | None = None

    def contains(self, value: float) -> bool:
        return (self.above is None or value > self.above) and (
            self.up_to is None or value <= self.up_to
        )

    def describe(self, unit: str) -> str:
        if self.above is None and self.up_to is None:
            return f"any {unit}"
        if self.above is None:
            return f"<= {self.up_to:g} {unit}"
        if self.up_to is None:
            return f"> {self.above:g} {unit}"
        return f"> {self.above:g} to <= {self.up_to:g} {unit}"


ANY: Final = Band()


@dataclass(frozen=True)
class NihRow:
    """One row of the modified NIH table. ``site`` is "gastric", "non_gastric" or None (any)."""

    order: str
    category: str
    size_cm: Band
    mitoses: Band
    site: str | None = None
    rupture_only: bool = False
    sources: tuple[str, ...] = ("S13", "S14")
    rule_id: str = "risk.modified_nih"


# Row 7 of clinical facts §4.1 is split: gastric (confirmed) and non-gastric <= 2.0 cm (the
# ambiguous cell; its category comes from GuidelineSettings.small_non_gastric_mitotic_risk).
MODIFIED_NIH_ROWS: Final = (
    NihRow("1", HIGH, ANY, ANY, rupture_only=True, sources=("S13",)),
    NihRow("2", HIGH, Band(above=10.0), ANY),
    NihRow("3", HIGH, ANY, Band(above=10)),
    NihRow("4", HIGH, Band(above=5.0), Band(above=5)),
    NihRow("5", HIGH, Band(2.0, 5.0), Band(above=5), site="non_gastric", sources=("S13",)),
    NihRow("6", HIGH, Band(5.0, 10.0), Band(up_to=5), site="non_gastric", sources=("S13",)),
    NihRow("7", INTERMEDIATE, Band(up_to=5.0), Band(5, 10), site="gastric"),
    NihRow(
        "7b",
        INTERMEDIATE,
        Band(up_to=2.0),
        Band(5, 10),
        site="non_gastric",
        rule_id="risk.modified_nih.small_non_gastric_mitotic",
    ),
    NihRow("8", INTERMEDIATE, Band(5.0, 10.0), Band(up_to=5), site="gastric", sources=("S13",)),
    NihRow("9", LOW, Band(2.0, 5.0), Band(up_to=5)),
    NihRow("10", VERY_LOW, Band(up_to=2.0), Band(up_to=5)),
)

# --------------------------------------------------------------------------------------------
# §4.2 AFIP / Miettinen-Lasota 2006: (category, % progressive disease or None)
# --------------------------------------------------------------------------------------------

AFIP_COLUMNS: Final = ("gastric", "duodenum", "jejunum_ileum", "rectum")
AFIP_SITE_COLUMN: Final[dict[str, str]] = {
    "stomach": "gastric",
    "duodenum": "duodenum",
    "jejunum_ileum": "jejunum_ileum",
    "rectum": "rectum",
}
# Sites the table lacks (colon, esophagus, extra-gastrointestinal) use
# GuidelineSettings.afip_extrapolation_column and are flagged "afip_site_extrapolated".

AFIP_MITOSES_BANDS: Final = (("<=5", Band(up_to=5)), (">5", Band(above=5)))
AFIP_SIZE_BANDS: Final = (
    ("<=2", Band(up_to=2.0)),
    (">2-5", Band(2.0, 5.0)),
    (">5-10", Band(5.0, 10.0)),
    (">10", Band(above=10.0)),
)

_N = "none"
_VL = "very_low"
_L = "low"
_M = "moderate"
_H = "high"
_ID = "insufficient_data"

# (mitoses band, size band) -> gastric, duodenum, jejunum/ileum, rectum. † cells (no % given)
# carry None. Duodenum 3b: 52% (Hindawi, PDQ; one reproduction says 54%). Rectum 6b: 71%
# (PDQ prints "7", a typo).
AFIP_TABLE: Final[dict[tuple[str, str], tuple[tuple[str, float | None], ...]]] = {
    ("<=5", "<=2"): ((_N, 0.0), (_N, 0.0), (_N, 0.0), (_N, 0.0)),  # group 1
    ("<=5", ">2-5"): ((_VL, 1.9), (_L, 4.3), (_L, 8.3), (_L, 8.5)),  # group 2
    ("<=5", ">5-10"): ((_L, 3.6), (_M, 24.0), (_ID, None), (_ID, None)),  # group 3a
    ("<=5", ">10"): ((_M, 10.0), (_H, 52.0), (_H, 34.0), (_H, 57.0)),  # group 3b
    (">5", "<=2"): ((_N, None), (_H, None), (_ID, None), (_H, 54.0)),  # group 4
    (">5", ">2-5"): ((_M, 16.0), (_H, 73.0), (_H, 50.0), (_H, 52.0)),  # group 5
    (">5", ">5-10"): ((_H, 55.0), (_H, 85.0), (_ID, None), (_ID, None)),  # group 6a
    (">5", ">10"): ((_H, 86.0), (_H, 90.0), (_H, 86.0), (_H, 71.0)),  # group 6b
}

# --------------------------------------------------------------------------------------------
# Review-point data (§5.4, §8; the schedule as a whole is DESIGN)
# --------------------------------------------------------------------------------------------

BLOOD_COUNT_DAYS: Final = (7, 14, 21, 28, 42, 56)  # weekly weeks 1-4, 2-weekly weeks 5-8
# After week 8: GuidelineSettings.blood_count_interval_after_week_8_months (DESIGN).
# Advanced imaging: GuidelineSettings.advanced_imaging_first_months / _interval_months (S47).

WHAT_BLOOD_COUNTS: Final = "Blood counts (full blood count with differential and platelets)"
WHAT_LIVER_TESTS: Final = "Liver tests (transaminases, bilirubin, alkaline phosphatase)"
WHAT_LIVER_TESTS_BASELINE: Final = "Liver tests before starting (baseline)"
WHAT_IMAGING: Final = "Imaging: CT (or MRI) abdomen-pelvis"
WHAT_IMAGING_RESPONSE: Final = "Imaging: CT response assessment"
WHAT_SURGICAL_REVIEW: Final = (
    "Imaging and surgical review: operate at maximal response (no further shrinkage between "
    "two successive CT scans)"
)
WHAT_HBV_SEROLOGY: Final = "Hepatitis B serology before starting (HBsAg, anti-HBc)"
WHAT_HBV_SPECIALIST: Final = (
    "Hepatitis B: liver specialist advice before starting; monitor for reactivation"
)
WHAT_TSH_BASELINE: Final = "TSH before starting (thyroidectomy, on levothyroxine)"
WHAT_TSH: Final = "TSH (thyroidectomy, on levothyroxine)"
WHAT_PREGNANCY: Final = (
    "Pregnancy test before starting for a woman who could become pregnant; contraception advice"
)
WHAT_PREGNANCY_SPECIALIST: Final = (
    "Pregnant or planning a pregnancy: specialist discussion before starting; contraception advice"
)
WHAT_END_OF_TREATMENT: Final = (
    "End of planned imatinib: clinic review; start post-treatment follow-up (imaging every "
    "3 months for 2 years when risk was high)"
)

# --------------------------------------------------------------------------------------------
# §5 Dose modification for toxicity (label)
# --------------------------------------------------------------------------------------------

# Liver (§5.1, [C] S1, S2): withhold if bilirubin > 3 x ULN or transaminases > 5 x ULN; resume
# when bilirubin < 1.5 x ULN and transaminases < 2.5 x ULN, one dose level lower.
LIVER_HOLD_BILIRUBIN_X_ULN: Final = 3.0
LIVER_HOLD_TRANSAMINASES_X_ULN: Final = 5.0
LIVER_RESUME_BILIRUBIN_X_ULN: Final = 1.5
LIVER_RESUME_TRANSAMINASES_X_ULN: Final = 2.5

# Blood counts (§5.2, [C] S1, S2), in 10^9/L: withhold if ANC < 1.0 or platelets < 50; resume
# when ANC >= 1.5 and platelets >= 75.
BLOOD_HOLD_ANC: Final = 1.0
BLOOD_HOLD_PLATELETS: Final = 50.0
BLOOD_RESUME_ANC: Final = 1.5
BLOOD_RESUME_PLATELETS: Final = 75.0

# Resume doses after a blood-count hold, by starting dose: (first episode, recurrence).
# None = "the dose before the hold". 400 mg recurrence 300 mg: UNCONFIRMED (label text
# truncated). 800 mg: the label's DFSP row applied to GIST: DESIGN.
BLOOD_RESUME_DOSES: Final[dict[int, tuple[int | None, int]]] = {400: (None, 300), 800: (600, 400)}

ESCALATION_ON_PROGRESSION_MG: Final[dict[int, tuple[int, ...]]] = {400: (600, 800)}  # [C] S1

TOXICITY_RULES: Final[dict[str, Rule]] = _rules(
    Rule(
        "toxicity.reduction_ladder",
        C,
        ("S1",),
        "Dose levels for reduction: 800 -> 600 -> 400 -> 300 mg/day. There is no label step "
        "below 300 mg for GIST.",
    ),
    Rule(
        "toxicity.below_300",
        UNCONFIRMED,
        ("S45",),
        "No label dose level below 300 mg/day for GIST (a 300 mg/day maintenance has "
        "retrospective support only): clinician decision.",
    ),
    Rule(
        "toxicity.liver_hold",
        C,
        ("S1", "S2"),
        "Bilirubin above 3 x ULN or transaminases above 5 x ULN: withhold imatinib until "
        "bilirubin is below 1.5 x ULN and transaminases below 2.5 x ULN, then continue at a "
        "reduced daily dose (400 -> 300, 600 -> 400, 800 -> 600 mg).",
    ),
    Rule(
        "toxicity.blood_hold",
        C,
        ("S2", "S1"),
        "ANC below 1.0 x 10^9/L and/or platelets below 50 x 10^9/L: stop imatinib until ANC is "
        "at least 1.5 x 10^9/L and platelets at least 75 x 10^9/L; after a first episode resume "
        "at the dose before the hold.",
    ),
    Rule(
        "toxicity.blood_recurrence_300",
        UNCONFIRMED,
        ("S2",),
        "Recurrent severe neutropenia or thrombocytopenia on a 400 mg start: after recovery "
        "resume at 300 mg (the label step exists; the 300 mg figure is not in the retrieved "
        "text).",
    ),
    Rule(
        "toxicity.blood_800",
        DESIGN,
        ("S1",),
        "On 800 mg (by analogy with the label's 800 mg DFSP row): after recovery resume at "
        "600 mg; after a recurrence resume at 400 mg.",
    ),
    Rule(
        "toxicity.escalation_on_progression",
        C,
        ("S1", "S10"),
        "Advanced disease progressing on 400 mg without severe adverse reactions: increase to "
        "600 mg or 800 mg (800 mg as 400 mg twice daily), clinician's choice.",
    ),
)

DEFAULT_SETTINGS: Final = GuidelineSettings()

# --------------------------------------------------------------------------------------------
# Plain words for statuses and flags (what a clinician reads instead of tags and codes)
# --------------------------------------------------------------------------------------------

STATUS_WORDS: Final[dict[str, str | None]] = {
    C: None,
    C_2ND: "secondary source only, to be re-verified",
    UNCONFIRMED: "not confirmed by a primary source",
    DESIGN: "a product convention, not a clinical fact",
}

FLAG_WORDS: Final[dict[str, str]] = {
    FLAG_MUTATION_TESTING_REQUIRED: "Mutation testing required before relying on this plan",
    FLAG_RUPTURE_DURATION_UNCERTAIN: (
        "Tumour rupture: the best length of treatment is not known; a longer course may be "
        "considered"
    ),
    FLAG_AFIP_SITE_EXTRAPOLATED: (
        "The AFIP table has no column for this tumour site: its risk is taken from another site"
    ),
    FLAG_NON_DEFAULT_SETTINGS: (
        "Computed with guideline settings changed from their defaults for this installation"
    ),
    # Added to a plan's flags by the adherence app (clinical facts §3.3, DESIGN threshold).
    "exposure_shortfall": "Days on drug fell short of the planned share of the course: review",
    "exposure_shortfall_likely": (
        "Days on drug can no longer reach the planned share of the course by its end date"
    ),
    # Plan-time safety (issue 17)
    FLAG_RENAL_DOSE_CAP: "Kidney function limits the imatinib dose (label renal dose rules)",
    FLAG_RENAL_SEVERE: (
        "Severe kidney impairment (creatinine clearance below 20 mL/min): specialist decision"
    ),
    FLAG_HEPATIC_DOSE_REDUCTION: "Liver impairment: the proposed dose is reduced",
    FLAG_RENAL_HEPATIC_NOT_CHECKED: (
        "Kidney or liver function not given: the label's dose limits were not checked"
    ),
    FLAG_COMEDICATIONS_NOT_RECOGNISED: (
        "Some other medicines are not on the interaction list: check them by hand"
    ),
    FLAG_DURATION_PROVISIONAL: (
        "Duration provisional until the pathology of the resection (surgery date and margin)"
    ),
    FLAG_LATE_ADJUVANT_START: (
        "Adjuvant imatinib starts later after surgery than in SSG XVIII (within 12 weeks)"
    ),
    FLAG_AGE_NOT_GIVEN: "Age not given: a child cannot be excluded (adult plan)",
    FLAG_RISK_TABLES_DISAGREE: (
        "The modified NIH and AFIP risk tables lead to different decisions for this tumour"
    ),
    FLAG_HBV_REACTIVATION_RISK: (
        "Hepatitis B carrier or past infection: risk of reactivation, see a liver specialist"
    ),
    FLAG_PREGNANCY_RISK: "Pregnant or planning a pregnancy: imatinib can harm an unborn baby",
    FLAG_RESECTION_R2: "Resection margin R2: macroscopic tumour left, managed as advanced",
}
# How an interaction flag's drug name reads (``cyp3a4_interaction:<name>``) where the
# canonical name is not plain words.
INTERACTANT_WORDS: Final[dict[str, str]] = {"st_johns_wort": "St John's wort"}

# The bracketed notes reasons carried before they had a ``status`` (GUIDELINE_VERSION up to
# 2026.11-2). Stored plans still hold them; plain_reason_text removes them for display.
OLD_STATUS_MARKERS: Final[dict[str, str]] = {
    "secondary source only, re-verify": C_2ND,
    "UNCONFIRMED, default to be verified": UNCONFIRMED,
    "DESIGN convention, not a clinical fact": DESIGN,
}
_OLD_MARKER = re.compile(r"\s*\[([^\[\]]*)\]\s*$")


def status_words(status: str | None) -> str | None:
    """The words a nurse sees for a rule status; None for a confirmed rule (nothing to say).

    An unknown or missing status reads as not confirmed: never claim more certainty than known.
    """
    if status == C:
        return None
    return STATUS_WORDS.get(status or "", STATUS_WORDS[UNCONFIRMED])


def rule_status(rule_id: str) -> str | None:
    """The status of a rule of the guideline module, by id; None for an unknown id."""
    return _rule_statuses().get(rule_id)


def flag_words(flag: str) -> str:
    """The words a nurse sees for a recommendation or advice flag.

    ``unconfirmed_rule:<id>`` reads as the rule's status in words (UNCONFIRMED or DESIGN); an
    unknown rule reads as not confirmed. Any other unknown flag is shown with its underscores as
    spaces, rather than hidden.
    """
    if flag.startswith(UNCONFIRMED_FLAG_PREFIX):
        status = rule_status(flag[len(UNCONFIRMED_FLAG_PREFIX) :])
        if status not in (UNCONFIRMED, DESIGN):
            status = UNCONFIRMED
        words = status_words(status)
        assert words is not None
        return words
    if flag in FLAG_WORDS:
        return FLAG_WORDS[flag]
    if flag.startswith(INTERACTION_FLAG_PREFIX):
        name = flag[len(INTERACTION_FLAG_PREFIX) :]
        name = INTERACTANT_WORDS.get(name, name.replace("_", " ").strip())
        return f"Interaction with imatinib: {name} (see the reasons)"
    words = flag.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def plain_reason_text(text: str) -> tuple[str, str | None]:
    """A stored reason's text without an old trailing status marker, and the status it named.

    ``"... [DESIGN convention, not a clinical fact]"`` -> ``("...", "DESIGN")``. Text without
    a known marker is returned unchanged with None.
    """
    match = _OLD_MARKER.search(text)
    if match is None:
        return text, None
    status = OLD_STATUS_MARKERS.get(match.group(1).strip())
    if status is None:
        return text, None
    return text[: match.start()], status


@functools.cache
def _rule_statuses() -> dict[str, str]:
    """Every rule id of the guideline package -> its status. The symptom, alert and advice
    modules import this one, so their tables are looked up when first needed, not at import."""
    statuses = {rule.id: rule.status for rule in (*RULES.values(), *TOXICITY_RULES.values())}
    for name in ("symptoms", "alert_rules", "advice"):
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ImportError:  # pragma: no cover - a module being rewritten
            continue
        for value in vars(module).values():
            if not isinstance(value, Mapping) or not value:
                continue
            if all(isinstance(v, Rule) for v in value.values()):
                statuses.update({rule.id: rule.status for rule in value.values()})
            elif name == "symptoms":
                # catalogue items: their flags read "unconfirmed_rule:symptom.<code>"
                for item in value.values():
                    code, status = getattr(item, "code", None), getattr(item, "status", None)
                    if isinstance(code, str) and status in STATUSES:
                        statuses.setdefault(f"symptom.{code}", status)
    return statuses

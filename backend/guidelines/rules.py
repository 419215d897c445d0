"""Clinical rule data for imatinib in GIST: thresholds, texts, sources and status.

This module holds data only, so a clinician can review it without reading the logic. Every rule
comes from ``shared/guideline-facts.md`` (section numbers are given next to each block) and
carries the source IDs of that page's §11. Status tags are the page's own:

- ``C``            confirmed in a retrieved source;
- ``C-2nd``        confirmed only in a secondary source (re-verify against the primary);
- ``UNCONFIRMED``  not found in a retrieved source; encoded as the page's stated default;
- ``DESIGN``       an engineering convention where no guidance exists.

Rules with status UNCONFIRMED or DESIGN add the flag ``unconfirmed_rule:<rule id>`` to every
recommendation they take part in, and their defaults can be changed per installation through
:class:`GuidelineSettings` (never silent hard-coded truth, facts page preamble).

Change ``GUIDELINE_VERSION`` whenever anything in this module changes: it is stamped on every
stored decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

GUIDELINE_VERSION: Final = "2026.11-2"

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

# Flags (besides ``unconfirmed_rule:<rule id>``).
FLAG_MUTATION_TESTING_REQUIRED: Final = "mutation_testing_required"
FLAG_RUPTURE_DURATION_UNCERTAIN: Final = "rupture_duration_uncertain"
FLAG_AFIP_SITE_EXTRAPOLATED: Final = "afip_site_extrapolated"
FLAG_NON_DEFAULT_SETTINGS: Final = "non_default_settings"
UNCONFIRMED_FLAG_PREFIX: Final = "unconfirmed_rule:"

ADJUVANT_HIGH_RISK_MONTHS: Final = 36  # §3.2 [C] S4 (also after rupture, [C] S5, S4)
ADULT_AGE_YEARS: Final = 18  # §1.2: age < 18 -> specialist only [C] S2, S34, S39

# --------------------------------------------------------------------------------------------
# Sources (§11), short form; the facts page has the full addresses
# --------------------------------------------------------------------------------------------

SOURCES: Final[dict[str, str]] = {
    "S1": "Gleevec (imatinib) US Prescribing Information, Novartis",
    "S2": "Glivec EU Summary of Product Characteristics, Novartis",
    "S3": "Novartis product sites gleevec.com / glivec.com (adjuvant, safety pages)",
    "S4": "Joensuu et al. One vs three years of adjuvant imatinib (SSG XVIII). JAMA 2012",
    "S5": "Joensuu et al. SSG XVIII 10-year survival. JCO 2020 suppl; WJGP 2022 table",
    "S6": "DeMatteo et al. ACOSOG Z9001. Lancet 2009",
    "S7": "Raut et al. PERSIST-5. JAMA Oncol 2018",
    "S8": "EORTC 62024 results (PMC6773539 Table 1; WJG 2022 Table 3)",
    "S9": "MetaGIST meta-analysis of 1,640 patients. JCO 2010",
    "S10": "Patel, Zalcberg. Optimizing the dose of imatinib for GIST. Eur J Cancer 2008",
    "S11": "BFR14: Le Cesne et al. Lancet Oncol 2010; Blay et al. ASCO 2012",
    "S12": "Phase III trial summaries (PMC3792495, PMC4191869, PMC3424497)",
    "S13": "Joensuu. Risk stratification of patients diagnosed with GIST. Hum Pathol 2008",
    "S14": "Fletcher et al. NIH consensus. Hum Pathol 2002",
    "S15": "Miettinen, Lasota. Semin Diagn Pathol 2006 (ISRN 2012 Table 2; NCI PDQ Table 1)",
    "S22": "Joensuu et al. Follow-up strategies for GIST. Eur J Cancer 2015",
    "S23": "British Sarcoma Group 2025 follow-up (secondary summary)",
    "S24": "Cancers 2022;14(15):3689 Table 11 (GIST mutations, management)",
    "S25": "Onkopedia guideline GIST (DGHO), April 2024",
    "S26": "Secondary (AI-written) summaries of ESMO/NCCN guidance",
    "S33": "Nishida et al. GIST guidelines compared. Gastric Cancer 2016",
    "S34": "Life Raft Group pages (NCCN exon 9 quote; paediatric risk caution)",
    "S35": "Neoadjuvant imatinib: PMC5387273; Doyon et al. Int J Surg Oncol 2012",
    "S35b": "Short pre-operative imatinib 600 mg/day phase II (secondary summary)",
    "S36": "Imatinib label warnings summary (blood count schedule)",
    "S37": "Gronchi et al. Role of high-dose imatinib in GIST. Cancer 2010 (= SEED-003)",
    "S39": "Paediatric GIST biology. Cancer Chemother Pharmacol 2019",
    "S44": "Lu, Raut. Adjuvant therapy for primary GIST: is longer really better? (review)",
    "S45": "300 mg/day in intolerant GIST. Medicine 2016",
    "S47": "Chiang et al. World J Gastroenterol 2006 (imaging at 1, 3 then 3-monthly)",
    "SEED-001": "Product brief background: guideline-style summary",
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
        "NF1-related GIST is insensitive to imatinib in advanced disease; the facts page gives "
        "no action for this setting, so no automatic plan: specialist decision.",
    ),
    Rule(
        "decision.neoadjuvant_insensitive_genotype",
        DESIGN,
        ("S24", "S25"),
        "{genotype} GIST is considered insensitive to imatinib; the facts page gives no "
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
        ("S25", "SEED-001"),
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
        ("S5", "S4", "SEED-001"),
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
        "Advanced disease: CT response assessment at 1 and 3 months, then every 3 months (one "
        "published series; the guideline interval is not confirmed).",
    ),
    Rule(
        "review.horizon",
        DESIGN,
        ("S11",),
        "No planned end date: review points are listed for the first {months} months only; "
        "later ones follow the same pattern or are set when the plan is reviewed.",
    ),
)

# --------------------------------------------------------------------------------------------
# Changeable defaults for UNCONFIRMED / DESIGN rules
# --------------------------------------------------------------------------------------------

REDUCTION_LADDER_MG: Final = (800, 600, 400, 300)  # §5.1 [C] S1; below 300 UNCONFIRMED (S45)
DOSES_PER_DAY: Final[dict[int, int]] = {300: 1, 400: 1, 600: 1, 800: 2}  # §2.1 [C] S34


@dataclass(frozen=True)
class GuidelineSettings:
    """Defaults the facts page marks UNCONFIRMED or DESIGN, changeable by an administrator.

    The values here are the facts page's stated defaults. Passing other values to
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

    def __post_init__(self) -> None:
        if self.small_non_gastric_mitotic_risk not in (INTERMEDIATE, HIGH):
            raise ValueError("small_non_gastric_mitotic_risk must be intermediate or high")
        for name in ("adjuvant_kit_exon_9_nccn_mg", "neoadjuvant_mg", "neoadjuvant_kit_exon_9_mg"):
            if getattr(self, name) not in DOSES_PER_DAY:
                raise ValueError(f"{name} must be one of {sorted(DOSES_PER_DAY)}")
        if self.afip_extrapolation_column not in AFIP_COLUMNS:
            raise ValueError(f"afip_extrapolation_column must be one of {AFIP_COLUMNS}")
        for name in (
            "neoadjuvant_total_months",
            "adjuvant_imaging_interval_months",
            "indefinite_review_horizon_months",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number, at least 1")
        months = self.neoadjuvant_surgical_review_months
        if not months or not all(isinstance(m, int) and m >= 1 for m in months):
            raise ValueError("neoadjuvant_surgical_review_months must be whole months, at least 1")


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


# Row 7 of the facts page is split: gastric (confirmed) and non-gastric <= 2.0 cm (the
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
ADVANCED_IMAGING_FIRST_MONTHS: Final = (1, 3)  # S47, then every 3 months
ADVANCED_IMAGING_INTERVAL_MONTHS: Final = 3  # S47

WHAT_BLOOD_COUNTS: Final = "Blood counts (full blood count with differential and platelets)"
WHAT_LIVER_TESTS: Final = "Liver tests (transaminases, bilirubin, alkaline phosphatase)"
WHAT_LIVER_TESTS_BASELINE: Final = "Liver tests before starting (baseline)"
WHAT_IMAGING: Final = "Imaging: CT (or MRI) abdomen-pelvis"
WHAT_IMAGING_RESPONSE: Final = "Imaging: CT response assessment"
WHAT_SURGICAL_REVIEW: Final = (
    "Imaging and surgical review: operate at maximal response (no further shrinkage between "
    "two successive CT scans)"
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

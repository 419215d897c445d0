"""recommend(): decisions, doses, durations, flags and reasons (clinical facts §1-3, §8, §10)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.guidelines import GUIDELINE_VERSION, GuidelineSettings, add_calendar_months, recommend
from backend.guidelines import rules as R

from .helpers import advanced_case, assert_well_formed, case, rule_ids

UNCONFIRMED = R.UNCONFIRMED_FLAG_PREFIX

# ---- §10 machine-usable summary, table-driven ----------------------------------------------------

# (case changes, decision, dose, per day, duration months, end date, rule ids that must fire)
SECTION_10 = [
    # eligibility
    pytest.param(
        {"mutation": "pdgfra_d842v"},
        "no_imatinib",
        None,
        None,
        None,
        None,
        ["decision.pdgfra_d842v"],
        id="adjuvant D842V",
    ),
    pytest.param(
        {"setting": "advanced", "mutation": "pdgfra_d842v"},
        "no_imatinib",
        None,
        None,
        None,
        None,
        ["decision.pdgfra_d842v"],
        id="advanced D842V",
    ),
    pytest.param(
        {"setting": "neoadjuvant", "mutation": "pdgfra_d842v"},
        "no_imatinib",
        None,
        None,
        None,
        None,
        ["decision.pdgfra_d842v"],
        id="neoadjuvant D842V",
    ),
    pytest.param(
        {"mutation": "sdh_deficient"},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_sdh_deficient_or_wild_type"],
        id="adjuvant SDH",
    ),
    pytest.param(
        {"mutation": "wild_type"},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_sdh_deficient_or_wild_type"],
        id="adjuvant wild type",
    ),
    pytest.param(
        {"mutation": "nf1"},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_nf1"],
        id="adjuvant NF1",
    ),
    pytest.param(
        {"mutation": "braf"},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_braf_ntrk"],
        id="adjuvant BRAF",
    ),
    pytest.param(
        {"mutation": "ntrk"},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_braf_ntrk"],
        id="adjuvant NTRK",
    ),
    pytest.param(
        {"age_years": 17},
        "specialist_only",
        None,
        None,
        None,
        None,
        ["decision.paediatric", "risk.paediatric_caution"],
        id="age 17",
    ),
    pytest.param(
        {"size_cm": 4.0, "mitoses_per_50hpf": 3},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_low_risk"],
        id="adjuvant low risk",
    ),
    pytest.param(
        {"size_cm": 1.5, "mitoses_per_50hpf": 2},
        "no_adjuvant",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_low_risk"],
        id="adjuvant very low risk",
    ),
    pytest.param(
        {"size_cm": 4.0, "mitoses_per_50hpf": 8},
        "discuss",
        None,
        None,
        None,
        None,
        ["decision.adjuvant_intermediate_risk", "duration.adjuvant_intermediate_risk"],
        id="adjuvant intermediate risk",
    ),
    # dose and duration
    pytest.param(
        {},
        "treat",
        400,
        1,
        36,
        "2028-03-15",
        ["decision.adjuvant_high_risk", "dose.adjuvant_standard", "duration.adjuvant_high_risk"],
        id="adjuvant high risk, 2025-03-15 -> 2028-03-15",
    ),
    pytest.param(
        {"size_cm": 3.0, "rupture": True},
        "treat",
        400,
        1,
        36,
        "2028-03-15",
        ["decision.adjuvant_high_risk", "duration.adjuvant_rupture"],
        id="adjuvant rupture",
    ),
    pytest.param(
        {"mutation": "kit_exon_9"},
        "treat",
        400,
        1,
        36,
        "2028-03-15",
        ["dose.adjuvant_kit_exon_9_nccn"],
        id="adjuvant exon 9 NCCN",
    ),
    pytest.param(
        {"mutation": "kit_exon_9", "profile": "esmo"},
        "treat",
        800,
        2,
        36,
        "2028-03-15",
        ["dose.adjuvant_kit_exon_9_esmo"],
        id="adjuvant exon 9 ESMO",
    ),
    pytest.param(
        {"setting": "advanced"},
        "treat",
        400,
        1,
        None,
        None,
        ["decision.advanced", "dose.advanced_standard", "duration.advanced_indefinite"],
        id="advanced",
    ),
    pytest.param(
        {"setting": "advanced", "mutation": "kit_exon_9"},
        "treat",
        800,
        2,
        None,
        None,
        ["dose.advanced_kit_exon_9"],
        id="advanced exon 9",
    ),
    pytest.param(
        {"setting": "neoadjuvant"},
        "treat",
        400,
        1,
        36,
        "2028-03-15",
        [
            "decision.neoadjuvant",
            "dose.neoadjuvant_standard",
            "duration.neoadjuvant_preoperative",
            "duration.neoadjuvant_total",
        ],
        id="neoadjuvant high risk",
    ),
    pytest.param(
        {"setting": "neoadjuvant", "mutation": "kit_exon_9"},
        "treat",
        800,
        2,
        36,
        "2028-03-15",
        ["dose.neoadjuvant_kit_exon_9"],
        id="neoadjuvant exon 9",
    ),
    pytest.param(
        {"setting": "neoadjuvant", "size_cm": 7.0, "mitoses_per_50hpf": 3},
        "treat",
        400,
        1,
        None,
        None,
        ["duration.neoadjuvant_preoperative"],
        id="neoadjuvant not high risk",
    ),
]


@pytest.mark.parametrize(
    ("changes", "decision", "dose", "per_day", "months", "end", "fired"), SECTION_10
)
def test_section_10_rules(changes, decision, dose, per_day, months, end, fired):
    data = case(**changes)
    result = recommend(data)
    assert result["decision"] == decision
    assert result["dose_mg_per_day"] == dose
    assert result["doses_per_day"] == per_day
    assert result["duration_months"] == months
    assert result["planned_end_date"] == end
    assert set(fired) <= set(rule_ids(result))
    assert_well_formed(result, data["start_date"])


# ---- refusals and precedence ---------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["adjuvant", "neoadjuvant", "advanced"])
@pytest.mark.parametrize("age", [None, 10, 60])
def test_pdgfra_d842v_is_never_treated(setting, age):
    result = recommend(case(setting=setting, mutation="pdgfra_d842v", age_years=age))
    assert result["decision"] == "no_imatinib"
    assert result["dose_mg_per_day"] is None
    reason = next(r for r in result["reasons"] if r["rule"] == "decision.pdgfra_d842v")
    assert "avapritinib" in reason["text"]
    assert reason["sources"] == ["S25", "S24", "S7"]


@pytest.mark.parametrize("mutation", ["sdh_deficient", "wild_type", "nf1", "braf", "ntrk"])
def test_insensitive_genotypes(mutation):
    adjuvant = recommend(case(mutation=mutation))
    assert adjuvant["decision"] == "no_adjuvant"
    # even a high-risk tumour gets no adjuvant imatinib
    assert adjuvant["risk"]["modified_nih"] == "high"
    for setting in ("advanced", "neoadjuvant"):
        other = recommend(case(setting=setting, mutation=mutation))
        assert other["decision"] == "specialist_only"
        assert other["dose_mg_per_day"] is None


def test_nf1_outside_adjuvant_is_a_design_rule_and_flagged():
    result = recommend(advanced_case(mutation="nf1"))
    assert UNCONFIRMED + "decision.advanced_nf1" in result["flags"]
    sdh = recommend(advanced_case(mutation="sdh_deficient"))
    assert not [f for f in sdh["flags"] if f.startswith(UNCONFIRMED)]


@pytest.mark.parametrize("setting", ["adjuvant", "neoadjuvant", "advanced"])
@pytest.mark.parametrize("age", [0, 12, 17])
def test_under_18_is_specialist_only(setting, age):
    result = recommend(case(setting=setting, age_years=age))
    assert result["decision"] == "specialist_only"
    assert result["dose_mg_per_day"] is None
    assert result["review_points"] == []


@pytest.mark.parametrize("age", [18, 19, 90, None])
def test_adults_and_unknown_age_are_not_specialist_only(age):
    assert recommend(case(age_years=age))["decision"] == "treat"


def test_low_risk_adjuvant_is_no_adjuvant_even_for_exon_9():
    result = recommend(case(size_cm=4.0, mitoses_per_50hpf=3, mutation="kit_exon_9"))
    assert result["decision"] == "no_adjuvant"
    assert result["risk"]["modified_nih"] == "low"


def test_intermediate_adjuvant_is_discuss_and_flagged():
    result = recommend(case(size_cm=7.0, mitoses_per_50hpf=4))  # gastric 5-10 cm, <= 5
    assert result["decision"] == "discuss"
    assert result["dose_mg_per_day"] is None
    assert result["duration_months"] is None
    assert UNCONFIRMED + "decision.adjuvant_intermediate_risk" in result["flags"]
    duration = next(r for r in result["reasons"] if r["rule"].startswith("duration."))
    assert "12 months" in duration["text"] and "36 months" in duration["text"]


def test_unconfirmed_edge_cell_flows_into_the_output():
    result = recommend(case(site="jejunum_ileum", size_cm=1.5, mitoses_per_50hpf=8))
    assert result["risk"]["modified_nih"] == "intermediate"
    assert result["decision"] == "discuss"
    assert UNCONFIRMED + "risk.modified_nih.small_non_gastric_mitotic" in result["flags"]
    assert result["risk"]["afip"] == {"category": "insufficient_data", "progression_pct": None}


# ---- flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["adjuvant", "neoadjuvant", "advanced"])
def test_unknown_mutation_requires_testing_and_plan_is_provisional(setting):
    result = recommend(case(setting=setting, mutation="unknown"))
    assert "mutation_testing_required" in result["flags"]
    assert result["decision"] == "treat"
    assert result["dose_mg_per_day"] == 400
    reason = next(r for r in result["reasons"] if r["rule"] == "flag.mutation_testing_required")
    assert "provisional" in reason["text"]


def test_unknown_mutation_flag_also_without_treatment():
    result = recommend(case(mutation="unknown", size_cm=4.0, mitoses_per_50hpf=3))
    assert result["decision"] == "no_adjuvant"
    assert "mutation_testing_required" in result["flags"]


@pytest.mark.parametrize("mutation", ["kit_exon_11", "kit_exon_9", "pdgfra_other"])
def test_known_mutation_has_no_testing_flag(mutation):
    assert "mutation_testing_required" not in recommend(case(mutation=mutation))["flags"]


@pytest.mark.parametrize("site", R.SITES)
def test_rupture_makes_high_risk_with_uncertain_duration(site):
    result = recommend(case(site=site, size_cm=1.0, mitoses_per_50hpf=0, rupture=True))
    assert result["risk"]["modified_nih"] == "high"
    assert result["decision"] == "treat"
    assert result["duration_months"] == 36
    assert "rupture_duration_uncertain" in result["flags"]
    reason = next(r for r in result["reasons"] if r["rule"] == "duration.adjuvant_rupture")
    assert "unknown" in reason["text"]
    assert "S4" in reason["sources"]


def test_no_rupture_no_rupture_flag():
    assert "rupture_duration_uncertain" not in recommend(case())["flags"]


def test_rupture_flag_in_neoadjuvant_plan():
    result = recommend(case(setting="neoadjuvant", rupture=True))
    assert "rupture_duration_uncertain" in result["flags"]


@pytest.mark.parametrize("site", ["colon", "esophagus", "extra_gastrointestinal"])
def test_afip_extrapolated_sites_are_flagged(site):
    result = recommend(case(site=site))
    assert "afip_site_extrapolated" in result["flags"]
    assert UNCONFIRMED + "risk.afip.site_extrapolated" in result["flags"]


# ---- doses: KIT exon 9 and the profile -----------------------------------------------------------


def test_kit_exon_9_advanced_is_800_as_400_twice_daily():
    result = recommend(advanced_case(mutation="kit_exon_9"))
    assert (result["dose_mg_per_day"], result["doses_per_day"]) == (800, 2)
    for profile in ("nccn", "esmo"):
        other = recommend(advanced_case(mutation="kit_exon_9", profile=profile))
        assert other["dose_mg_per_day"] == 800


def test_kit_exon_9_adjuvant_nccn_400_esmo_800():
    nccn = recommend(case(mutation="kit_exon_9"))
    default = recommend(case(mutation="kit_exon_9", profile=...))
    esmo = recommend(case(mutation="kit_exon_9", profile="esmo"))
    assert (nccn["dose_mg_per_day"], nccn["doses_per_day"]) == (400, 1)
    assert default == nccn
    assert (esmo["dose_mg_per_day"], esmo["doses_per_day"]) == (800, 2)
    nccn_reason = next(r for r in nccn["reasons"] if r["rule"] == "dose.adjuvant_kit_exon_9_nccn")
    assert "800 mg optional (ESMO practice, low evidence)" in nccn_reason["text"]
    assert UNCONFIRMED + "dose.adjuvant_kit_exon_9_nccn" in nccn["flags"]
    esmo_reason = next(r for r in esmo["reasons"] if r["rule"] == "dose.adjuvant_kit_exon_9_esmo")
    assert esmo_reason["status"] == "C-2nd"
    assert "secondary" not in esmo_reason["text"] and "[" not in esmo_reason["text"]
    assert nccn_reason["status"] == "UNCONFIRMED"


ALL_SETTINGS_AND_MUTATIONS = [
    (setting, mutation)
    for setting in R.SETTINGS
    for mutation in R.MUTATIONS
    if not (setting == "adjuvant" and mutation == "kit_exon_9")
]


@pytest.mark.parametrize(("setting", "mutation"), ALL_SETTINGS_AND_MUTATIONS)
def test_profile_changes_nothing_but_the_adjuvant_exon_9_dose(setting, mutation):
    base = case(setting=setting, mutation=mutation)
    assert recommend({**base, "profile": "esmo"}) == recommend({**base, "profile": "nccn"})


@pytest.mark.parametrize(
    "mutation", ["kit_exon_11", "kit_exon_13", "kit_exon_17", "kit_other", "pdgfra_other"]
)
@pytest.mark.parametrize("setting", ["adjuvant", "advanced", "neoadjuvant"])
def test_other_sensitive_genotypes_get_400_once_daily(mutation, setting):
    result = recommend(case(setting=setting, mutation=mutation))
    assert (result["dose_mg_per_day"], result["doses_per_day"]) == (400, 1)


def test_neoadjuvant_defaults_are_flagged():
    result = recommend(case(setting="neoadjuvant"))
    assert UNCONFIRMED + "dose.neoadjuvant_standard" in result["flags"]
    assert UNCONFIRMED + "duration.neoadjuvant_total" in result["flags"]


# ---- risk output ---------------------------------------------------------------------------------


def test_advanced_has_no_primary_tumour_risk():
    result = recommend(advanced_case(size_cm=12.0, mitoses_per_50hpf=20))
    assert result["risk"] == {
        "modified_nih": None,
        "afip": {"category": None, "progression_pct": None},
    }


@pytest.mark.parametrize(
    ("changes", "nih", "afip"),
    [
        ({"site": "jejunum_ileum", "size_cm": 4.0, "mitoses_per_50hpf": 3}, "low", ("low", 8.3)),
        ({"site": "stomach", "size_cm": 12.0, "mitoses_per_50hpf": 3}, "high", ("moderate", 10.0)),
        (
            {"site": "duodenum", "size_cm": 1.5, "mitoses_per_50hpf": 8},
            "intermediate",
            ("high", None),
        ),
    ],
)
def test_risk_in_output(changes, nih, afip):
    result = recommend(case(**changes))
    assert result["risk"]["modified_nih"] == nih
    assert (result["risk"]["afip"]["category"], result["risk"]["afip"]["progression_pct"]) == afip


def test_guideline_version_is_stamped():
    assert recommend(case())["guideline_version"] == GUIDELINE_VERSION
    assert GUIDELINE_VERSION == "2026.12-1"


# ---- review points -------------------------------------------------------------------------------


def _points(result, what_prefix):
    return [p["date"] for p in result["review_points"] if p["what"].startswith(what_prefix)]


def test_adjuvant_review_points():
    result = recommend(case(start_date="2025-03-15"))
    start = date(2025, 3, 15)
    cbc = [(start + timedelta(days=d)).isoformat() for d in (7, 14, 21, 28, 42, 56)]
    # then monthly (GuidelineSettings.blood_count_interval_after_week_8_months, DESIGN)
    cbc += [add_calendar_months(start, m).isoformat() for m in range(3, 37)]
    assert _points(result, "Blood counts") == cbc
    lft = _points(result, "Liver tests")
    assert lft[0] == "2025-03-15"  # before starting
    assert lft[1:] == [add_calendar_months(start, m).isoformat() for m in range(1, 37)]
    imaging = [add_calendar_months(start, m).isoformat() for m in (6, 12, 18, 24, 30, 36)]
    assert _points(result, "Imaging") == imaging
    assert _points(result, "End of planned imatinib") == ["2028-03-15"]
    assert result["review_points"][-1]["what"].startswith("End of planned imatinib")


def test_review_points_follow_month_ends():
    result = recommend(case(start_date="2025-01-31"))
    lft = _points(result, "Liver tests")
    assert lft[1:4] == ["2025-02-28", "2025-03-31", "2025-04-30"]


def test_advanced_review_points_cover_two_years_and_say_so():
    result = recommend(advanced_case(start_date="2024-02-29"))
    assert result["planned_end_date"] is None
    start = date(2024, 2, 29)
    horizon = add_calendar_months(start, 24).isoformat()
    assert result["review_points"][-1]["date"] <= horizon
    imaging = [add_calendar_months(start, m).isoformat() for m in (1, 3, 6, 9, 12, 15, 18, 21, 24)]
    assert _points(result, "Imaging") == imaging
    assert UNCONFIRMED + "review.imaging_advanced" in result["flags"]
    horizon_reason = next(r for r in result["reasons"] if r["rule"] == "review.horizon")
    assert "24 months" in horizon_reason["text"]


def test_neoadjuvant_review_points_include_surgical_window():
    start = date(2025, 3, 15)
    result = recommend(case(setting="neoadjuvant"))
    surgical = _points(result, "Imaging and surgical review")
    assert surgical == [add_calendar_months(start, m).isoformat() for m in (6, 12)]
    later = [add_calendar_months(start, m).isoformat() for m in (18, 24, 30, 36)]
    assert _points(result, "Imaging: CT (or MRI)") == later
    not_high = recommend(case(setting="neoadjuvant", size_cm=7.0, mitoses_per_50hpf=3))
    assert not_high["review_points"][-1]["date"] <= add_calendar_months(start, 12).isoformat()
    assert "review.horizon" in rule_ids(not_high)


@pytest.mark.parametrize("decision_case", [{"mutation": "nf1"}, {"size_cm": 4.0}, {"age_years": 5}])
def test_no_review_points_without_treatment(decision_case):
    assert recommend(case(**decision_case))["review_points"] == []


# ---- settings (UNCONFIRMED/DESIGN defaults an administrator can change) --------------------------


def test_non_default_settings_change_the_plan_and_are_flagged():
    custom = GuidelineSettings(
        adjuvant_kit_exon_9_nccn_mg=800,
        neoadjuvant_total_months=24,
        small_non_gastric_mitotic_risk="high",
    )
    exon_9 = recommend(case(mutation="kit_exon_9"), settings=custom)
    assert (exon_9["dose_mg_per_day"], exon_9["doses_per_day"]) == (800, 2)
    assert "non_default_settings" in exon_9["flags"]
    neo = recommend(case(setting="neoadjuvant"), settings=custom)
    assert neo["duration_months"] == 24
    edge = recommend(case(site="colon", size_cm=1.5, mitoses_per_50hpf=8), settings=custom)
    assert (edge["risk"]["modified_nih"], edge["decision"]) == ("high", "treat")
    assert "non_default_settings" not in recommend(case())["flags"]


@pytest.mark.parametrize(
    "bad",
    [
        {"small_non_gastric_mitotic_risk": "low"},
        {"neoadjuvant_mg": 500},
        {"afip_extrapolation_column": "colon"},
        {"indefinite_review_horizon_months": 0},
        {"neoadjuvant_total_months": 12.5},
        {"neoadjuvant_surgical_review_months": ()},
    ],
)
def test_settings_are_checked(bad):
    with pytest.raises(ValueError):
        GuidelineSettings(**bad)


def test_settings_must_be_settings():
    with pytest.raises(TypeError):
        recommend(case(), settings={"neoadjuvant_mg": 400})


# ---- every output is well formed (property test over valid cases) -------------------------------

valid_cases = st.fixed_dictionaries(
    {
        "setting": st.sampled_from(R.SETTINGS),
        "site": st.sampled_from(R.SITES),
        "size_cm": st.floats(min_value=0.01, max_value=40, allow_nan=False),
        "mitoses_per_50hpf": st.integers(min_value=0, max_value=200),
        "mutation": st.sampled_from(R.MUTATIONS),
        "start_date": st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)).map(
            date.isoformat
        ),
    },
    optional={
        "rupture": st.booleans(),
        "age_years": st.integers(min_value=0, max_value=120),
        "profile": st.sampled_from(R.PROFILES),
    },
)


@settings(max_examples=300, deadline=None)
@given(data=valid_cases)
def test_every_output_is_well_formed(data):
    result = recommend(data)
    assert_well_formed(result, data["start_date"])
    if data["setting"] == "adjuvant" and result["decision"] == "treat":
        assert result["risk"]["modified_nih"] == "high"
        assert result["duration_months"] == 36


@pytest.mark.parametrize("setting", R.SETTINGS)
@pytest.mark.parametrize("mutation", R.MUTATIONS)
@pytest.mark.parametrize("size_mitoses", [(1.5, 2), (4.0, 3), (4.0, 8), (7.0, 4), (12.0, 20)])
def test_well_formed_for_every_setting_and_mutation(setting, mutation, size_mitoses):
    size, mitoses = size_mitoses
    data = case(setting=setting, mutation=mutation, size_cm=size, mitoses_per_50hpf=mitoses)
    assert_well_formed(recommend(data), data["start_date"])


def test_input_is_not_modified():
    data = case()
    before = dict(data)
    recommend(data)
    assert data == before

"""Plan-time safety (issue 17): kidney and liver limits, surgery and pathology, age, the two
risk tables, baseline review points; every threshold above, at and below."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.guidelines import CaseInvalid, GuidelineSettings, flag_words, recommend, rules
from backend.guidelines.dosing import doses_per_day, next_lower_dose, reduction_step

from .helpers import advanced_case, assert_well_formed, case, rule_ids

UNCONFIRMED = rules.UNCONFIRMED_FLAG_PREFIX
CHECKED = {"creatinine_clearance_ml_min": 90, "hepatic_impairment": "none"}
EXON_9_ADVANCED = {"mutation": "kit_exon_9"}


def checked(**changes):
    return case(**{**CHECKED, **changes})


def run(data):
    result = recommend(data)
    assert_well_formed(result, str(data["start_date"]))
    return result


def reason(result, rule_id):
    return next(r for r in result["reasons"] if r["rule"] == rule_id)


# ---- new fields: each validated with its name ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("creatinine_clearance_ml_min", -1),
        ("creatinine_clearance_ml_min", -0.1),
        ("creatinine_clearance_ml_min", 300.1),
        ("creatinine_clearance_ml_min", "60"),
        ("creatinine_clearance_ml_min", True),
        ("creatinine_clearance_ml_min", float("nan")),
        ("creatinine_clearance_ml_min", float("inf")),
        ("creatinine_clearance_ml_min", 10**400),
        ("hepatic_impairment", "Severe"),
        ("hepatic_impairment", "child_pugh_c"),
        ("hepatic_impairment", 3),
        ("comedications", "warfarin"),
        ("comedications", [1]),
        ("comedications", [""]),
        ("comedications", ["  "]),
        ("comedications", ["x" * 201]),
        ("comedications", ["aspirin"] * 101),
        ("comedications", {"name": "warfarin"}),
        ("surgery_date", "2025-02-30"),
        ("surgery_date", "15/03/2025"),
        ("surgery_date", 20250315),
        ("resection_margin", "r0"),
        ("resection_margin", "R3"),
        ("resection_margin", 0),
        ("thyroidectomy", "yes"),
        ("thyroidectomy", 1),
        ("hbv_status", "positive"),
        ("hbv_status", True),
        ("pregnant_or_planning", "no"),
        ("pregnant_or_planning", 0),
    ],
)
def test_invalid_safety_fields_are_refused_by_name(field, value):
    with pytest.raises(CaseInvalid) as caught:
        recommend(case(**{field: value}))
    assert caught.value.field == field
    assert caught.value.reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("creatinine_clearance_ml_min", 0),
        ("creatinine_clearance_ml_min", 300),
        ("creatinine_clearance_ml_min", 59.9),
        ("hepatic_impairment", "mild"),
        ("comedications", []),
        ("comedications", ["aspirin", "omeprazole 20 mg"]),
        ("surgery_date", "2025-01-10"),
        ("resection_margin", "R1"),
        ("thyroidectomy", False),
        ("hbv_status", "unknown"),
        ("pregnant_or_planning", False),
    ],
)
def test_valid_safety_fields_are_accepted(field, value):
    assert run(case(**{field: value}))["decision"] in rules.DECISIONS


@pytest.mark.parametrize("field", [*CHECKED, "comedications", "surgery_date"])
def test_safety_fields_may_be_null(field):
    assert run(case(**{field: None}))["decision"] == "treat"


def test_surgery_date_must_fit_the_setting():
    with pytest.raises(CaseInvalid) as caught:
        recommend(case(surgery_date="2025-03-16"))  # adjuvant starts before the operation
    assert caught.value.field == "surgery_date"
    with pytest.raises(CaseInvalid) as caught:
        recommend(case(setting="neoadjuvant", surgery_date="2025-03-14"))
    assert caught.value.field == "surgery_date"
    assert run(case(surgery_date="2025-03-15"))["decision"] == "treat"  # same day


# ---- renal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crcl", "dose_400", "dose_800", "decision"),
    [
        (300, 400, 800, "treat"),
        (60, 400, 800, "treat"),
        (59.9, 400, 600, "treat"),
        (59, 400, 600, "treat"),
        (40, 400, 600, "treat"),
        (39.9, 200, 400, "treat"),
        (39, 200, 400, "treat"),
        (20, 200, 400, "treat"),
        (19.9, None, None, "specialist_only"),
        (0, None, None, "specialist_only"),
    ],
)
def test_renal_bands_at_every_boundary(crcl, dose_400, dose_800, decision):
    standard = run(checked(creatinine_clearance_ml_min=crcl))
    exon_9 = run(
        advanced_case(
            creatinine_clearance_ml_min=crcl, hepatic_impairment="none", **EXON_9_ADVANCED
        )
    )
    assert (standard["decision"], standard["dose_mg_per_day"]) == (decision, dose_400)
    assert (exon_9["decision"], exon_9["dose_mg_per_day"]) == (decision, dose_800)
    capped = crcl < 60
    for result in (standard, exon_9):
        assert ("renal_dose_cap" in result["flags"]) is capped
        assert ("renal_severe_impairment" in result["flags"]) is (crcl < 20)
        assert "renal_hepatic_not_checked" not in result["flags"]


def test_mild_renal_reason_says_600_and_the_change():
    result = run(advanced_case(creatinine_clearance_ml_min=45, **EXON_9_ADVANCED))
    text = reason(result, "dose.renal_mild")["text"]
    assert "600 mg/day" in text and "45 mL/min" in text and "600 mg/day instead of 800" in text
    assert reason(result, "dose.renal_mild")["status"] == rules.C
    assert result["doses_per_day"] == 1


def test_moderate_renal_200_mg_is_below_the_ladder_and_says_so():
    result = run(checked(creatinine_clearance_ml_min=30))
    assert result["dose_mg_per_day"] == 200 and result["doses_per_day"] == 1
    assert "50%" in reason(result, "dose.renal_moderate")["text"]
    below = reason(result, "dose.renal_below_gist_ladder")
    assert below["status"] == rules.DESIGN
    assert "200 mg/day" in below["text"] and "300 mg/day" in below["text"]
    assert UNCONFIRMED + "dose.renal_below_gist_ladder" in result["flags"]
    # 800 -> 400 is on the ladder: no such note
    exon_9 = run(advanced_case(creatinine_clearance_ml_min=30, **EXON_9_ADVANCED))
    assert "dose.renal_below_gist_ladder" not in rule_ids(exon_9)


def test_severe_renal_is_a_specialist_decision_without_a_dose():
    result = run(checked(creatinine_clearance_ml_min=19.9))
    assert result["decision"] == "specialist_only"
    assert result["dose_mg_per_day"] is None and result["review_points"] == []
    severe = reason(result, "decision.renal_severe")
    assert "19.9 mL/min" in severe["text"] and severe["sources"] == ["S1"]
    assert rule_ids(result).count("decision.renal_severe") == 1


def test_renal_limits_are_stated_when_the_clinician_decides():
    intermediate = checked(size_cm=4.0, mitoses_per_50hpf=8, creatinine_clearance_ml_min=45)
    result = run(intermediate)
    assert result["decision"] == "discuss"
    assert "dose.renal_mild" in rule_ids(result) and "renal_dose_cap" in result["flags"]
    severe = run({**intermediate, "creatinine_clearance_ml_min": 10})
    assert severe["decision"] == "discuss"
    assert rule_ids(severe).count("decision.renal_severe") == 1


def test_no_renal_or_hepatic_checks_when_no_imatinib():
    for data in (case(mutation="pdgfra_d842v"), case(size_cm=3.0)):
        result = run({**data, "creatinine_clearance_ml_min": 10, "comedications": ["warfarin"]})
        assert not {"renal_dose_cap", "cyp3a4_interaction:warfarin"} & set(result["flags"])
        assert "renal_hepatic_not_checked" not in run(data)["flags"]


@given(
    low=st.floats(min_value=0, max_value=300, allow_nan=False),
    high=st.floats(min_value=0, max_value=300, allow_nan=False),
    hepatic=st.sampled_from([None, *rules.HEPATIC_IMPAIRMENT]),
    exon_9=st.booleans(),
    setting=st.sampled_from(["adjuvant", "neoadjuvant", "advanced"]),
)
def test_a_lower_clearance_never_gives_a_higher_dose(low, high, hepatic, exon_9, setting):
    low, high = sorted((low, high))
    extra = {"hepatic_impairment": hepatic, "mutation": "kit_exon_9" if exon_9 else "kit_exon_11"}
    base = advanced_case(**extra) if setting == "advanced" else case(setting=setting, **extra)
    doses = [
        recommend({**base, "creatinine_clearance_ml_min": crcl})["dose_mg_per_day"] or 0
        for crcl in (low, high)
    ]
    assert doses[0] <= doses[1]


# ---- hepatic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "dose_400", "dose_800", "reduced_800", "reduced_400"),
    [
        ("none", 400, 800, False, False),
        ("mild", 400, 400, True, False),
        ("moderate", 400, 400, True, False),
        ("severe", 300, 400, True, True),
    ],
)
def test_hepatic_grades(grade, dose_400, dose_800, reduced_800, reduced_400):
    standard = run(checked(hepatic_impairment=grade))
    exon_9 = run(
        advanced_case(creatinine_clearance_ml_min=90, hepatic_impairment=grade, **EXON_9_ADVANCED)
    )
    assert standard["dose_mg_per_day"] == dose_400
    assert exon_9["dose_mg_per_day"] == dose_800
    assert ("hepatic_dose_reduction" in standard["flags"]) is reduced_400
    assert ("hepatic_dose_reduction" in exon_9["flags"]) is reduced_800


def test_severe_hepatic_is_unconfirmed_and_names_both_labels():
    result = run(checked(hepatic_impairment="severe"))
    severe = reason(result, "dose.hepatic_severe")
    assert severe["status"] == rules.UNCONFIRMED and set(severe["sources"]) == {"S1", "S2"}
    assert "25%" in severe["text"] and "US label" in severe["text"] and "EU SmPC" in severe["text"]
    assert UNCONFIRMED + "dose.hepatic_severe" in result["flags"]


def test_severe_hepatic_percentage_is_a_setting():
    settings = GuidelineSettings(severe_hepatic_reduction_percent=50)
    result = recommend(checked(hepatic_impairment="severe"), settings=settings)
    assert result["dose_mg_per_day"] == 200
    assert "non_default_settings" in result["flags"]


def test_kidney_and_liver_together_take_the_lower_dose():
    result = run(checked(creatinine_clearance_ml_min=50, hepatic_impairment="severe"))
    assert result["dose_mg_per_day"] == 300
    assert {"renal_dose_cap", "hepatic_dose_reduction"} <= set(result["flags"])
    assert "dose.organ_function_combined" in rule_ids(result)
    both = run(checked(creatinine_clearance_ml_min=30, hepatic_impairment="severe"))
    assert both["dose_mg_per_day"] == 200


def test_no_dose_level_left_is_a_specialist_decision():
    settings = GuidelineSettings(neoadjuvant_mg=300)
    data = checked(setting="neoadjuvant", creatinine_clearance_ml_min=30)
    result = recommend(data, settings=settings)
    assert result["decision"] == "specialist_only" and result["dose_mg_per_day"] is None
    assert "decision.organ_function_no_dose_level" in rule_ids(result)


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({}, "Creatinine clearance and liver impairment"),
        ({"creatinine_clearance_ml_min": 90}, "Liver impairment"),
        ({"hepatic_impairment": "none"}, "Creatinine clearance"),
    ],
)
def test_missing_kidney_or_liver_function_is_flagged(changes, missing):
    result = run(case(**changes))
    assert "renal_hepatic_not_checked" in result["flags"]
    assert reason(result, "flag.renal_hepatic_not_checked")["text"].startswith(missing)


def test_both_given_is_not_flagged():
    assert "renal_hepatic_not_checked" not in run(checked())["flags"]


# ---- 200 mg, the renal start, as a dose level ------------------------------------------------


def test_200_mg_is_a_dose_level_without_a_lower_step():
    assert doses_per_day(200) == 1
    assert next_lower_dose(200) is None
    assert reduction_step(200).rule.id == "toxicity.below_300"
    with pytest.raises(ValueError):
        GuidelineSettings(neoadjuvant_mg=200)


# ---- neoadjuvant without a mitotic count; surgery and margin ---------------------------------


def neoadjuvant(**changes):
    return checked(setting="neoadjuvant", **changes)


def test_neoadjuvant_without_mitoses_is_provisional():
    result = run(neoadjuvant(site="rectum", size_cm=8.0, mitoses_per_50hpf=None))
    assert result["decision"] == "treat"
    assert "duration_provisional" in result["flags"]
    text = reason(result, "duration.provisional_until_pathology")["text"]
    assert "provisional" in text and "No mitotic count" in text
    assert "surgery_date" in text and "resection_margin" in text
    # non-gastric 5-10 cm is high whatever the count; the AFIP cell has no data either way
    assert result["risk"]["modified_nih"] == "high"
    assert "risk.mitoses_not_given" in rule_ids(result)


def test_neoadjuvant_without_mitoses_where_the_count_matters():
    result = run(neoadjuvant(site="stomach", size_cm=4.0, mitoses_per_50hpf=None))
    assert result["risk"] == {
        "modified_nih": None,
        "afip": {"category": None, "progression_pct": None},
    }
    assert result["duration_months"] is None and "duration_provisional" in result["flags"]
    big = run(neoadjuvant(site="stomach", size_cm=12.0, mitoses_per_50hpf=None))
    assert big["risk"]["modified_nih"] == "high" and big["duration_months"] == 36


def test_neoadjuvant_with_biopsy_count_is_still_provisional_until_surgery():
    result = run(neoadjuvant())
    assert "duration_provisional" in result["flags"]
    assert "No mitotic count" not in reason(result, "duration.provisional_until_pathology")["text"]


def test_surgery_date_and_margin_complete_the_neoadjuvant_plan():
    before = run(neoadjuvant(mitoses_per_50hpf=None, size_cm=7.0, site="jejunum_ileum"))
    after = run(
        neoadjuvant(
            mitoses_per_50hpf=8,
            size_cm=7.0,
            site="jejunum_ileum",
            surgery_date="2025-11-01",
            resection_margin="R0",
        )
    )
    assert "duration_provisional" in before["flags"]
    assert "duration_provisional" not in after["flags"]
    assert after["duration_months"] == 36 and after["planned_end_date"] == "2028-03-15"


def test_neoadjuvant_r2_continues_as_advanced():
    result = run(neoadjuvant(surgery_date="2025-11-01", resection_margin="R2"))
    assert result["decision"] == "treat" and result["duration_months"] is None
    assert "resection_r2" in result["flags"] and "duration.neoadjuvant_r2" in rule_ids(result)


@pytest.mark.parametrize(
    ("margin", "decision"), [("R0", "treat"), ("R1", "treat"), ("R2", "specialist_only")]
)
def test_adjuvant_margin(margin, decision):
    result = run(checked(surgery_date="2025-02-01", resection_margin=margin))
    assert result["decision"] == decision
    assert ("resection_r2" in result["flags"]) is (margin == "R2")


@pytest.mark.parametrize(
    ("days", "late"), [(0, False), (83, False), (84, False), (85, True), (200, True)]
)
def test_late_adjuvant_start_boundary(days, late):
    surgery = (date(2025, 3, 15) - timedelta(days=days)).isoformat()
    result = run(checked(surgery_date=surgery))
    assert ("late_adjuvant_start" in result["flags"]) is late
    if late:
        assert f"{days} days" in reason(result, "flag.late_adjuvant_start")["text"]


def test_late_start_is_not_checked_outside_the_adjuvant_setting():
    result = run(advanced_case(surgery_date="2020-01-01"))
    assert "late_adjuvant_start" not in result["flags"]


def test_late_start_weeks_is_a_setting():
    settings = GuidelineSettings(adjuvant_start_within_weeks=16)
    result = recommend(checked(surgery_date="2024-12-01"), settings=settings)  # 104 days
    assert "late_adjuvant_start" not in result["flags"]


# ---- age ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "flagged"), [("adjuvant", True), ("neoadjuvant", True), ("advanced", False)]
)
def test_age_not_given(setting, flagged):
    data = advanced_case(age_years=None) if setting == "advanced" else case(setting=setting)
    data = {k: v for k, v in data.items() if k != "age_years"}
    assert ("age_not_given" in run(data)["flags"]) is flagged
    assert "age_not_given" not in run(case(setting="adjuvant", age_years=60))["flags"]


# ---- the two risk tables ---------------------------------------------------------------------


def test_risk_tables_disagree_on_the_issue_example():
    result = run(case(site="rectum", size_cm=1.5, mitoses_per_50hpf=6))
    assert result["risk"]["modified_nih"] == "intermediate"
    assert result["risk"]["afip"] == {"category": "high", "progression_pct": 54.0}
    assert "risk_tables_disagree" in result["flags"]
    text = reason(result, "flag.risk_tables_disagree")["text"]
    assert "intermediate" in text and "high 54%" in text
    assert reason(result, "flag.risk_tables_disagree")["status"] == rules.DESIGN


@pytest.mark.parametrize(
    ("changes", "disagree"),
    [
        ({"site": "stomach", "size_cm": 4.0, "mitoses_per_50hpf": 3}, False),  # low, very low
        ({"site": "jejunum_ileum", "size_cm": 7.0, "mitoses_per_50hpf": 8}, False),  # high, ID
        ({"site": "stomach", "size_cm": 12.0, "mitoses_per_50hpf": 3}, True),  # high, moderate
        ({"site": "stomach", "size_cm": 4.0, "mitoses_per_50hpf": 8}, False),  # int., moderate
        ({"site": "duodenum", "size_cm": 4.0, "mitoses_per_50hpf": 3}, False),  # low, low
        ({"site": "duodenum", "size_cm": 1.5, "mitoses_per_50hpf": 8}, True),  # int., high
        ({"site": "jejunum_ileum", "size_cm": 12.0, "mitoses_per_50hpf": 3}, False),  # high
    ],
)
def test_risk_tables_compared_by_decision(changes, disagree):
    assert ("risk_tables_disagree" in run(case(**changes))["flags"]) is disagree


def test_risk_tables_not_compared_for_advanced():
    assert "risk_tables_disagree" not in run(advanced_case(size_cm=1.5))["flags"]


# ---- baseline review points -----------------------------------------------------------------


def whats(result):
    return [p["what"] for p in result["review_points"] if p["date"] == "2025-03-15"]


@pytest.mark.parametrize(
    ("status", "serology", "specialist", "flag"),
    [
        (None, True, False, False),
        ("unknown", True, False, False),
        ("negative", False, False, False),
        ("past_infection", False, True, True),
        ("chronic", False, True, True),
    ],
)
def test_hepatitis_b(status, serology, specialist, flag):
    result = run(checked(hbv_status=status))
    assert (rules.WHAT_HBV_SEROLOGY in whats(result)) is serology
    assert (rules.WHAT_HBV_SPECIALIST in whats(result)) is specialist
    assert ("hbv_reactivation_risk" in result["flags"]) is flag


def test_tsh_for_thyroidectomy():
    result = run(checked(thyroidectomy=True))
    assert rules.WHAT_TSH_BASELINE in whats(result)
    tsh = [p["date"] for p in result["review_points"] if p["what"] == rules.WHAT_TSH]
    assert tsh[:2] == ["2025-04-15", "2025-05-15"] and len(tsh) == 36
    for value in (False, None):
        assert not [
            p for p in run(checked(thyroidectomy=value))["review_points"] if "TSH" in p["what"]
        ]


def test_pregnancy_point_always_and_flag_when_pregnant():
    plain = run(checked())
    assert rules.WHAT_PREGNANCY in whats(plain) and "pregnancy_risk" not in plain["flags"]
    assert "14 days" in reason(plain, "review.pregnancy")["text"]
    pregnant = run(checked(pregnant_or_planning=True))
    assert rules.WHAT_PREGNANCY_SPECIALIST in whats(pregnant)
    assert "pregnancy_risk" in pregnant["flags"]
    assert reason(pregnant, "flag.pregnancy_risk")["status"] == rules.UNCONFIRMED


def test_blood_counts_continue_after_week_8_at_the_setting():
    start = date(2025, 3, 15)
    three = GuidelineSettings(blood_count_interval_after_week_8_months=3)
    result = recommend(checked(), settings=three)
    counts = [p["date"] for p in result["review_points"] if p["what"] == rules.WHAT_BLOOD_COUNTS]
    assert counts[6:9] == ["2025-08-15", "2025-11-15", "2026-02-15"]
    assert str(start + timedelta(days=56)) == counts[5]
    assert "every 3 month(s)" in reason(result, "review.blood_counts_after_week_8")["text"]


def test_advanced_imaging_is_a_setting():
    settings = GuidelineSettings(
        advanced_imaging_first_months=(2,), advanced_imaging_interval_months=4
    )
    result = recommend(advanced_case(), settings=settings)
    imaging = [
        p["date"] for p in result["review_points"] if p["what"] == rules.WHAT_IMAGING_RESPONSE
    ]
    assert imaging[:3] == ["2025-05-15", "2025-09-15", "2026-01-15"]
    assert "at 2 months, then every 4 months" in reason(result, "review.imaging_advanced")["text"]


@pytest.mark.parametrize(
    "bad",
    [
        {"blood_count_interval_after_week_8_months": 0},
        {"advanced_imaging_first_months": ()},
        {"advanced_imaging_interval_months": 0},
        {"severe_hepatic_reduction_percent": 100},
        {"severe_hepatic_reduction_percent": -1},
        {"adjuvant_start_within_weeks": 0},
        {"thyroidectomy_tsh_interval_months": True},
        {"contraception_days_after_last_dose": 0},
    ],
)
def test_new_settings_are_checked(bad):
    with pytest.raises(ValueError):
        GuidelineSettings(**bad)


# ---- every new flag reads as plain words -------------------------------------------------------

NEW_FLAGS = [
    "renal_dose_cap",
    "renal_severe_impairment",
    "hepatic_dose_reduction",
    "renal_hepatic_not_checked",
    "comedications_not_recognised",
    "duration_provisional",
    "late_adjuvant_start",
    "age_not_given",
    "risk_tables_disagree",
    "hbv_reactivation_risk",
    "pregnancy_risk",
    "resection_r2",
]


@pytest.mark.parametrize("flag", NEW_FLAGS)
def test_new_flags_have_words(flag):
    assert flag in rules.FLAG_WORDS
    words = flag_words(flag)
    assert words != flag and "_" not in words and "review." not in words


def test_interaction_flags_have_words():
    assert flag_words("cyp3a4_interaction:warfarin") == (
        "Interaction with imatinib: warfarin (see the reasons)"
    )
    assert "St John's wort" in flag_words("cyp3a4_interaction:st_johns_wort")


def test_every_new_rule_is_documented_with_status_and_sources():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "guidelines.md").read_text()
    prefixes = ("interaction.", "flag.", "dose.renal", "dose.hepatic", "dose.organ", "decision.r")
    for rule in rules.RULES.values():
        if rule.id.startswith(prefixes) or rule.id.startswith("review."):
            assert f"`{rule.id}`" in text, rule.id
            assert rule.sources and all(s in rules.SOURCES for s in rule.sources)

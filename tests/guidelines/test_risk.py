"""Risk tables (docs/clinical-facts.md §4): test vectors, every boundary, monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.guidelines import (
    CaseInvalid,
    GuidelineSettings,
    afip_column,
    afip_risk,
    modified_nih_risk,
    modified_nih_row,
    risk_rank,
)
from backend.guidelines.rules import SITES

NON_GASTRIC = [s for s in SITES if s != "stomach"]
VL, LO, IM, H = "very_low", "low", "intermediate", "high"

# ---- §10 test vectors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "size", "mitoses", "expected"),
    [
        ("stomach", 4, 3, LO),
        ("stomach", 4, 8, IM),
        ("jejunum_ileum", 4, 8, H),
        ("stomach", 7, 4, IM),
        ("jejunum_ileum", 7, 4, H),
        ("stomach", 7, 6, H),
        ("stomach", 1.5, 12, H),
        ("jejunum_ileum", 1.5, 8, IM),  # UNCONFIRMED edge case (§4.1 note)
    ],
)
def test_section_10_modified_nih_vectors(site, size, mitoses, expected):
    assert modified_nih_risk(site, size, mitoses, False) == expected


@pytest.mark.parametrize("site", SITES)
def test_section_10_any_site_12cm_1_mitosis_is_high(site):
    assert modified_nih_risk(site, 12, 1, False) == H


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize(("size", "mitoses"), [(0.5, 0), (1.5, 8), (4, 3), (7, 4), (30, 50)])
def test_section_10_any_site_rupture_is_high(site, size, mitoses):
    assert modified_nih_risk(site, size, mitoses, True) == H
    assert modified_nih_row(site, size, mitoses, True)[1].order == "1"


@pytest.mark.parametrize(
    ("site", "size", "mitoses", "expected"),
    [
        ("jejunum_ileum", 4, 3, ("low", 8.3)),
        ("stomach", 12, 3, ("moderate", 10.0)),
        ("duodenum", 1.5, 8, ("high", None)),
    ],
)
def test_section_10_afip_vectors(site, size, mitoses, expected):
    assert afip_risk(site, size, mitoses) == expected


# ---- modified NIH: every boundary of the table -----------------------------------------------

SIZES = [1.0, 2.0, 2.01, 5.0, 5.01, 10.0, 10.01]
MITOSES = [0, 5, 6, 10, 11]
# rows: size; columns: mitoses 0, 5, 6, 10, 11 (read off clinical facts §4.1 by hand)
GASTRIC_GRID = {
    1.0: [VL, VL, IM, IM, H],
    2.0: [VL, VL, IM, IM, H],
    2.01: [LO, LO, IM, IM, H],
    5.0: [LO, LO, IM, IM, H],
    5.01: [IM, IM, H, H, H],
    10.0: [IM, IM, H, H, H],
    10.01: [H, H, H, H, H],
}
NON_GASTRIC_GRID = {
    1.0: [VL, VL, IM, IM, H],  # 6-10 mitoses here is the UNCONFIRMED edge cell
    2.0: [VL, VL, IM, IM, H],
    2.01: [LO, LO, H, H, H],
    5.0: [LO, LO, H, H, H],
    5.01: [H, H, H, H, H],
    10.0: [H, H, H, H, H],
    10.01: [H, H, H, H, H],
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mitoses_index", range(len(MITOSES)))
def test_modified_nih_gastric_boundaries(size, mitoses_index):
    expected = GASTRIC_GRID[size][mitoses_index]
    assert modified_nih_risk("stomach", size, MITOSES[mitoses_index], False) == expected


@pytest.mark.parametrize("site", NON_GASTRIC)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mitoses_index", range(len(MITOSES)))
def test_modified_nih_non_gastric_boundaries(site, size, mitoses_index):
    expected = NON_GASTRIC_GRID[size][mitoses_index]
    assert modified_nih_risk(site, size, MITOSES[mitoses_index], False) == expected


@pytest.mark.parametrize("site", NON_GASTRIC)
@pytest.mark.parametrize(("size", "mitoses"), [(0.1, 6), (2.0, 6), (1.0, 10), (2.0, 10)])
def test_small_non_gastric_mitotic_edge_cell_is_marked_and_configurable(site, size, mitoses):
    category, row = modified_nih_row(site, size, mitoses, False)
    assert (category, row.order) == (IM, "7b")
    assert row.rule_id == "risk.modified_nih.small_non_gastric_mitotic"
    settings = GuidelineSettings(small_non_gastric_mitotic_risk=H)
    assert modified_nih_risk(site, size, mitoses, False, settings=settings) == H


def test_gastric_small_mitotic_cell_is_not_the_edge_case():
    assert modified_nih_row("stomach", 1.5, 8, False)[1].order == "7"


@pytest.mark.parametrize("site", SITES)
def test_zero_mitoses_is_allowed(site):
    assert modified_nih_risk(site, 0.1, 0) == VL


# ---- modified NIH: monotonic (a larger tumour, more mitoses or a rupture never lowers it) ------

sizes = st.one_of(
    st.sampled_from([0.01, 2.0, 2.0000001, 5.0, 5.0000001, 10.0, 10.0000001, 100.0]),
    st.floats(min_value=0.001, max_value=60.0, allow_nan=False, allow_infinity=False),
)
mitoses = st.one_of(st.sampled_from([0, 5, 6, 10, 11]), st.integers(min_value=0, max_value=500))
edge_settings = st.sampled_from(
    [GuidelineSettings(), GuidelineSettings(small_non_gastric_mitotic_risk=H)]
)


@pytest.mark.parametrize("site", SITES)
@given(a=sizes, b=sizes, m=mitoses, rupture=st.booleans(), settings=edge_settings)
def test_larger_tumour_never_lowers_risk(site, a, b, m, rupture, settings):
    small, large = sorted((a, b))
    lower = modified_nih_risk(site, small, m, rupture, settings=settings)
    higher = modified_nih_risk(site, large, m, rupture, settings=settings)
    assert risk_rank(higher) >= risk_rank(lower)


@pytest.mark.parametrize("site", SITES)
@given(size=sizes, a=mitoses, b=mitoses, rupture=st.booleans(), settings=edge_settings)
def test_more_mitoses_never_lowers_risk(site, size, a, b, rupture, settings):
    few, many = sorted((a, b))
    lower = modified_nih_risk(site, size, few, rupture, settings=settings)
    higher = modified_nih_risk(site, size, many, rupture, settings=settings)
    assert risk_rank(higher) >= risk_rank(lower)


@pytest.mark.parametrize("site", SITES)
@given(size=sizes, m=mitoses, settings=edge_settings)
def test_rupture_never_lowers_risk(site, size, m, settings):
    without = modified_nih_risk(site, size, m, False, settings=settings)
    assert modified_nih_risk(site, size, m, True, settings=settings) == H
    assert risk_rank(H) >= risk_rank(without)


@given(site=st.sampled_from(SITES), size=sizes, m=mitoses, rupture=st.booleans())
def test_gastric_never_riskier_than_non_gastric(site, size, m, rupture):
    """The modification only upgrades non-gastric tumours (S13)."""
    gastric = modified_nih_risk("stomach", size, m, rupture)
    assert risk_rank(modified_nih_risk(site, size, m, rupture)) >= risk_rank(gastric)


# ---- AFIP: every cell and every boundary --------------------------------------------------------

# (size, mitoses) -> gastric, duodenum, jejunum/ileum, rectum, typed from clinical facts §4.2
_ID = ("insufficient_data", None)
AFIP_GRID = {
    (2.0, 5): [("none", 0.0), ("none", 0.0), ("none", 0.0), ("none", 0.0)],
    (2.01, 5): [("very_low", 1.9), ("low", 4.3), ("low", 8.3), ("low", 8.5)],
    (5.0, 5): [("very_low", 1.9), ("low", 4.3), ("low", 8.3), ("low", 8.5)],
    (5.01, 5): [("low", 3.6), ("moderate", 24.0), _ID, _ID],
    (10.0, 5): [("low", 3.6), ("moderate", 24.0), _ID, _ID],
    (10.01, 5): [("moderate", 10.0), ("high", 52.0), ("high", 34.0), ("high", 57.0)],
    (2.0, 6): [("none", None), ("high", None), _ID, ("high", 54.0)],
    (2.01, 6): [("moderate", 16.0), ("high", 73.0), ("high", 50.0), ("high", 52.0)],
    (5.0, 6): [("moderate", 16.0), ("high", 73.0), ("high", 50.0), ("high", 52.0)],
    (5.01, 6): [("high", 55.0), ("high", 85.0), _ID, _ID],
    (10.0, 6): [("high", 55.0), ("high", 85.0), _ID, _ID],
    (10.01, 6): [("high", 86.0), ("high", 90.0), ("high", 86.0), ("high", 71.0)],
}
AFIP_SITES = ["stomach", "duodenum", "jejunum_ileum", "rectum"]


@pytest.mark.parametrize(("size", "mitoses"), sorted(AFIP_GRID))
@pytest.mark.parametrize("column", range(4))
def test_afip_every_cell_at_its_boundaries(size, mitoses, column):
    expected = AFIP_GRID[(size, mitoses)][column]
    site = AFIP_SITES[column]
    assert afip_risk(site, size, mitoses) == expected
    # the mitotic bands are <=5 and >5 only: 10 and 11 read like 6; 0 reads like 5
    same_band = [0] if mitoses == 5 else [10, 11]
    for m in same_band:
        assert afip_risk(site, size, m) == expected


@pytest.mark.parametrize("site", ["colon", "esophagus", "extra_gastrointestinal"])
@pytest.mark.parametrize(("size", "mitoses"), sorted(AFIP_GRID))
def test_afip_sites_outside_table_use_jejunum_ileum_column(site, size, mitoses):
    assert afip_column(site) == ("jejunum_ileum", True)
    assert afip_risk(site, size, mitoses) == AFIP_GRID[(size, mitoses)][2]


@pytest.mark.parametrize("site", AFIP_SITES)
def test_afip_sites_in_table_are_not_extrapolated(site):
    assert afip_column(site)[1] is False


# ---- the risk functions refuse bad arguments --------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("small_bowel", 4, 3, False), "site"),
        (("stomach", 0, 3, False), "size_cm"),
        (("stomach", float("nan"), 3, False), "size_cm"),
        (("stomach", 4, 3.5, False), "mitoses_per_50hpf"),
        (("stomach", 4, -1, False), "mitoses_per_50hpf"),
        (("stomach", 4, 3, "no"), "rupture"),
    ],
)
def test_modified_nih_refuses_bad_arguments(args, field):
    with pytest.raises(CaseInvalid) as caught:
        modified_nih_risk(*args)
    assert caught.value.field == field


def test_afip_refuses_bad_arguments():
    with pytest.raises(CaseInvalid) as caught:
        afip_risk("stomach", True, 3)
    assert caught.value.field == "size_cm"

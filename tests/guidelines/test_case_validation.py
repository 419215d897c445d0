"""Strict input validation: each field missing, of the wrong type, out of range, unknown."""

from __future__ import annotations

import pickle
from datetime import date, datetime

import pytest

from backend.guidelines import CaseInvalid, parse_case, recommend

from .helpers import advanced_case, case


def refused_field(data) -> str:
    with pytest.raises(CaseInvalid) as caught:
        recommend(data)
    err = caught.value
    assert isinstance(err, ValueError)
    assert err.reason
    assert str(err) == f"{err.field}: {err.reason}"
    return err.field


# ---- missing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["setting", "site", "size_cm", "mitoses_per_50hpf", "mutation", "start_date"]
)
@pytest.mark.parametrize("how", ["absent", "null"])
def test_missing_required_field(field, how):
    data = case(**{field: ... if how == "absent" else None})
    assert refused_field(data) == field


def test_size_required_for_neoadjuvant():
    assert refused_field(case(setting="neoadjuvant", size_cm=...)) == "size_cm"


@pytest.mark.parametrize("value", [..., None])
def test_mitoses_optional_for_neoadjuvant(value):
    # a biopsy often has no mitotic count (issue 17); the duration is then provisional
    result = recommend(case(setting="neoadjuvant", mitoses_per_50hpf=value))
    assert result["decision"] == "treat"
    assert "duration_provisional" in result["flags"]


def test_tumour_fields_optional_for_advanced():
    assert recommend(advanced_case())["decision"] == "treat"
    assert recommend(advanced_case(size_cm=None, mitoses_per_50hpf=None))["decision"] == "treat"


@pytest.mark.parametrize("field", ["rupture", "age_years", "profile"])
@pytest.mark.parametrize("value", [..., None])
def test_optional_fields_may_be_absent_or_null(field, value):
    assert recommend(case(**{field: value}))["decision"] == "treat"


# ---- wrong type ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("setting", 1),
        ("setting", ["adjuvant"]),
        ("site", True),
        ("size_cm", "4"),
        ("size_cm", True),
        ("size_cm", [4]),
        ("mitoses_per_50hpf", 3.5),
        ("mitoses_per_50hpf", 3.0),
        ("mitoses_per_50hpf", "3"),
        ("mitoses_per_50hpf", True),
        ("rupture", "false"),
        ("rupture", 0),
        ("rupture", 1),
        ("mutation", 11),
        ("age_years", "60"),
        ("age_years", 60.5),
        ("age_years", 60.0),
        ("age_years", False),
        ("start_date", 20250315),
        ("start_date", datetime(2025, 3, 15, 9, 0)),
        ("profile", True),
    ],
)
def test_wrong_type(field, value):
    assert refused_field(case(**{field: value})) == field


@pytest.mark.parametrize(
    ("field", "value"), [("size_cm", "big"), ("mitoses_per_50hpf", 2.5), ("size_cm", True)]
)
def test_wrong_type_for_advanced_when_given(field, value):
    assert refused_field(advanced_case(**{field: value})) == field


# ---- out of range -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size_cm", 0),
        ("size_cm", 0.0),
        ("size_cm", -1.5),
        ("size_cm", float("nan")),
        ("size_cm", float("inf")),
        ("size_cm", float("-inf")),
        ("size_cm", 10**400),
        ("mitoses_per_50hpf", -1),
        ("age_years", -1),
        ("age_years", 131),
    ],
)
def test_out_of_range(field, value):
    assert refused_field(case(**{field: value})) == field


@pytest.mark.parametrize(("field", "value"), [("size_cm", 0.01), ("size_cm", 3), ("age_years", 0)])
def test_in_range_edges_are_accepted(field, value):
    recommend(case(**{field: value}))


# ---- unknown enum values (matched exactly) ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("setting", "Adjuvant"),
        ("setting", "palliative"),
        ("setting", ""),
        ("site", "small_bowel"),
        ("site", "gastric"),
        ("mutation", "KIT_EXON_11"),
        ("mutation", "pdgfra_exon_18"),
        ("profile", "asco"),
        ("profile", "NCCN"),
    ],
)
def test_unknown_value(field, value):
    assert refused_field(case(**{field: value})) == field


# ---- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-30",
        "2025-02-29",
        "2025-13-01",
        "2025-00-10",
        "15/03/2025",
        "2025-03-15T00:00:00",
        "20250315",
        "2025-W11-6",
        "2025-3-15",
        " 2025-03-15",
        "",
    ],
)
def test_bad_iso_date(value):
    assert refused_field(case(start_date=value)) == "start_date"


def test_leap_day_and_date_object_are_accepted():
    assert parse_case(case(start_date="2024-02-29")).start_date == date(2024, 2, 29)
    assert parse_case(case(start_date=date(2025, 3, 15))).start_date == date(2025, 3, 15)


# ---- extra fields and non-objects ---------------------------------------------------------------


@pytest.mark.parametrize("extra", ["ruptured", "notes", "dose_mg_per_day", "Setting"])
def test_unknown_extra_field_is_named(extra):
    assert refused_field({**case(), extra: True}) == extra


def test_unknown_field_reported_even_for_advanced():
    assert refused_field({**advanced_case(), "size": 4}) == "size"


@pytest.mark.parametrize("data", [None, [], "adjuvant", 42])
def test_case_must_be_an_object(data):
    assert refused_field(data) == "case"


def test_non_string_key_is_refused():
    assert refused_field({**case(), 1: "x"}) == "1"


# ---- the error itself ---------------------------------------------------------------------------


def test_case_invalid_message_and_pickling():
    err = CaseInvalid("size_cm", "must be greater than 0")
    assert str(err) == "size_cm: must be greater than 0"
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own object
    assert (copy.field, copy.reason) == (err.field, err.reason)


def test_parse_case_defaults():
    parsed = parse_case(case(rupture=..., profile=..., age_years=...))
    assert parsed.rupture is False
    assert parsed.profile == "nccn"
    assert parsed.age_years is None

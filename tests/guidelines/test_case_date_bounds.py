"""The guideline case's dates are inside DATE_MIN_YEAR..DATE_MAX_YEAR (the API's default
INPUT_DATE_MIN_YEAR..MAX_YEAR): a day near year 1 or 9999 overflowed when a plan added its
months to it."""

from datetime import date

import pytest
from django.conf import settings

from backend.guidelines import case as case_module
from backend.guidelines.errors import CaseInvalid

CASE = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
    "start_date": "2026-03-01",
}


@pytest.mark.parametrize("year", ["0001", "1899", "2201", "9999"])
@pytest.mark.parametrize("field", ["start_date", "surgery_date"])
def test_dates_outside_the_years_are_refused_naming_the_field(year, field):
    with pytest.raises(CaseInvalid) as refused:
        case_module.parse_case({**CASE, field: f"{year}-01-01"})
    assert refused.value.field == field
    assert "1900 and 2200" in refused.value.reason


def test_date_objects_from_python_callers_are_checked_too():
    with pytest.raises(CaseInvalid):
        case_module.parse_case({**CASE, "start_date": date(1, 1, 1)})


@pytest.mark.parametrize("year", ["1900", "2200"])
def test_the_bounds_themselves_are_accepted(year):
    parsed = case_module.parse_case({**CASE, "start_date": f"{year}-03-01"})
    assert parsed.start_date.year == int(year)


def test_the_bounds_match_the_api_defaults():
    assert case_module.DATE_MIN_YEAR == settings.INPUT_DATE_MIN_YEAR
    assert case_module.DATE_MAX_YEAR == settings.INPUT_DATE_MAX_YEAR

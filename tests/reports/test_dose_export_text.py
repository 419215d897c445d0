"""doses.csv joins each dose's facts (adherence.selectors.cohort.cohort_dose_texts) with commas
as they come: no value among them may need CSV quoting or neutralising."""

import zoneinfo

from backend.adherence.models import SkipReason
from backend.reports.tabular import csv_field


def test_no_zone_or_skip_reason_needs_quoting_or_neutralising():
    """The facts are joined with commas as they come: each must be its own CSV field."""
    for value in [*zoneinfo.available_timezones(), *SkipReason.values]:
        assert csv_field(value) == value, value

"""The range of dates and instants the system accepts as input.

Python's dates stop at year 1 and 9999, so a day near either end overflows as soon as
anything adds or subtracts a day (a schedule, a report range, a time-zone conversion): a 500.
Every date a client sends is checked against INPUT_DATE_MIN_YEAR..INPUT_DATE_MAX_YEAR (1900 to
2200 by default) first, and refused with a 400 naming the field.
"""

from datetime import date, datetime

from django import forms
from django.conf import settings


def input_year_bounds() -> tuple[int, int]:
    return settings.INPUT_DATE_MIN_YEAR, settings.INPUT_DATE_MAX_YEAR


def date_out_of_range_reason(value: date | datetime) -> str | None:
    """None when the value is inside the accepted years, else the reason to show."""
    low, high = input_year_bounds()
    if low <= value.year <= high:
        return None
    return f"Must be a date between the years {low} and {high}."


class BoundedDateField(forms.DateField):
    """A form date field that refuses dates outside INPUT_DATE_MIN_YEAR..INPUT_DATE_MAX_YEAR."""

    def to_python(self, value: str | datetime | date | None) -> date | None:
        parsed = super().to_python(value)
        if parsed is not None:
            reason = date_out_of_range_reason(parsed)
            if reason is not None:
                raise forms.ValidationError(reason, code="out_of_range")
        return parsed

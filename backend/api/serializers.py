"""Serializer base for every input: unknown fields are refused, never silently dropped, and
every date or instant is inside the accepted years (INPUT_DATE_MIN_YEAR..MAX_YEAR)."""

from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.fields import SkipField

from backend.common.dates import date_out_of_range_reason


def check_date_in_range(value: Any) -> None:
    """A DRF validator: a date or datetime outside the accepted years is a ValidationError."""
    if isinstance(value, (date, datetime)):
        reason = date_out_of_range_reason(value)
        if reason:
            raise serializers.ValidationError(reason, code="date_out_of_range")


class BoundedDateField(serializers.DateField):
    """A date inside the accepted years (StrictInputSerializer checks plain DateFields too)."""

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        check_date_in_range(parsed)
        return parsed


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a client's typo is a 400 rather than lost data, and
    any date or datetime field outside the accepted years, naming the field."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not accepted here."] for name in unknown}
                )
            self._check_date_fields(data)
        return super().to_internal_value(data)

    def _check_date_fields(self, data: dict[str, Any]) -> None:
        """Checked before the fields' own validation and the `validate_*` methods, which may
        already do arithmetic with the day."""
        errors: dict[str, list[str]] = {}
        for name, field in self.fields.items():
            if field.read_only or not isinstance(
                field, (serializers.DateField, serializers.DateTimeField)
            ):
                continue
            try:
                primitive = field.get_value(data)
                if primitive in (None, "") or primitive is serializers.empty:
                    continue
                value = field.to_internal_value(primitive)
            except (serializers.ValidationError, SkipField):
                continue  # the field's own validation names the fault
            except OverflowError:  # a time-zone shift past year 1 or 9999
                value = datetime.min
            reason = date_out_of_range_reason(value) if isinstance(value, date) else None
            if reason:
                errors[name] = [reason]
        if errors:
            raise serializers.ValidationError(errors)


# `from` and `to`: the first and last day (inclusive). `from` is a Python keyword, so the two
# are added in get_fields rather than declared; a subclass declares its other fields. With
# dates_required=False either may be left out (the view then picks the default). Comments, not
# a docstring: the schema describes an input by its docstring, inherited, and a subclass's
# (the export job's body) stays described as every strict input is.
class DateRangeInput(StrictInputSerializer):
    def __init__(self, *args: Any, dates_required: bool = True, **kwargs: Any) -> None:
        self.dates_required = dates_required
        super().__init__(*args, **kwargs)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=self.dates_required)
        fields["to"] = serializers.DateField(required=self.dates_required)
        return fields


class AwareDateTimeField(serializers.DateTimeField):
    """An instant from a phone must carry its offset: '08:05' alone could be any of 38 zones."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    "Include the UTC offset, e.g. 2025-06-01T08:05:00+02:00."
                )
            if parsed is not None:
                check_date_in_range(parsed)
        try:
            return super().to_internal_value(value)
        except OverflowError:
            check_date_in_range(datetime.min)
            raise

"""Serializer base for every input: unknown fields are refused, never silently dropped."""

from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a client's typo is a 400 rather than lost data."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not accepted here."] for name in unknown}
                )
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """An instant from a phone must carry its offset: '08:05' alone could be any of 38 zones."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    "Include the UTC offset, e.g. 2025-06-01T08:05:00+02:00."
                )
        return super().to_internal_value(value)

"""Conversions between UTC instants and a patient's local calendar (IANA zones)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone


def is_valid_time_zone(name: str) -> bool:
    """True for IANA names like 'Europe/Madrid'; false for paths, abbreviations and typos."""
    return isinstance(name, str) and name in _time_zone_names()


_TIME_ZONE_NAMES: frozenset[str] | None = None


def _time_zone_names() -> frozenset[str]:
    global _TIME_ZONE_NAMES
    if _TIME_ZONE_NAMES is None:
        _TIME_ZONE_NAMES = frozenset(available_timezones())
    return _TIME_ZONE_NAMES


def local_date(instant: datetime, time_zone: str) -> date:
    """The calendar date of an instant in the given zone."""
    return timezone.localtime(instant, ZoneInfo(time_zone)).date()

"""Conversions between UTC instants and a patient's local calendar (IANA zones)."""

from datetime import date, datetime, time
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


def local_today(time_zone: str) -> date:
    return local_date(timezone.now(), time_zone)


def local_wall_time_to_utc(day: date, wall_time: time, time_zone: str) -> datetime:
    """The UTC instant of a local wall-clock time on a given day.

    In a spring-forward gap the wall time does not exist; fold=0 maps it to the instant the
    clock would have shown it at the old offset, so the dose still happens once that day. In
    an autumn overlap fold=0 picks the first occurrence, so it never happens twice.
    """
    local = datetime.combine(day, wall_time, tzinfo=ZoneInfo(time_zone))
    return local.astimezone(ZoneInfo("UTC"))

"""Calendar arithmetic for plan end dates and review points."""

from __future__ import annotations

import calendar
from datetime import date


def add_calendar_months(start: date, months: int) -> date:
    """Return ``start`` moved by ``months`` calendar months.

    A plan of N months ends on the same day of the month N months later; when that day does not
    exist in the end month, it ends on the month's last day (2024-02-29 + 12 -> 2025-02-28,
    2025-01-31 + 1 -> 2025-02-28). This is the DESIGN convention of clinical facts §3.3 and §10.
    """
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError("months must be an integer")
    if not isinstance(start, date):
        raise TypeError("start must be a date")
    month_index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(month_index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last_day))

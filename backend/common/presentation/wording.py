"""The words shared by the nurse's pages and the reports (PDF, FHIR): month and day names,
plurals, PDC bands, plan states, skip reasons, percentages and waits. One place, so a page and
a printed report say the same thing the same way.

Pure Python and no app: the codes are the apps' (backend.adherence's SkipReason, dose and plan
states, PDC bands); tests/common/test_presentation.py checks the two agree. Only
backend.guidelines (pure rules, no Django) is read, for the symptom catalogue's labels.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final

from backend.guidelines.symptoms import SYMPTOMS

# --------------------------------------------------------------------------------------------
# Dates: our own month and day names, so output never depends on the server's locale
# --------------------------------------------------------------------------------------------

MONTHS_FULL: Final = (
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
)
MONTHS: Final = tuple(name[:3] for name in MONTHS_FULL)  # "Jan" .. "Dec"
WEEKDAYS_FULL: Final = (
    *("Monday", "Tuesday", "Wednesday", "Thursday"),
    *("Friday", "Saturday", "Sunday"),
)
WEEKDAYS: Final = tuple(name[:3] for name in WEEKDAYS_FULL)  # "Mon" .. "Sun"


def short_date(day: date) -> str:
    """Like "2 Dec"."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def medium_date(day: date) -> str:
    """Like "2 Dec 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def long_date(day: date) -> str:
    """Like "Wednesday 2 December 2026", for screen readers (abbreviations read badly)."""
    return f"{WEEKDAYS_FULL[day.weekday()]} {day.day} {MONTHS_FULL[day.month - 1]} {day.year}"


def plural(n: int, noun: str) -> str:
    """ "1 day", "2 days": nouns whose plural is the noun and an s."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --------------------------------------------------------------------------------------------
# PDC bands (backend.adherence.metrics: 90 % or more adherent, below 80 % non-adherent)
# --------------------------------------------------------------------------------------------

# In a sentence or a table cell, after the figure: "87.5 % sub-optimal".
BAND_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "adherent": "adherent",
        "suboptimal": "sub-optimal",
        "non_adherent": "non-adherent",
    }
)
NO_BAND_WORDS: Final = "no figure yet"  # nothing to measure yet

# With the band's limits, for a reader who has no legend (the FHIR export's interpretation).
BAND_WORDS_WITH_LIMITS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "non_adherent": "non-adherent (below 80 %)",
        "suboptimal": "sub-optimal (80 % to below 90 %)",
        "adherent": "adherent (90 % or more)",
    }
)

# The cohort page's band filter: capitalised labels of a choice list, with the limits.
BAND_CHOICE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "adherent": "Adherent (90 % or more)",
        "suboptimal": "Sub-optimal (80 to 90 %)",
        "non_adherent": "Non-adherent (below 80 %)",
    }
)


def band_words(band: str | None) -> str:
    return BAND_WORDS.get(band or "", NO_BAND_WORDS)


def percent(ratio: object) -> str:
    """A Ratio as '87.5 %' (or an em dash when there is nothing to measure yet)."""
    value = getattr(ratio, "percent", None)
    return "—" if value is None else f"{value:g} %"


# --------------------------------------------------------------------------------------------
# Plans and doses
# --------------------------------------------------------------------------------------------

# backend.adherence.selectors.plans.PlanSummary.state.
PLAN_STATE_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "active": "active",
        "on_hold": "on hold",
        "completed": "completed",
        "stopped": "stopped",
    }
)


def plan_state_words(state: str) -> str:
    return PLAN_STATE_WORDS.get(state, state)


# backend.adherence.models.SkipReason's labels in a sentence, and the key
# backend.adherence.metrics.UNSPECIFIED_REASON counts a skip without a reason under.
SKIP_REASON_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "side_effects": "side effects",
        "forgot": "forgot",
        "ran_out": "ran out",
        "travel": "travel",
        "other": "other",
        "unspecified": "no reason given",
    }
)


def skip_reason_words(reason: str) -> str:
    return SKIP_REASON_WORDS.get(reason, reason)


# --------------------------------------------------------------------------------------------
# Figures, waits and symptoms
# --------------------------------------------------------------------------------------------


def decimal_words(value: Decimal | float) -> str:
    """250.000000 -> "250", 0.850000 -> "0.85", 20.52 -> "20.52" (at most two places)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(rounded.normalize(), "f")


def duration(delta: timedelta | None) -> str:
    """'2 h 5 min', '3 d 4 h' or '45 s': how long an alert waited."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def symptom_label(code: str) -> str:
    """The catalogue's words for a symptom code ("limb_swelling" -> "Arm or leg swelling")."""
    symptom = SYMPTOMS.get(code)
    return symptom.label if symptom is not None else code

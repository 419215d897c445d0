"""Small template helpers for the dashboard pages (formatting only, no reads)."""

from datetime import timedelta

from django import template
from django.http import QueryDict

from backend.guidelines.symptoms import SYMPTOMS

register = template.Library()

BAND_WORDS = {
    "adherent": "adherent",
    "suboptimal": "sub-optimal",
    "non_adherent": "non-adherent",
}


@register.inclusion_tag("dashboard/partials/sort_header.html")
def sort_header(label: str, key: str, current: str, descending: bool, base_query: str) -> dict:
    """A column header that sorts by `key`; clicking the sorted column reverses it."""
    active = key == current
    next_order = "asc" if active and descending else ("desc" if active else "asc")
    query = QueryDict(base_query, mutable=True)
    query["sort"] = key
    query["order"] = next_order
    aria_sort = ("descending" if descending else "ascending") if active else "none"
    return {
        "label": label,
        "href": f"?{query.urlencode()}",
        "aria_sort": aria_sort,
        "active": active,
    }


@register.filter
def percent(ratio: object) -> str:
    """A Ratio as '87.5 %' (or an em dash when there is nothing to measure yet)."""
    value = getattr(ratio, "percent", None)
    return "—" if value is None else f"{value:g} %"


@register.filter
def band_words(band: str | None) -> str:
    return BAND_WORDS.get(band or "", "no figure yet")


@register.filter
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


PLAN_STATE_WORDS = {
    "active": "active",
    "on_hold": "on hold",
    "completed": "completed",
    "stopped": "stopped",
}


@register.filter
def plan_state_words(state: str) -> str:
    return PLAN_STATE_WORDS.get(state, state)


@register.filter
def symptom_label(code: str) -> str:
    """The catalogue's words for a symptom code ("limb_swelling" -> "Arm or leg swelling")."""
    symptom = SYMPTOMS.get(code)
    return symptom.label if symptom is not None else code

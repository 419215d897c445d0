"""Small template helpers for the dashboard pages (formatting only, no reads)."""

from typing import Any

from django import template
from django.http import QueryDict

from backend.common.presentation import wording
from backend.guidelines import rules

from ..presenters import minutes_until
from ..words import (
    FlagLine,
    SourceWords,
    action_words,
    basis_words,
    flag_lines,
    plain_text,
    red_flag_words,
    source_words,
)

register = template.Library()

# The words shared with the reports (backend.common.presentation.wording), as filters.
register.filter("percent", wording.percent)
register.filter("band_words", wording.band_words)
register.filter("duration", wording.duration)
register.filter("plan_state_words", wording.plan_state_words)
register.filter("symptom_label", wording.symptom_label)


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


# --------------------------------------------------------------------------------------------
# Guideline words: statuses, flags, sources and alert actions in plain words, never as codes
# --------------------------------------------------------------------------------------------


# An advice's actions and basis, and guideline text, in words (shared with the queue's rows,
# dashboard.presenters.queue_rows).
register.filter("action_words", action_words)
register.filter("basis_words", basis_words)
register.filter("plain_text", plain_text)


@register.filter
def red_flag_labels(codes: list[str] | None) -> str:
    """A report's red flags in the catalogue's words, joined."""
    return "; ".join(red_flag_words(codes or []))


@register.inclusion_tag("dashboard/partials/status_badge.html")
def status_badge(status: str | None, rule_id: str = "") -> dict:
    """A small badge for a rule that is not confirmed; nothing for a confirmed one."""
    words = None if status in (None, "") else rules.status_words(status)
    return {"words": words, "status": status or "", "rule_id": rule_id}


@register.inclusion_tag("dashboard/partials/flag_list.html")
def flag_list(flags: list[str] | None, label: str = "") -> dict:
    """Flags as plain words: the rules' statuses as badges (rule ids in the tooltip), other
    flags as short notes (their code in the tooltip)."""
    lines: list[FlagLine] = flag_lines(flags or [])
    return {"lines": lines, "label": label}


@register.inclusion_tag("dashboard/partials/source_list.html")
def source_list(codes: list[str] | None) -> dict:
    """Sources as the citation a nurse reads, the id (and how it was read) in the tooltip."""
    sources: list[SourceWords] = source_words(codes or [])
    return {"sources": sources}


@register.filter
def escalates_at(alert: Any) -> Any:
    """When this open urgent or high alert goes to the whole team, or None."""
    from backend.alerts.selectors import alert_escalates_at

    return alert_escalates_at(alert)


# Whole minutes from now to an instant (0 once it has passed), as the queue's rows say it.
register.filter("minutes_until", minutes_until)


@register.filter
def kg_change(weight: Any, baseline: Any) -> str:
    """A weight against the baseline, e.g. "+1.2 kg"; a dash for the baseline or none."""
    if baseline is None or weight.pk == baseline.pk:
        return "—"
    return f"{weight.weight_kg - baseline.weight_kg:+.1f} kg"

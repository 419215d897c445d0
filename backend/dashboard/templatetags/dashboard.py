"""Small template helpers for the dashboard pages (formatting only, no reads)."""

from collections.abc import Mapping
from typing import Any

from django import template
from django.http import QueryDict

from backend.common.presentation import wording
from backend.guidelines import rules

from ..words import (
    ACTION_WORDS,
    BASIS_WORDS,
    FlagLine,
    SourceWords,
    flag_lines,
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


@register.filter
def action_words(code: str) -> str:
    """An advice action code as a short instruction ("call_patient" -> "Call the patient")."""
    return ACTION_WORDS.get(code, code.replace("_", " ").capitalize())


@register.filter
def basis_words(basis: str | None) -> str:
    """What an alert's advice rests on, in words ("" for advice stored before issue 16)."""
    return BASIS_WORDS.get(basis or "", "")


@register.filter
def red_flag_labels(codes: list[str] | None) -> str:
    """A report's red flags in the catalogue's words, joined."""
    return "; ".join(red_flag_words(codes or []))


@register.filter
def plain_text(text: str | None) -> str:
    """Guideline text without an old trailing status note ("... [DESIGN convention, ...]")."""
    return rules.plain_reason_text(text or "")[0]


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


@register.inclusion_tag("dashboard/partials/flag_list.html")
def advice_marks(advice: Mapping[str, Any] | None) -> dict:
    """An alert advice's flags and rule status as plain words: one badge per status (the
    deciding rule's own status is not repeated when a flag already says it)."""
    advice = advice or {}
    rule_id, status = advice.get("rule") or "", advice.get("status") or ""
    lines = flag_lines(advice.get("flags") or [], known={rule_id: status} if status else None)
    words = rules.status_words(status) if status else None
    if words and not any(line.is_status and line.words == words for line in lines):
        title = f"Rule: {rule_id}" if rule_id else "Rule status"
        lines.append(FlagLine(words=words, title=title, is_status=True))
    return {"lines": lines, "label": "About this advice"}


@register.filter
def escalates_at(alert: Any) -> Any:
    """When this open urgent or high alert goes to the whole team, or None."""
    from backend.alerts.selectors import alert_escalates_at

    return alert_escalates_at(alert)


@register.filter
def minutes_until(moment: Any) -> int:
    """Whole minutes from now to `moment` (0 once it has passed)."""
    from django.utils import timezone

    return max(0, int((moment - timezone.now()).total_seconds() // 60))


@register.filter
def kg_change(weight: Any, baseline: Any) -> str:
    """A weight against the baseline, e.g. "+1.2 kg"; a dash for the baseline or none."""
    if baseline is None or weight.pk == baseline.pk:
        return "—"
    return f"{weight.weight_kg - baseline.weight_kg:+.1f} kg"

"""Shared helpers for the guideline tests: a valid base case and an output checker."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from backend.guidelines import add_calendar_months, rules

OUTPUT_KEYS = {
    "guideline_version",
    "decision",
    "risk",
    "dose_mg_per_day",
    "doses_per_day",
    "duration_months",
    "planned_end_date",
    "review_points",
    "flags",
    "reasons",
}


def case(**changes: Any) -> dict[str, Any]:
    """A valid adjuvant, high-risk case (gastric 12 cm), changed by keyword arguments.

    A keyword set to ``...`` removes the field.
    """
    base: dict[str, Any] = {
        "setting": "adjuvant",
        "site": "stomach",
        "size_cm": 12.0,
        "mitoses_per_50hpf": 3,
        "rupture": False,
        "mutation": "kit_exon_11",
        "age_years": 60,
        "start_date": "2025-03-15",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def advanced_case(**changes: Any) -> dict[str, Any]:
    """A valid advanced case (no primary-tumour fields)."""
    fields: dict[str, Any] = {"size_cm": ..., "mitoses_per_50hpf": ..., "rupture": ...}
    return case(setting="advanced", **{**fields, **changes})


def rule_ids(result: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in result["reasons"]]


def assert_well_formed(result: dict[str, Any], start: str) -> None:
    """Every contract promise that holds for any output."""
    json.dumps(result, allow_nan=False)  # JSON-serialisable, no NaN/inf
    assert set(result) == OUTPUT_KEYS
    assert result["guideline_version"] == rules.GUIDELINE_VERSION
    assert result["decision"] in rules.DECISIONS

    # every decision, dose and duration has a reason with at least one known source, and its
    # rule's status as data (the text carries no bracketed status note)
    for reason in result["reasons"]:
        assert set(reason) == {"rule", "text", "sources", "status"}
        assert reason["text"]
        assert not reason["text"].rstrip().endswith("]"), reason
        assert reason["status"] in rules.STATUSES, reason
        if reason["rule"] in rules.RULES:
            assert reason["status"] == rules.RULES[reason["rule"]].status, reason
        assert reason["sources"], reason
        assert all(s in rules.SOURCES for s in reason["sources"]), reason
    kinds = {r["rule"].split(".")[0] for r in result["reasons"]}
    assert {"decision", "dose", "duration"} <= kinds

    # an unconfirmed_rule flag for exactly the UNCONFIRMED/DESIGN rules that fired
    fired = {r["rule"] for r in result["reasons"]}
    expected = {
        rules.UNCONFIRMED_FLAG_PREFIX + rid
        for rid in fired
        if rid in rules.RULES and rules.RULES[rid].needs_flag
    }
    flagged = {f for f in result["flags"] if f.startswith(rules.UNCONFIRMED_FLAG_PREFIX)}
    assert flagged == expected
    assert len(result["flags"]) == len(set(result["flags"]))

    # dose and schedule agree
    dose = result["dose_mg_per_day"]
    if dose is None:
        assert result["doses_per_day"] is None
        assert result["decision"] != rules.TREAT
    else:
        assert result["decision"] == rules.TREAT
        assert result["doses_per_day"] == (2 if dose == 800 else 1)

    # end date = start + duration in calendar months
    start_date = date.fromisoformat(start)
    if result["duration_months"] is None:
        assert result["planned_end_date"] is None
    else:
        end = add_calendar_months(start_date, result["duration_months"])
        assert result["planned_end_date"] == end.isoformat()

    # review points: only for treatment plans, sorted, within [start, end]
    points = result["review_points"]
    if result["decision"] != rules.TREAT:
        assert points == []
    else:
        assert points
        dates = [p["date"] for p in points]
        assert dates == sorted(dates)
        assert dates[0] == start
        for p in points:
            assert set(p) == {"date", "what"} and p["what"]
        if result["planned_end_date"] is not None:
            assert dates[-1] == result["planned_end_date"]
            assert all(d <= result["planned_end_date"] for d in dates)

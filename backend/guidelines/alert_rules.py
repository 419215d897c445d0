"""When a symptom report, a worsening, a skipped dose or a missed-dose streak alerts the care team.

Facts page §6.3 and §10 ``alerts_pro``: a nurse alert when any PRO-CTCAE score reaches 3 or
more, or rises by 2 or more versus the previous report ([C] S20, SYMPATHY). Everything else
here is DESIGN (the facts page's proposed defaults and the product issue) and can be changed by
a care team through :class:`AlertRuleSettings`.

Priorities, highest first: ``urgent`` > ``high`` > ``normal``. Their names and the mapping
below are DESIGN (no source ranks alerts):

- severe symptom: ``high`` at score >= 3 or clinician grade >= 3; ``urgent`` at score 4 or
  grade >= 4 (§6.3 DESIGN default "very severe (4) -> urgent"; CTCAE grade 4 is
  life-threatening, S16). Any attribute counts, so "almost constantly" and "very much" are
  urgent too (the conservative reading: the facts page names only severity 4).
- worsening: ``normal`` while the new level is below the severe score (a rise from "never" to
  "occasionally" needs a look, not a call today); at or above it, the same priority as the
  severe alert, so a worsening alert is never ranked below the severe alert of the same report.
- new rash: ``normal``. Presence-only answers carry no severity; the nurse grades it.
- dose skipped for side effects: ``high`` (``urgent`` if a symptom is at the urgent score). The
  patient is already changing treatment on their own because of a side effect, and imatinib
  leaves no margin for non-adherence (S28); nausea/vomiting predict non-adherence in GIST
  (S27).
- missed-dose streak: ``normal``. An adherence matter, not an acute safety one; when side
  effects are the reason the combined alert above is raised at ``high``.

Every decision names its rule, sources and status; rules that are UNCONFIRMED or DESIGN, and
non-PRO-CTCAE symptom questions, add ``unconfirmed_rule:<id>`` to ``flags`` (as
``recommend`` does), and changed settings add ``non_default_settings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Final

from . import rules
from .errors import CaseInvalid
from .rules import DESIGN, C, Rule
from .symptoms import (
    PRESENCE,
    SCALES,
    SEVERITY,
    SYMPTOMS,
    Symptom,
    checked_clinician_grade,
    get_symptom,
)

URGENT: Final = "urgent"
HIGH: Final = "high"
NORMAL: Final = "normal"
PRIORITIES: Final = (NORMAL, HIGH, URGENT)  # lowest first

SEVERE_SYMPTOM: Final = "severe_symptom"
WORSENING_SYMPTOM: Final = "worsening_symptom"
SIDE_EFFECT_NONADHERENCE: Final = "side_effect_nonadherence"
MISSED_STREAK: Final = "missed_dose_streak"
ALERT_KINDS: Final = (
    SEVERE_SYMPTOM,
    WORSENING_SYMPTOM,
    SIDE_EFFECT_NONADHERENCE,
    MISSED_STREAK,
)


def priority_rank(priority: str) -> int:
    """0 for normal, 1 for high, 2 for urgent (for sorting)."""
    return PRIORITIES.index(priority)


ALERT_RULES: Final[dict[str, Rule]] = rules._rules(
    Rule(
        "alert.severe_symptom",
        C,
        ("S20", "S19"),
        "A patient-reported symptom score of 3 or more (severe, frequently, quite a bit) "
        "alerts the care team (SYMPATHY rule).",
    ),
    Rule(
        "alert.urgent_symptom",
        DESIGN,
        ("S20",),
        "A score of 4 (very severe, almost constantly, very much) makes the alert urgent "
        "(the facts page's proposed default).",
    ),
    Rule(
        "alert.severe_grade",
        DESIGN,
        ("S16", "S1", "S2"),
        "A clinician's CTCAE v5.0 grade of 3 or more (severe; the label's 'severe' read as "
        "grade 3 or more) alerts the care team.",
    ),
    Rule(
        "alert.urgent_grade",
        DESIGN,
        ("S16",),
        "A CTCAE v5.0 grade of 4 (life-threatening) or 5 makes the alert urgent.",
    ),
    Rule(
        "alert.worsening_symptom",
        C,
        ("S20",),
        "A symptom whose level rises by 2 or more versus the previous report alerts the care "
        "team (SYMPATHY rule).",
    ),
    Rule(
        "alert.worsening_window",
        DESIGN,
        ("S20",),
        "The previous report counts only if it is at most 14 days older (product default; "
        "the source compares with the previous report without a time limit).",
    ),
    Rule(
        "alert.new_rash",
        DESIGN,
        ("S20", "S17", "S32"),
        "A rash reported 'yes' with no 'yes' in the previous report (or no report within the "
        "window) alerts the care team; the rash item asks presence only, so it can never reach "
        "the severe score (the facts page's proposed default).",
    ),
    Rule(
        "alert.side_effect_nonadherence",
        DESIGN,
        ("S27", "S28"),
        "A dose skipped because of side effects while a symptom is at level 2 or more (or a "
        "rash is present) alerts the care team: side effects drive non-adherence in GIST and "
        "imatinib leaves no margin for missed doses.",
    ),
    Rule(
        "alert.missed_streak",
        DESIGN,
        ("S28", "S27"),
        "Doses missed on 2 or more days in a row alert the care team (product default).",
    ),
)

_URGENT_RULES: Final = frozenset({"alert.urgent_symptom", "alert.urgent_grade"})

# Status of the symptom question behind an alert: non-PRO-CTCAE / adapted questions are flagged.
SYMPTOM_RULE_PREFIX: Final = "symptom."


@dataclass(frozen=True)
class AlertRuleSettings:
    """Alert thresholds. Defaults: facts page §6.3 / §10 (score 3, rise 2) and the product issue.

    A care team may change them; a decision made with other values carries the flag
    ``non_default_settings``. Scores are PRO-CTCAE 0-4 scores, grades CTCAE v5.0 1-5.
    """

    severe_score: int = 3  # [C] S20
    urgent_score: int = 4  # DESIGN §6.3
    severe_grade: int = 3  # DESIGN §5.1 (label "severe" = grade >= 3)
    urgent_grade: int = 4  # DESIGN, CTCAE grade 4 = life-threatening
    worsening_rise: int = 2  # [C] S20
    worsening_window_days: int = 14  # DESIGN (product issue)
    side_effect_skip_min_score: int = 2  # DESIGN (product issue)
    missed_streak_days: int = 2  # DESIGN (product issue)
    new_rash_alert: bool = True  # DESIGN §6.3 "rash = yes (new)"

    def __post_init__(self) -> None:
        bounds = {
            "severe_score": (1, 4),
            "urgent_score": (self.severe_score, 4),
            "severe_grade": (1, 5),
            "urgent_grade": (self.severe_grade, 5),
            "worsening_rise": (1, 4),
            "worsening_window_days": (1, 366),
            "side_effect_skip_min_score": (1, 4),
            "missed_streak_days": (1, 366),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number")
            if not low <= value <= high:
                raise ValueError(f"{name} must be from {low} to {high}")
        if not isinstance(self.new_rash_alert, bool):
            raise ValueError("new_rash_alert must be true or false")


DEFAULT_ALERT_SETTINGS: Final = AlertRuleSettings()


@dataclass(frozen=True)
class AlertDecision:
    """An alert to raise: what kind, how urgent, which rule, plain text for a nurse, sources.

    ``status`` is the deciding rule's status; ``flags`` lists ``unconfirmed_rule:<id>`` for
    every UNCONFIRMED/DESIGN rule or non-PRO-CTCAE question behind it, and
    ``non_default_settings`` when the thresholds were changed.
    """

    kind: str
    priority: str
    rule: str
    text: str
    sources: tuple[str, ...]
    status: str = C
    flags: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        data = asdict(self)
        data["sources"] = list(self.sources)
        data["flags"] = list(self.flags)
        return data


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _settings(settings: object) -> AlertRuleSettings:
    if not isinstance(settings, AlertRuleSettings):
        raise TypeError("settings must be an AlertRuleSettings")
    return settings


def _whole(field: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseInvalid(field, "must be a whole number")
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise CaseInvalid(field, f"must be {limit}")
    return value


def _top_level(item: Symptom) -> int:
    return max(q.max_score for q in item.questions)


def _presence_only(item: Symptom) -> bool:
    return item.attributes == (PRESENCE,)


def _name(item: Symptom) -> str:
    return item.label[0].lower() + item.label[1:]


def _level_word(item: Symptom, level: int) -> str:
    """A word for a summary level: the item's own scale if it has one question, else severity."""
    if len(item.questions) == 1:
        return item.questions[0].option_label(level)
    return SCALES[SEVERITY][level].label


def _decision(
    kind: str,
    priority: str,
    fired: list[str],
    text: str,
    settings: AlertRuleSettings,
    items: Iterable[Symptom] = (),
) -> AlertDecision:
    """Build a decision: ``fired[0]`` is the deciding rule; sources and flags cover all."""
    sources: list[str] = []
    flags: list[str] = []
    for rule_id in fired:
        rule = ALERT_RULES[rule_id]
        sources.extend(s for s in rule.sources if s not in sources)
        if rule.needs_flag:
            flags.append(rules.UNCONFIRMED_FLAG_PREFIX + rule_id)
    for item in items:
        if item.status in (rules.UNCONFIRMED, DESIGN):
            flags.append(rules.UNCONFIRMED_FLAG_PREFIX + SYMPTOM_RULE_PREFIX + item.code)
    if settings != DEFAULT_ALERT_SETTINGS:
        flags.append(rules.FLAG_NON_DEFAULT_SETTINGS)
    main = ALERT_RULES[fired[0]]
    return AlertDecision(kind, priority, main.id, text, tuple(sources), main.status, tuple(flags))


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def severe_symptom_alert(
    symptom: str,
    scores: Mapping[str, int],
    clinician_grade: int | None,
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Alert when any score >= ``severe_score`` or the clinician's grade >= ``severe_grade``.

    ``scores`` are one report's attribute scores (as from ``checked_answers``; may be empty
    when only a clinician grade is given). Priority ``high``; ``urgent`` when any score >=
    ``urgent_score`` or the grade >= ``urgent_grade``. None when nothing reaches a threshold.
    Example text: "nausea: severe (severity score 3)".
    """
    settings = _settings(settings)
    item = get_symptom(symptom)
    if not isinstance(scores, Mapping):
        raise CaseInvalid("scores", "must be an object mapping each attribute to a score")
    checked: dict[str, int] = {}
    for attribute, score in scores.items():
        if attribute not in item.attributes:
            raise CaseInvalid(f"scores.{attribute}", f"is not asked for {item.code}")
        top = item.question(attribute).max_score
        checked[attribute] = _whole(f"scores.{attribute}", score, 0, top)
    grade = None
    if clinician_grade is not None:
        grade = checked_clinician_grade(item.code, clinician_grade)

    score_rule = grade_rule = None
    top_score = max(checked.values(), default=0)
    if top_score >= settings.urgent_score:
        score_rule = "alert.urgent_symptom"
    elif top_score >= settings.severe_score:
        score_rule = "alert.severe_symptom"
    if grade is not None and grade >= settings.urgent_grade:
        grade_rule = "alert.urgent_grade"
    elif grade is not None and grade >= settings.severe_grade:
        grade_rule = "alert.severe_grade"
    if score_rule is None and grade_rule is None:
        return None

    # The deciding rule first: the one that sets the priority, the patient's score on a tie.
    fired = sorted(
        (r for r in (score_rule, grade_rule) if r is not None),
        key=lambda r: (r not in _URGENT_RULES, r != score_rule),
    )
    priority = URGENT if fired[0] in _URGENT_RULES else HIGH
    if "alert.urgent_symptom" in fired:
        fired.append("alert.severe_symptom")  # the urgent score builds on the severe rule

    parts: list[str] = []
    high_scores = [
        (score, attribute) for attribute, score in checked.items() if score >= settings.severe_score
    ]
    for score, attribute in sorted(
        high_scores, key=lambda sa: (-sa[0], item.attributes.index(sa[1]))
    ):
        word = item.question(attribute).option_label(score)
        parts.append(f"{word} ({attribute} score {score})")
    if grade_rule is not None:
        parts.append(f"CTCAE grade {grade} (clinician)")
    text = f"{_name(item)}: " + "; ".join(parts)
    return _decision(SEVERE_SYMPTOM, priority, fired, text, settings, [item])


def worsening_symptom_alert(
    symptom: str,
    previous_level: int | None,
    current_level: int,
    days_apart: int | None,
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Alert when a symptom's summary level rose by >= ``worsening_rise`` since its last report.

    ``previous_level`` is the summary level of the previous report of the same symptom (None
    if there is none) and ``days_apart`` the whole days between the two reports; a previous
    report more than ``worsening_window_days`` old does not count (14 counts, 15 does not).
    Priority ``normal``; ``high`` / ``urgent`` when the new level is at the severe / urgent
    score. Example text: "nausea: severe, rising from mild (level 1 to 3 in 6 days)".

    A presence-only symptom (rash: no 0 / yes 1) cannot rise by 2; instead a "yes" without a
    "yes" in the previous report within the window raises a ``worsening_symptom`` alert with
    rule ``alert.new_rash`` (DESIGN,
    §6.3 "rash = yes (new)"), unless ``settings.new_rash_alert`` is False.
    """
    settings = _settings(settings)
    item = get_symptom(symptom)
    top = _top_level(item)
    current = _whole("current_level", current_level, 0, top)
    previous = None if previous_level is None else _whole("previous_level", previous_level, 0, top)
    days = None
    if previous is not None:
        days = _whole("days_apart", days_apart, 0)
    elif days_apart is not None:
        _whole("days_apart", days_apart, 0)
    if days is not None and days > settings.worsening_window_days:
        previous = None  # too old to compare with

    if _presence_only(item):
        if not settings.new_rash_alert or current == 0 or previous == current:
            return None
        before = (
            "previously no"
            if previous == 0
            else f"no report of it in the last {settings.worsening_window_days} days"
        )
        text = f"{_name(item)}: new ({item.questions[0].option_label(current)}; {before})"
        return _decision(WORSENING_SYMPTOM, NORMAL, ["alert.new_rash"], text, settings, [item])

    if previous is None:
        return None
    rise = current - previous
    if rise < settings.worsening_rise:
        return None
    if current >= settings.urgent_score:
        priority = URGENT
    elif current >= settings.severe_score:
        priority = HIGH
    else:
        priority = NORMAL
    text = (
        f"{_name(item)}: {_level_word(item, current)}, rising from "
        f"{_level_word(item, previous)} (level {previous} to {current} in {days} days)"
    )
    fired = ["alert.worsening_symptom", "alert.worsening_window"]
    return _decision(WORSENING_SYMPTOM, priority, fired, text, settings, [item])


def side_effect_nonadherence_alert(
    symptom_levels: Mapping[str, int],
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Call when a dose was skipped because of side effects; alert if a symptom is bad enough.

    ``symptom_levels`` maps symptom code -> current summary level. Alert when any level is
    >= ``side_effect_skip_min_score``, or a presence-only symptom (rash) is "yes" (it has no
    higher level; DESIGN). Priority ``high``, ``urgent`` at the urgent score. Example text:
    "dose skipped because of side effects; nausea: moderate (level 2)".
    """
    settings = _settings(settings)
    if not isinstance(symptom_levels, Mapping):
        raise CaseInvalid("symptom_levels", "must be an object mapping symptom to level")
    hits: list[tuple[int, int, Symptom]] = []
    order = list(SYMPTOMS)
    for code, level in symptom_levels.items():
        item = get_symptom(code)
        value = _whole(f"symptom_levels.{code}", level, 0, _top_level(item))
        enough = (
            value >= 1 if _presence_only(item) else value >= settings.side_effect_skip_min_score
        )
        if enough:
            hits.append((value, order.index(item.code), item))
    if not hits:
        return None
    hits.sort(key=lambda h: (-h[0], h[1]))
    urgent = any(level >= settings.urgent_score for level, _, item in hits)
    parts = [
        f"{_name(item)}: {_level_word(item, level)} (level {level})" for level, _, item in hits
    ]
    text = "dose skipped because of side effects; " + ", ".join(parts)
    return _decision(
        SIDE_EFFECT_NONADHERENCE,
        URGENT if urgent else HIGH,
        ["alert.side_effect_nonadherence"],
        text,
        settings,
        [item for _, _, item in hits],
    )


def missed_streak_alert(
    streak_days: int, settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS
) -> AlertDecision | None:
    """Alert when doses were missed on >= ``missed_streak_days`` days in a row (``normal``).

    Example text: "missed 3 days in a row".
    """
    settings = _settings(settings)
    days = _whole("streak_days", streak_days, 0)
    if days < settings.missed_streak_days:
        return None
    text = f"missed {days} days in a row"
    return _decision(MISSED_STREAK, NORMAL, ["alert.missed_streak"], text, settings)

"""When a symptom report, a red flag, a weight, a skipped dose or a missed-dose streak alerts the
care team, and how urgent the alert is.

Two steps, kept apart (issue 16; docs/guidelines.md "Alerts"):

- **Triggering** stays sensitive, as the SYMPATHY rule ([C] S20) is: any PRO-CTCAE attribute
  of a report at 3 or more, or a rise of 2 or more in any attribute against the previous report
  of the same item, whatever its age (a care team may set a window).
- **Priority** comes from the PRO-CTCAE composite grade (Basch et al. 2021, S18), never from a
  single attribute: composite 3 -> ``high``; composite 2 or less -> ``normal``. A red flag is
  always ``urgent``. A clinician's CTCAE v5.0 grade of 3 or more -> ``high``; 4 or more (or a
  Stevens-Johnson / toxic epidermal necrolysis grade) -> ``urgent``. This mapping is DESIGN:
  no source ranks alerts.

Other rules (all DESIGN, each a setting): a new rash, a rash still present after some days,
rash follow-ups (more than 30% of the body -> ``high``; blisters, mouth or eye sores, fever ->
red flags), weight gain from baseline or within a week (fluid retention, label S1 §5.1; the
5% threshold is CTCAE v5.0 weight gain grade 1, S16), a dose skipped for side effects, a
missed-dose streak.

Every decision names its rule, sources and status; UNCONFIRMED or DESIGN rules and non-PRO-CTCAE
questions add ``unconfirmed_rule:<id>`` to ``flags`` (shown to nurses in plain words), and
changed settings add ``non_default_settings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

from . import rules
from .errors import CaseInvalid
from .rules import DESIGN, C, Rule
from .symptoms import (
    BODY_AREA,
    PRESENCE,
    RASH_FOLLOW_UPS,
    SCALES,
    SEVERITY,
    SYMPTOMS,
    Symptom,
    checked_clinician_grade,
    composite_grade,
    get_symptom,
)

URGENT: Final = "urgent"
HIGH: Final = "high"
NORMAL: Final = "normal"
PRIORITIES: Final = (NORMAL, HIGH, URGENT)  # lowest first

SEVERE_SYMPTOM: Final = "severe_symptom"
WORSENING_SYMPTOM: Final = "worsening_symptom"
PERSISTENT_SYMPTOM: Final = "persistent_symptom"
RED_FLAG: Final = "red_flag"
WEIGHT_GAIN: Final = "weight_gain"
SIDE_EFFECT_NONADHERENCE: Final = "side_effect_nonadherence"
MISSED_STREAK: Final = "missed_dose_streak"
RAN_OUT: Final = "ran_out"
ALERT_KINDS: Final = (
    SEVERE_SYMPTOM,
    WORSENING_SYMPTOM,
    PERSISTENT_SYMPTOM,
    RED_FLAG,
    WEIGHT_GAIN,
    SIDE_EFFECT_NONADHERENCE,
    MISSED_STREAK,
    RAN_OUT,
)


def priority_rank(priority: str) -> int:
    """0 for normal, 1 for high, 2 for urgent (for sorting)."""
    return PRIORITIES.index(priority)


def higher_priority(*priorities: str) -> str:
    """The most urgent of the given priorities."""
    return max(priorities, key=priority_rank)


ALERT_RULES: Final[dict[str, Rule]] = rules._rules(
    Rule(
        "alert.severe_symptom",
        C,
        ("S20", "S19"),
        "A patient-reported PRO-CTCAE answer of 3 or more (severe, frequently, quite a bit) "
        "alerts the care team (SYMPATHY rule).",
    ),
    Rule(
        "alert.composite_priority",
        DESIGN,
        ("S18", "S20"),
        "The alert's priority comes from the PRO-CTCAE composite grade (Basch 2021): "
        "composite 3 is high, 2 or less normal. A patient's answers are never a CTCAE grade.",
    ),
    Rule(
        "alert.red_flag",
        DESIGN,
        ("S2", "S1", "S16"),
        "A red-flag symptom (bleeding, vomiting blood, severe abdominal pain, breathlessness, "
        "chest pain, jaundice, fever, unusual bleeding or bruising, blistering rash) raises an "
        "urgent alert at once, whatever else the report says.",
    ),
    Rule(
        "alert.severe_grade",
        DESIGN,
        ("S16", "S1", "S2"),
        "A clinician's CTCAE v5.0 grade of 3 or more (severe; the label's 'severe' read as "
        "grade 3 or more) alerts the care team at high priority.",
    ),
    Rule(
        "alert.urgent_grade",
        DESIGN,
        ("S16",),
        "A CTCAE v5.0 grade of 4 (life-threatening) or 5, or any grade of Stevens-Johnson "
        "syndrome or toxic epidermal necrolysis, makes the alert urgent.",
    ),
    Rule(
        "alert.worsening_symptom",
        C,
        ("S20",),
        "A PRO-CTCAE answer that rises by 2 or more against the previous report of the same "
        "symptom alerts the care team (SYMPATHY rule).",
    ),
    Rule(
        "alert.worsening_window",
        DESIGN,
        ("S20",),
        "The care team limits how old the previous report may be (the source compares with "
        "the previous report whatever its age, the default here).",
    ),
    Rule(
        "alert.new_rash",
        DESIGN,
        ("S20", "S17", "S32"),
        "A rash reported 'yes' with no 'yes' in the previous report alerts the care team; its "
        "follow-up answers set the priority (more than 30% of the body: high).",
    ),
    Rule(
        "alert.persistent_rash",
        DESIGN,
        ("S17", "S32"),
        "A rash reported present for a number of days in a row alerts the care team again.",
    ),
    Rule(
        "alert.weight_gain",
        DESIGN,
        ("S1", "S3", "S16"),
        "Weight gain of 5% or more from baseline (CTCAE v5.0 weight gain grade 1) or of 2 kg "
        "or more within 7 days alerts the care team: fluid retention is imatinib's commonest "
        "serious effect and the label says to investigate unexpected rapid weight gain.",
    ),
    Rule(
        "alert.side_effect_nonadherence",
        DESIGN,
        ("S27", "S28"),
        "A dose skipped because of side effects while a symptom is at 2 or more (or a rash or "
        "a red flag is present) alerts the care team: side effects drive non-adherence in GIST "
        "and imatinib leaves no margin for missed doses.",
    ),
    Rule(
        "alert.missed_streak",
        DESIGN,
        ("S28", "S27"),
        "Doses missed on 2 or more days in a row alert the care team (product default).",
    ),
    Rule(
        "alert.ran_out",
        DESIGN,
        ("S28", "S27"),
        "A dose skipped because the patient ran out of tablets alerts the care team (once while "
        "the alert is open): imatinib leaves no margin for missed doses.",
    ),
)

# Status of the symptom question behind an alert: non-PRO-CTCAE / adapted questions are flagged.
SYMPTOM_RULE_PREFIX: Final = "symptom."


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}")
    return number


@dataclass(frozen=True)
class AlertRuleSettings:
    """Alert thresholds; each may be changed by a care team (``non_default_settings`` flag).

    Scores are PRO-CTCAE 0-4 answers, composites 0-3 (S18), grades CTCAE v5.0 1-5.
    ``worsening_window_days`` None: compare with the previous report whatever its age (S20).
    """

    severe_score: int = 3  # [C] S20
    high_priority_composite: int = 3  # DESIGN
    severe_grade: int = 3  # DESIGN (label "severe" = grade >= 3)
    urgent_grade: int = 4  # DESIGN, CTCAE grade 4 = life-threatening
    worsening_rise: int = 2  # [C] S20
    worsening_window_days: int | None = None  # [C] S20: no limit
    side_effect_skip_min_score: int = 2  # DESIGN
    missed_streak_days: int = 2  # DESIGN
    new_rash_alert: bool = True  # DESIGN
    rash_persistent_days: int = 14  # DESIGN
    weight_gain_percent: float = 5.0  # DESIGN from CTCAE v5.0 weight gain grade 1 (S16)
    weight_gain_kg: float = 2.0  # DESIGN
    weight_gain_window_days: int = 7  # DESIGN

    def __post_init__(self) -> None:
        bounds = {
            "severe_score": (1, 4),
            "high_priority_composite": (1, 3),
            "severe_grade": (1, 5),
            "urgent_grade": (self.severe_grade, 5),
            "worsening_rise": (1, 4),
            "worsening_window_days": (1, 3660),
            "side_effect_skip_min_score": (1, 4),
            "missed_streak_days": (1, 366),
            "rash_persistent_days": (1, 366),
            "weight_gain_window_days": (1, 90),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if name == "worsening_window_days" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number")
            if not low <= value <= high:
                raise ValueError(f"{name} must be from {low} to {high}")
        if not isinstance(self.new_rash_alert, bool):
            raise ValueError("new_rash_alert must be true or false")
        object.__setattr__(
            self,
            "weight_gain_percent",
            _number("weight_gain_percent", self.weight_gain_percent, 1, 50),
        )
        object.__setattr__(
            self, "weight_gain_kg", _number("weight_gain_kg", self.weight_gain_kg, 0.5, 20)
        )


DEFAULT_ALERT_SETTINGS: Final = AlertRuleSettings()
SETTING_NAMES: Final = tuple(f.name for f in fields(AlertRuleSettings))


@dataclass(frozen=True)
class AlertDecision:
    """An alert to raise: what kind, how urgent, which rule, plain text for a nurse, sources.

    ``symptom`` is the catalogue code it is about ('' for dose and weight alerts).
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
    symptom: str = ""

    def as_dict(self) -> dict[str, Any]:
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


def _name(item: Symptom) -> str:
    return item.label[0].lower() + item.label[1:]


def _checked_scores(item: Symptom, scores: object, field: str = "scores") -> dict[str, int]:
    if not isinstance(scores, Mapping):
        raise CaseInvalid(field, "must be an object mapping each attribute to a score")
    checked: dict[str, int] = {}
    for attribute, score in scores.items():
        if attribute not in item.attributes and attribute not in item.follow_up_attributes:
            raise CaseInvalid(f"{field}.{attribute}", f"is not asked for {item.code}")
        top = item.question(attribute).max_score
        checked[attribute] = _whole(f"{field}.{attribute}", score, 0, top)
    return checked


def _core(item: Symptom, scores: Mapping[str, int]) -> dict[str, int]:
    """The PRO-CTCAE attributes of a report (follow-ups left out)."""
    return {a: s for a, s in scores.items() if a in item.attributes}


def _composite(item: Symptom, core: Mapping[str, int], field: str) -> int | None:
    """The composite grade of a whole report; CaseInvalid when an attribute is missing."""
    for attribute in item.attributes:
        if attribute not in core:
            raise CaseInvalid(f"{field}.{attribute}", "is required")
    return composite_grade(item.code, core)


def _decision(
    kind: str,
    priority: str,
    fired: list[str],
    text: str,
    settings: AlertRuleSettings,
    items: Iterable[Symptom] = (),
    symptom: str = "",
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
    return AlertDecision(
        kind, priority, main.id, text, tuple(sources), main.status, tuple(flags), symptom
    )


def _answer_words(item: Symptom, scores: Mapping[str, int]) -> str:
    return ", ".join(
        f"{item.question(a).option_label(s)} ({a} {s})"
        for a, s in scores.items()
        if a in item.attributes
    )


def _composite_words(composite: int | None) -> str:
    if composite is None:
        return "patient-reported; no composite grade for a yes/no item"
    return f"patient-reported composite {composite} of 3, not a CTCAE grade"


def composite_priority(
    composite: int | None, settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS
) -> str:
    """``high`` at or above the composite setting (3), else ``normal``."""
    settings = _settings(settings)
    if composite is not None and composite >= settings.high_priority_composite:
        return HIGH
    return NORMAL


def rash_priority(scores: Mapping[str, int]) -> str:
    """A present rash's priority from its follow-ups: more than 30% of the body -> high (the
    CTCAE v5.0 maculo-papular grade 2-3 boundary, S16); blisters, sores and fever are red
    flags and raise their own urgent alerts."""
    return HIGH if scores.get(BODY_AREA, 0) >= 2 else NORMAL


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def red_flag_alert(
    red_flag: str, settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS
) -> AlertDecision:
    """The urgent alert of one red flag reported present (from the item or a rash follow-up)."""
    settings = _settings(settings)
    item = get_symptom(red_flag)
    if not item.red_flag:
        raise CaseInvalid("symptom", f"{item.code} is not a red flag")
    text = f"red flag: {_name(item)} (patient-reported)"
    return _decision(
        RED_FLAG, URGENT, ["alert.red_flag"], text, settings, [item], symptom=item.code
    )


def severe_symptom_alert(
    symptom: str,
    scores: Mapping[str, int],
    clinician_grade: int | None,
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
    ctcae_term: str | None = None,
) -> AlertDecision | None:
    """Alert when any answer >= ``severe_score`` or the clinician's grade >= ``severe_grade``.

    ``scores`` are one report's answers (as from ``checked_answers``; may be empty when only a
    clinician grade is given). Priority from the composite grade (``high`` at composite 3,
    else ``normal``); a clinician grade >= ``severe_grade`` is ``high``, >= ``urgent_grade``
    or an urgent term (SJS, TEN) ``urgent``. None when nothing reaches a threshold.
    Example text: "nausea: frequently (frequency 3), mild (severity 1); patient-reported
    composite 1 of 3, not a CTCAE grade".
    """
    settings = _settings(settings)
    item = get_symptom(symptom)
    checked = _checked_scores(item, scores)
    core = _core(item, checked)
    grade = None
    term = None
    if clinician_grade is not None:
        grade = checked_clinician_grade(item.code, clinician_grade, ctcae_term)
        term = item.term(ctcae_term)
        if not ctcae_term and term is not None and grade > term.highest_grade:
            term = None  # graded above the usual term without naming another

    score_fires = (
        bool(core) and max(core.values()) >= settings.severe_score and not (item.presence_only)
    )
    grade_rule = None
    if grade is not None and (grade >= settings.urgent_grade or (term is not None and term.urgent)):
        grade_rule = "alert.urgent_grade"
    elif grade is not None and grade >= settings.severe_grade:
        grade_rule = "alert.severe_grade"
    if not score_fires and grade_rule is None:
        return None

    fired: list[str] = []
    priority = NORMAL
    parts: list[str] = []
    if grade_rule is not None:
        fired.append(grade_rule)
        priority = URGENT if grade_rule == "alert.urgent_grade" else HIGH
        term_name = term.name if term is not None else "term not given"
        parts.append(f"CTCAE v5.0 grade {grade} ({term_name}), clinician-assessed")
    if score_fires:
        composite = _composite(item, core, "scores")
        score_priority = composite_priority(composite, settings)
        fired += ["alert.severe_symptom", "alert.composite_priority"]
        priority = higher_priority(priority, score_priority)
        parts.append(f"{_answer_words(item, core)}; {_composite_words(composite)}")
    text = f"{_name(item)}: " + "; ".join(parts)
    return _decision(SEVERE_SYMPTOM, priority, fired, text, settings, [item], item.code)


def worsening_symptom_alert(
    symptom: str,
    previous_scores: Mapping[str, int] | None,
    current_scores: Mapping[str, int],
    days_apart: int | None,
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Alert when any answer rose by >= ``worsening_rise`` since the symptom's previous report.

    ``previous_scores`` are that report's answers (None if there is none), ``days_apart`` the
    whole days between the two. The previous report counts whatever its age unless the care
    team set ``worsening_window_days``. Priority from the new composite grade.

    A yes/no symptom (rash) cannot rise by 2; instead a "yes" without a "yes" in the previous
    report raises a ``worsening_symptom`` alert with rule ``alert.new_rash`` whose priority
    comes from the follow-ups (unless ``settings.new_rash_alert`` is False). Red-flag items
    are alerted by :func:`red_flag_alert`, not here.
    """
    settings = _settings(settings)
    item = get_symptom(symptom)
    current = _checked_scores(item, current_scores, "current_scores")
    previous = None
    if previous_scores is not None:
        previous = _checked_scores(item, previous_scores, "previous_scores")
        days = _whole("days_apart", days_apart, 0)
        window = settings.worsening_window_days
        if window is not None and days > window:
            previous = None  # too old to compare with, as the care team set
    elif days_apart is not None:
        _whole("days_apart", days_apart, 0)
    if item.red_flag:
        return None

    if item.presence_only:
        now_present = current.get(PRESENCE, 0) == 1
        before_present = previous is not None and previous.get(PRESENCE, 0) == 1
        if not settings.new_rash_alert or not now_present or before_present:
            return None
        before = "previously no" if previous is not None else "no earlier report of it"
        extent = ""
        if BODY_AREA in current:
            extent = f"; {item.question(BODY_AREA).option_label(current[BODY_AREA])}"
        text = f"{_name(item)}: new ({before}{extent}; patient-reported)"
        return _decision(
            WORSENING_SYMPTOM,
            rash_priority(current),
            ["alert.new_rash"],
            text,
            settings,
            [item],
            item.code,
        )

    if previous is None:
        return None
    core = _core(item, current)
    rises = {a: core[a] - previous.get(a, 0) for a in core}
    attribute, rise = max(rises.items(), key=lambda ar: (ar[1], -item.attributes.index(ar[0])))
    if rise < settings.worsening_rise:
        return None
    composite = _composite(item, core, "current_scores")
    question = item.question(attribute)
    text = (
        f"{_name(item)}: {attribute} {question.option_label(core[attribute])}, rising from "
        f"{question.option_label(previous.get(attribute, 0))} ({previous.get(attribute, 0)} to "
        f"{core[attribute]} in {days_apart} days); {_composite_words(composite)}"
    )
    fired = ["alert.worsening_symptom", "alert.composite_priority"]
    if settings.worsening_window_days is not None:
        fired.append("alert.worsening_window")
    return _decision(
        WORSENING_SYMPTOM,
        composite_priority(composite, settings),
        fired,
        text,
        settings,
        [item],
        item.code,
    )


def persistent_rash_alert(
    days_present: int,
    days_since_last_alert: int | None,
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Alert again when a rash has been reported present for ``rash_persistent_days`` or more
    (counted from the first "yes" of the current unbroken run of reports), at most once per
    that many days (``days_since_last_alert``: since the last rash alert, None if none).
    Priority ``normal``. Example text: "rash: still present after 15 days (patient-reported)".
    """
    settings = _settings(settings)
    days = _whole("days_present", days_present, 0)
    limit = settings.rash_persistent_days
    if days < limit:
        return None
    if (
        days_since_last_alert is not None
        and _whole("days_since_last_alert", days_since_last_alert, 0) < limit
    ):
        return None
    item = get_symptom("rash")
    text = f"rash: still present after {days} days (patient-reported)"
    return _decision(
        PERSISTENT_SYMPTOM, NORMAL, ["alert.persistent_rash"], text, settings, [item], "rash"
    )


def weight_gain_alert(
    baseline_kg: float | None,
    current_kg: float,
    earlier_within_window: Iterable[float] = (),
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Alert on fluid retention: a gain of >= ``weight_gain_percent`` % from the baseline, or
    >= ``weight_gain_kg`` kg above the lowest weight of the last ``weight_gain_window_days``
    (``earlier_within_window``: the weights measured in that window before this one).
    Priority ``high`` at >= 10% from baseline (CTCAE v5.0 weight gain grade 2, S16), else
    ``normal``. None without a reason to alert.
    """
    settings = _settings(settings)
    current = _number("current_kg", current_kg, 1, 1000)
    reasons: list[str] = []
    priority = NORMAL
    if baseline_kg is not None:
        baseline = _number("baseline_kg", baseline_kg, 1, 1000)
        percent = (current - baseline) / baseline * 100
        if percent >= settings.weight_gain_percent - 1e-9:
            reasons.append(
                f"{current - baseline:+.1f} kg ({percent:+.1f}%) from baseline {baseline:.1f} kg"
            )
            if percent >= 10 - 1e-9:
                priority = HIGH
    earlier = [_number("earlier_kg", w, 1, 1000) for w in earlier_within_window]
    if earlier:
        lowest = min(earlier)
        if current - lowest >= settings.weight_gain_kg - 1e-9:
            reasons.append(
                f"{current - lowest:+.1f} kg within {settings.weight_gain_window_days} days"
            )
    if not reasons:
        return None
    text = f"weight {current:.1f} kg: " + "; ".join(reasons) + " (possible fluid retention)"
    return _decision(WEIGHT_GAIN, priority, ["alert.weight_gain"], text, settings)


def side_effect_nonadherence_alert(
    symptom_levels: Mapping[str, int],
    settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS,
) -> AlertDecision | None:
    """Call when a dose was skipped because of side effects; alert if a symptom is bad enough.

    ``symptom_levels`` maps symptom code -> current summary level (highest answer). Alert when
    any level is >= ``side_effect_skip_min_score``, or a yes/no symptom (rash, a red flag) is
    "yes". Priority ``high`` (the patient is changing treatment on their own); ``urgent`` when
    a red flag is among them. Example text: "dose skipped because of side effects; nausea:
    moderate (level 2)".
    """
    settings = _settings(settings)
    if not isinstance(symptom_levels, Mapping):
        raise CaseInvalid("symptom_levels", "must be an object mapping symptom to level")
    hits: list[tuple[int, int, Symptom]] = []
    order = list(SYMPTOMS)
    for code, level in symptom_levels.items():
        item = get_symptom(code)
        top = max(q.max_score for q in item.questions)
        value = _whole(f"symptom_levels.{code}", level, 0, top)
        enough = value >= 1 if item.presence_only else value >= settings.side_effect_skip_min_score
        if enough:
            hits.append((value, order.index(item.code), item))
    if not hits:
        return None
    hits.sort(key=lambda h: (not h[2].red_flag, -h[0], h[1]))
    urgent = any(item.red_flag for _, _, item in hits)

    def words(item: Symptom, level: int) -> str:
        if len(item.questions) == 1:
            return item.questions[0].option_label(level)
        return SCALES[SEVERITY][level].label

    parts = [f"{_name(item)}: {words(item, level)} (level {level})" for level, _, item in hits]
    text = "dose skipped because of side effects; " + ", ".join(parts)
    fired = ["alert.side_effect_nonadherence"]
    if urgent:
        fired.append("alert.red_flag")
    return _decision(
        SIDE_EFFECT_NONADHERENCE,
        URGENT if urgent else HIGH,
        fired,
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


def ran_out_alert(settings: AlertRuleSettings = DEFAULT_ALERT_SETTINGS) -> AlertDecision:
    """Call when a dose was skipped because the patient ran out of tablets (``normal``)."""
    text = "skipped a dose: ran out of tablets"
    return _decision(RAN_OUT, NORMAL, ["alert.ran_out"], text, _settings(settings))


__all__ = [
    "ALERT_KINDS",
    "ALERT_RULES",
    "DEFAULT_ALERT_SETTINGS",
    "PRIORITIES",
    "RASH_FOLLOW_UPS",
    "AlertDecision",
    "AlertRuleSettings",
    "composite_priority",
    "higher_priority",
    "missed_streak_alert",
    "persistent_rash_alert",
    "priority_rank",
    "ran_out_alert",
    "rash_priority",
    "red_flag_alert",
    "severe_symptom_alert",
    "side_effect_nonadherence_alert",
    "weight_gain_alert",
    "worsening_symptom_alert",
]

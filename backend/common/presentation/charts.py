"""Geometry for the nurse's patient page and the printed report: a dose calendar, per-symptom
charts and lab trends with the label's thresholds (pure Python).

Nothing here imports Django: the functions turn plain data into frozen dataclasses and the
templates only place what they are given. That keeps the arithmetic testable without a
database, and keeps the page free of inline script and inline ``style=`` attributes (the
Content-Security-Policy forbids both): every number a template needs is computed here, every
look is a CSS class or an SVG presentation attribute.

Nothing relies on colour alone (colour-blind readers, black-and-white printing): each dose
status has a one-character symbol and words, each chart series a marker shape of its own, and
every cell and point carries a full text label for screen readers.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from math import ceil, floor, log10
from types import MappingProxyType
from typing import Final

from backend.guidelines import rules
from backend.guidelines.dosing import blood_count_hold_needed, liver_hold_needed

from .wording import MONTHS, WEEKDAYS, long_date, medium_date, plural, short_date

# --------------------------------------------------------------------------------------------
# (a) Dose calendar
# --------------------------------------------------------------------------------------------

# The one place status words live. Keys are backend.adherence.metrics.DOSE_STATUSES (a test
# checks they agree); the order is the legend's order.
STATUS_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "taken": "taken",
        "taken_late": "taken late",
        "skipped": "skipped",
        "missed": "missed",
        "pending": "not logged yet",
        "on_hold": "on hold",
    }
)

# One character each, distinct in shape, so a status reads without colour and in print.
STATUS_SYMBOLS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "taken": "✓",
        "taken_late": "L",
        "skipped": "S",
        "missed": "✗",
        "pending": "·",
        "on_hold": "H",
    }
)

# Day summary: the first status in this tuple that any of the day's doses has.
# Problems come first (missed, then skipped, then taken late) so one bad dose is never hidden
# by a good one. "pending" outranks "taken": a day is not shown as taken until every dose is
# logged (the same rule as the adherence figures: a day counts once all its doses are
# resolved). "on_hold" is last: a hold covers whole dates, so a day is "on hold" only when all
# its doses are held.
SUMMARY_PRECEDENCE: Final = ("missed", "skipped", "taken_late", "pending", "taken", "on_hold")


def status_css_class(status: str) -> str:
    """Map "taken_late" to "dose-taken-late": CSS classes use hyphens, statuses underscores."""
    return "dose-" + status.replace("_", "-")


@dataclass(frozen=True)
class DoseMark:
    """One scheduled dose in a day cell: symbol for the eye, label for a screen reader."""

    slot: int  # 1-based position in the day's dose times; marks are ordered by it
    status: str  # a key of STATUS_WORDS
    label_time: str  # as given, e.g. "8:00"
    symbol: str  # STATUS_SYMBOLS[status]
    words: str  # STATUS_WORDS[status]
    css_class: str  # e.g. "dose-taken-late"
    label: str  # e.g. "8:00 dose: taken late"


@dataclass(frozen=True)
class CalendarDay:
    """One cell. Cells outside [first, last] only pad the week: no marks, no summary."""

    date: date
    in_range: bool
    marks: list[DoseMark]
    summary: str | None  # worst status by SUMMARY_PRECEDENCE; None when no dose is scheduled
    summary_css_class: str  # e.g. "dose-missed"; "dose-none" with no doses; "" out of range
    day_label: str  # text shown in the cell: "17", or "1 Dec" on the first of a month
    label: str  # e.g. "Wednesday 3 December 2026: 8:00 dose: taken; 20:00 dose: missed"
    is_today: bool


@dataclass(frozen=True)
class CalendarWeek:
    """Monday to Sunday, always seven days."""

    start: date  # the Monday
    days: list[CalendarDay]
    month_label: str  # "Dec 2026" on the week where a month's first shown day falls, else ""


@dataclass(frozen=True)
class LegendEntry:
    status: str
    symbol: str
    words: str
    css_class: str


@dataclass(frozen=True)
class DoseCalendar:
    first: date
    last: date
    weekdays: tuple[str, ...]  # column headings, "Mon" .. "Sun"
    weeks: list[CalendarWeek]
    legend: list[LegendEntry]


def _mark(slot: int, status: str, label_time: str) -> DoseMark:
    words = STATUS_WORDS[status]
    label = f"{label_time} dose: {words}" if label_time else f"Dose: {words}"
    return DoseMark(
        slot=slot,
        status=status,
        label_time=label_time,
        symbol=STATUS_SYMBOLS[status],
        words=words,
        css_class=status_css_class(status),
        label=label,
    )


def day_summary(statuses: Iterable[str]) -> str | None:
    """The day-level status: see SUMMARY_PRECEDENCE. None for a day with no doses."""
    present = set(statuses)
    return next((status for status in SUMMARY_PRECEDENCE if status in present), None)


def build_dose_calendar(
    first: date,
    last: date,
    doses: Iterable[tuple[date, int, str, str]],
    *,
    today: date | None = None,
) -> DoseCalendar:
    """Weeks of day cells covering first..last, Monday first, with each day's dose marks.

    ``doses`` are ``(date, slot, status, label_time)``; doses outside [first, last] are
    ignored. An unknown status raises ValueError: a new status needs a symbol and words here
    before it can be shown honestly.
    """
    if first > last:
        raise ValueError("first must not be after last")

    by_day: dict[date, list[DoseMark]] = {}
    for day, slot, status, label_time in doses:
        if status not in STATUS_WORDS:
            raise ValueError(f"unknown dose status {status!r}")
        if first <= day <= last:
            by_day.setdefault(day, []).append(_mark(slot, status, label_time))

    legend = [
        LegendEntry(
            status=status,
            symbol=STATUS_SYMBOLS[status],
            words=words,
            css_class=status_css_class(status),
        )
        for status, words in STATUS_WORDS.items()
    ]

    weeks: list[CalendarWeek] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        days = [
            _calendar_day(monday + timedelta(days=offset), first, last, by_day, today)
            for offset in range(7)
        ]
        weeks.append(CalendarWeek(start=monday, days=days, month_label=_month_label(days, first)))
        monday += timedelta(days=7)

    return DoseCalendar(first=first, last=last, weekdays=WEEKDAYS, weeks=weeks, legend=legend)


def _calendar_day(
    day: date,
    first: date,
    last: date,
    by_day: Mapping[date, list[DoseMark]],
    today: date | None,
) -> CalendarDay:
    is_today = day == today
    if not first <= day <= last:
        return CalendarDay(
            date=day,
            in_range=False,
            marks=[],
            summary=None,
            summary_css_class="",
            day_label="",
            label="",
            is_today=is_today,
        )
    marks = sorted(by_day.get(day, []), key=lambda mark: mark.slot)
    summary = day_summary(mark.status for mark in marks)
    doses_text = "; ".join(mark.label for mark in marks) or "no dose scheduled"
    return CalendarDay(
        date=day,
        in_range=True,
        marks=marks,
        summary=summary,
        summary_css_class=status_css_class(summary) if summary else "dose-none",
        day_label=short_date(day) if day.day == 1 or day == first else str(day.day),
        label=f"{long_date(day)}{' (today)' if is_today else ''}: {doses_text}",
        is_today=is_today,
    )


def _month_label(days: list[CalendarDay], first: date) -> str:
    """Months whose first shown day is in this week (the range start counts as one).

    Usually one month; a first week that holds the range start and the 1st of the next month
    names both ("Oct 2026 / Nov 2026") so no month goes unlabelled.
    """
    starts = [d.date for d in days if d.in_range and (d.date.day == 1 or d.date == first)]
    return " / ".join(f"{MONTHS[d.month - 1]} {d.year}" for d in starts)


# --------------------------------------------------------------------------------------------
# (b) Symptom chart
# --------------------------------------------------------------------------------------------

# PRO-CTCAE severity words for the patient's 0-4 answer (backend.guidelines.symptoms).
SCORE_WORDS: Final[Mapping[int, str]] = MappingProxyType(
    {0: "none", 1: "mild", 2: "moderate", 3: "severe", 4: "very severe"}
)
PATIENT_SCORE_RANGE: Final = range(0, 5)
CLINICIAN_GRADE_RANGE: Final = range(1, 6)
Y_MAX: Final = 5  # the shared y axis runs 0..5: patient scores 0..4, CTCAE grades 1..5

# Margins leave room for the y tick labels (left) and the x tick labels (bottom).
MARGIN_LEFT: Final = 40
MARGIN_RIGHT: Final = 16
MARGIN_TOP: Final = 12
MARGIN_BOTTOM: Final = 28

MARKER_RADIUS: Final = 4.0  # patient circle radius; clinician square half-side

_MAX_X_TICKS: Final = 6
_TICK_STEPS_DAYS: Final = (1, 2, 3, 5, 7, 10, 14, 21, 28, 42, 56, 91, 182, 364)


@dataclass(frozen=True)
class ChartPoint:
    """One report or assessment, placed in the SVG's user units.

    ``marker_path`` is a ready ``<path d=...>``: a circle for patient scores, a square for
    clinician grades, so the two series differ in shape as well as in CSS class.
    """

    x: float
    y: float
    value: int
    at: datetime
    label: str  # e.g. "2 Dec 2026: patient score 3 (severe)" / "2 Dec 2026: clinician grade 3"
    marker_path: str


@dataclass(frozen=True)
class AxisTick:
    pos: float  # x for x-axis ticks, y for y-axis ticks
    label: str


@dataclass(frozen=True)
class SymptomChart:
    """Everything an ``<svg viewBox="0 0 width height">`` needs, in its user units.

    The plot area is the rectangle plot_left..plot_right x plot_top..plot_bottom (y grows
    downwards, so plot_bottom > plot_top; value 0 sits on plot_bottom, 5 on plot_top).
    """

    symptom: str
    title: str
    description: str  # plain text for <desc> / aria-describedby
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    patient_points: list[ChartPoint]
    clinician_points: list[ChartPoint]
    patient_polyline: str  # "x,y x,y ..." for <polyline points=...>; "" when empty
    clinician_polyline: str
    x_ticks: list[AxisTick]
    y_ticks: list[AxisTick]
    y_axis_label: str


def _r(value: float) -> float:
    """One decimal is finer than a screen pixel; + 0.0 turns -0.0 into 0.0."""
    return round(value, 1) + 0.0


def _circle_path(x: float, y: float, r: float) -> str:
    return f"M{_r(x - r)},{y} a{r},{r} 0 1,0 {_r(2 * r)},0 a{r},{r} 0 1,0 {_r(-2 * r)},0 Z"


def _square_path(x: float, y: float, r: float) -> str:
    return f"M{_r(x - r)},{_r(y - r)} h{_r(2 * r)} v{_r(2 * r)} h{_r(-2 * r)} Z"


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def build_symptom_chart(
    symptom: str,
    start: datetime,
    end: datetime,
    patient_scores: Iterable[tuple[datetime, int]],
    clinician_grades: Iterable[tuple[datetime, int]],
    *,
    width: int = 640,
    height: int = 200,
    tz: tzinfo | None = None,
) -> SymptomChart:
    """Patient scores (0-4) and clinician CTCAE grades (1-5) over [start, end] on one axis.

    Both series share a 0..5 y axis so they can be read side by side, but they are different
    scales; labels and the description always say which is which. Points outside [start, end]
    are dropped. Dates in labels and ticks are in ``tz`` (default: start's zone), so "2 Dec"
    means the reader's 2 December, not UTC's. A zero-length window puts its points (and its
    one tick) in the middle rather than dividing by zero.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if start > end:
        raise ValueError("start must not be after end")
    zone = tz if tz is not None else start.tzinfo
    assert zone is not None  # checked by _require_aware

    left, right = float(MARGIN_LEFT), float(width - MARGIN_RIGHT)
    top, bottom = float(MARGIN_TOP), float(height - MARGIN_BOTTOM)
    if right <= left or bottom <= top:
        raise ValueError("width and height leave no room for the plot area inside the margins")
    span = end - start

    def x_of(moment: datetime) -> float:
        if not span:
            return _r((left + right) / 2)
        return _r(left + (moment - start) / span * (right - left))

    def y_of(value: int) -> float:
        return _r(bottom - value / Y_MAX * (bottom - top))

    def in_window(
        series: Iterable[tuple[datetime, int]], valid: range, what: str
    ) -> list[tuple[datetime, int]]:
        kept = []
        for moment, value in series:
            _require_aware(moment, f"{what} time")
            if value not in valid:
                raise ValueError(f"{what} {value!r} outside {valid.start}..{valid.stop - 1}")
            if start <= moment <= end:
                kept.append((moment, value))
        return sorted(kept, key=lambda item: item[0])

    def point(moment: datetime, value: int, text: str, clinician: bool) -> ChartPoint:
        x, y = x_of(moment), y_of(value)
        shape = _square_path if clinician else _circle_path
        return ChartPoint(
            x=x,
            y=y,
            value=value,
            at=moment,
            label=f"{medium_date(moment.astimezone(zone).date())}: {text}",
            marker_path=shape(x, y, MARKER_RADIUS),
        )

    patient = in_window(patient_scores, PATIENT_SCORE_RANGE, "patient score")
    clinician = in_window(clinician_grades, CLINICIAN_GRADE_RANGE, "clinician grade")
    patient_points = [point(at, score, _score_text(score), False) for at, score in patient]
    clinician_points = [
        point(at, grade, f"clinician grade {grade}", True) for at, grade in clinician
    ]

    return SymptomChart(
        symptom=symptom,
        title=f"{symptom}: patient scores and clinician grades",
        description=_description(symptom, start, end, zone, patient, clinician),
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        patient_points=patient_points,
        clinician_points=clinician_points,
        patient_polyline=_polyline(patient_points),
        clinician_polyline=_polyline(clinician_points),
        x_ticks=[
            AxisTick(pos=x_of(moment), label=label)
            for moment, label in _x_tick_moments(start, end, zone)
        ],
        y_ticks=[AxisTick(pos=y_of(value), label=str(value)) for value in range(Y_MAX + 1)],
        y_axis_label="Patient score (0-4) / clinician grade (1-5)",
    )


def _score_text(score: int) -> str:
    return f"patient score {score} ({SCORE_WORDS[score]})"


def _polyline(points: list[ChartPoint]) -> str:
    return " ".join(f"{point.x},{point.y}" for point in points)


def _x_tick_moments(start: datetime, end: datetime, zone: tzinfo) -> list[tuple[datetime, str]]:
    """Local midnights a whole number of days apart, at most six, labelled "2 Dec".

    Midnight-aligned ticks make the label true of the tick's position. A window too short to
    hold two midnights gets a tick at each end with the time as well ("2 Dec 14:00"); a
    zero-length window gets one.
    """
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    first_day = local_start.date()
    if local_start.time() != time(0):
        first_day += timedelta(days=1)
    last_day = local_end.date()
    n_days = (last_day - first_day).days
    if n_days < 1:
        ends = [start] if start == end else [start, end]
        return [(moment, _tick_with_time(moment.astimezone(zone))) for moment in ends]
    step = next(
        (s for s in _TICK_STEPS_DAYS if n_days // s + 1 <= _MAX_X_TICKS),
        ceil(n_days / (_MAX_X_TICKS - 1)),
    )
    return [
        (datetime.combine(day, time(0), tzinfo=zone), short_date(day))
        for day in (first_day + timedelta(days=k) for k in range(0, n_days + 1, step))
    ]


def _tick_with_time(local: datetime) -> str:
    return f"{short_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def _description(
    symptom: str,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    patient: list[tuple[datetime, int]],
    clinician: list[tuple[datetime, int]],
) -> str:
    """A few sentences a screen reader (or a printout without the chart) can stand on."""

    def when(moment: datetime) -> str:
        return medium_date(moment.astimezone(zone).date())

    parts = [f"{symptom}, {when(start)} to {when(end)}."]
    if patient:
        latest_at, latest = patient[-1]
        peak_at, peak = max(patient, key=lambda item: item[1])  # earliest of equal peaks
        parts.append(
            f"Patient scores (0 none to 4 very severe): {plural(len(patient), 'report')}; "
            f"latest {latest} ({SCORE_WORDS[latest]}) on {when(latest_at)}; "
            f"highest {peak} ({SCORE_WORDS[peak]}) on {when(peak_at)}."
        )
    else:
        parts.append("No patient reports in this period.")
    if clinician:
        latest_at, latest = clinician[-1]
        peak_at, peak = max(clinician, key=lambda item: item[1])
        parts.append(
            f"Clinician CTCAE grades (1 to 5): {plural(len(clinician), 'assessment')}; "
            f"latest grade {latest} on {when(latest_at)}; "
            f"highest grade {peak} on {when(peak_at)}."
        )
    else:
        parts.append("No clinician grades in this period.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# (c) Lab trends with the label's thresholds
# --------------------------------------------------------------------------------------------

# The label's hold and resume thresholds, one per test it has a rule for (the numbers are
# backend.guidelines.rules' and the comparisons backend.guidelines.dosing's, never retyped).
# Liver tests are compared as multiples of the upper limit of normal; counts as values.
X_ULN: Final = "x_uln"
VALUE: Final = "value"


@dataclass(frozen=True)
class LabThreshold:
    """What a test's chart plots (``basis``: ``x_uln`` or ``value``) and its two lines.

    ``hold_words`` and ``resume_words`` name the lines ("Hold: above 5 x ULN");
    ``crossed_hold`` says whether one result is beyond the hold line (the guideline's own
    comparison: exactly 5 x ULN is not a hold, exactly 1.0 x 10^9/L is not a hold)."""

    test: str
    basis: str
    hold: float
    resume: float
    hold_limit: str  # "above 5 x ULN"
    resume_limit: str  # "below 2.5 x ULN"
    above_is_worse: bool  # liver tests: high is bad; counts: low is bad

    @property
    def hold_words(self) -> str:
        return f"Hold: {self.hold_limit}"

    @property
    def resume_words(self) -> str:
        return f"Resume: {self.resume_limit}"

    def crossed_hold(self, figure: float) -> bool:
        if self.test == "bilirubin_total":
            return liver_hold_needed(figure, 0.0)
        if self.basis == X_ULN:
            return liver_hold_needed(0.0, figure)
        if self.test == "anc":
            return blood_count_hold_needed(figure, rules.BLOOD_HOLD_PLATELETS)
        return blood_count_hold_needed(rules.BLOOD_HOLD_ANC, figure)


def _n(value: float) -> str:
    """3.0 -> "3", 2.5 -> "2.5"."""
    return f"{value:g}"


TIMES: Final = "\u00d7"  # the multiplication sign
COUNT_UNIT_WORDS: Final = f"{TIMES} 10\u2079/L"  # x 10^9/L with a superscript 9


def _liver_threshold(test: str, hold: float, resume: float) -> LabThreshold:
    return LabThreshold(
        test=test,
        basis=X_ULN,
        hold=hold,
        resume=resume,
        hold_limit=f"above {_n(hold)} {TIMES} ULN",
        resume_limit=f"below {_n(resume)} {TIMES} ULN",
        above_is_worse=True,
    )


def _count_threshold(test: str, hold: float, resume: float) -> LabThreshold:
    def figure(value: float) -> str:
        return f"{value:.1f}" if value < 10 else _n(value)

    return LabThreshold(
        test=test,
        basis=VALUE,
        hold=hold,
        resume=resume,
        hold_limit=f"below {figure(hold)} {COUNT_UNIT_WORDS}",
        resume_limit=f"{figure(resume)} {COUNT_UNIT_WORDS} or more",
        above_is_worse=False,
    )


LAB_THRESHOLDS: Final[Mapping[str, LabThreshold]] = MappingProxyType(
    {
        "bilirubin_total": _liver_threshold(
            "bilirubin_total",
            rules.LIVER_HOLD_BILIRUBIN_X_ULN,
            rules.LIVER_RESUME_BILIRUBIN_X_ULN,
        ),
        "alt": _liver_threshold(
            "alt", rules.LIVER_HOLD_TRANSAMINASES_X_ULN, rules.LIVER_RESUME_TRANSAMINASES_X_ULN
        ),
        "ast": _liver_threshold(
            "ast", rules.LIVER_HOLD_TRANSAMINASES_X_ULN, rules.LIVER_RESUME_TRANSAMINASES_X_ULN
        ),
        "anc": _count_threshold("anc", rules.BLOOD_HOLD_ANC, rules.BLOOD_RESUME_ANC),
        "platelets": _count_threshold(
            "platelets", rules.BLOOD_HOLD_PLATELETS, rules.BLOOD_RESUME_PLATELETS
        ),
    }
)


def unit_words(unit: str) -> str:
    """A canonical unit as people read it: "10^9/L" -> "x 10^9/L"; others as they are."""
    return COUNT_UNIT_WORDS if unit == "10^9/L" else unit


@dataclass(frozen=True)
class LabPoint:
    """One result placed on its chart; ``beyond_hold`` results get a diamond (the others a
    circle), so a hold reads without colour."""

    x: float
    y: float
    figure: float  # what is plotted: the value, or the multiple of the ULN
    on: date
    beyond_hold: bool
    label: str  # "4 Jun 2025: ALT 250 U/L, 6.25 x ULN (ULN 40), above the hold line"
    marker_path: str


@dataclass(frozen=True)
class ThresholdLine:
    y: float
    words: str
    kind: str  # "hold" or "resume"
    label_y: float  # where its words sit (kept apart from the other line's)


LAB_MARGIN_RIGHT: Final = 170  # room for the threshold lines' words
LAB_AXIS_TITLE_ROOM: Final = 10  # above the plot, for the y axis title
LAB_AXIS_TITLE_Y: Final = 12  # the title's baseline


@dataclass(frozen=True)
class LabChart:
    """One test over time, in an ``<svg viewBox="0 0 width height">``'s user units, with the
    label's hold and resume lines (none for a test the label has no rule on)."""

    test: str
    title: str
    description: str
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    points: list[LabPoint]
    polyline: str
    lines: list[ThresholdLine]
    x_ticks: list[AxisTick]
    y_ticks: list[AxisTick]
    y_axis_label: str
    y_axis_label_y: float = LAB_AXIS_TITLE_Y  # its baseline, above the plot


def _diamond_path(x: float, y: float, r: float) -> str:
    d = r * 1.4
    return f"M{_r(x)},{_r(y - d)} L{_r(x + d)},{_r(y)} L{_r(x)},{_r(y + d)} L{_r(x - d)},{_r(y)} Z"


def _nice_step(top: float) -> float:
    """A tick step giving four to eight ticks from 0 to ``top`` (1, 2 or 5 times a power of
    ten)."""
    raw = top / 5 if top > 0 else 1.0
    power = 10 ** floor(log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def build_lab_chart(
    test: str,
    name: str,
    unit: str,
    first: date,
    last: date,
    results: Iterable[tuple[date, float, float | None]],
    *,
    width: int = 640,
    height: int = 170,
) -> LabChart:
    """``results``: ``(taken_on, value, multiple of the ULN or None)`` in the canonical unit,
    any order. The chart plots multiples of the ULN for the label's liver tests, values for the
    others; results outside [first, last] are dropped, as are liver results without a ULN
    (none are stored: the ULN is required)."""
    if first > last:
        raise ValueError("first must not be after last")
    threshold = LAB_THRESHOLDS.get(test)
    basis = threshold.basis if threshold is not None else VALUE
    kept = sorted(
        (
            (on, x_uln if basis == X_ULN else value, value, x_uln)
            for on, value, x_uln in results
            if first <= on <= last and (basis == VALUE or x_uln is not None)
        ),
        key=lambda item: item[0],
    )
    left, right = float(MARGIN_LEFT + 12), float(width - LAB_MARGIN_RIGHT)
    # room above the plot for the y axis title (LAB_AXIS_TITLE_Y)
    top, bottom = float(MARGIN_TOP + LAB_AXIS_TITLE_ROOM), float(height - MARGIN_BOTTOM)
    if right <= left or bottom <= top:
        raise ValueError("width and height leave no room for the plot area inside the margins")
    figures = [float(figure) for _, figure, _, _ in kept]  # type: ignore[arg-type]
    highest = max(figures, default=0.0)
    if threshold is not None:
        highest = max(highest, threshold.hold, threshold.resume)
    step = _nice_step(highest * 1.15 or 1.0)
    y_max = step * ceil(highest * 1.1 / step) if highest > 0 else step * 5
    span = (last - first).days

    def x_of(day: date) -> float:
        if span == 0:
            return _r((left + right) / 2)
        return _r(left + (day - first).days / span * (right - left))

    def y_of(figure: float) -> float:
        return _r(bottom - min(figure, y_max) / y_max * (bottom - top))

    shown_unit = unit_words(unit)
    points = []
    for on, figure, value, x_uln in kept:
        assert figure is not None
        beyond = threshold.crossed_hold(float(figure)) if threshold is not None else False
        words = f"{medium_date(on)}: {name} {_n(float(value))} {shown_unit}"
        if x_uln is not None:
            words += f", {_n(round(float(x_uln), 2))} {TIMES} ULN"
        if beyond:
            words += f", beyond the hold threshold ({threshold.hold_limit})" if threshold else ""
        x, y = x_of(on), y_of(float(figure))
        shape = _diamond_path if beyond else _circle_path
        points.append(
            LabPoint(
                x=x,
                y=y,
                figure=float(figure),
                on=on,
                beyond_hold=beyond,
                label=words,
                marker_path=shape(x, y, MARKER_RADIUS),
            )
        )
    lines: list[ThresholdLine] = []
    if threshold is not None:
        hold_y, resume_y = y_of(threshold.hold), y_of(threshold.resume)
        # The words sit just above their line; the upper line's words go higher still when
        # the two lines are close, so they never overlap.
        upper_is_hold = hold_y <= resume_y
        hold_label, resume_label = hold_y - 3, resume_y - 3
        if abs(hold_y - resume_y) < 12:
            if upper_is_hold:
                resume_label = hold_y + 11
            else:
                hold_label = resume_y + 11
        lines = [
            ThresholdLine(hold_y, threshold.hold_words, "hold", _r(hold_label)),
            ThresholdLine(resume_y, threshold.resume_words, "resume", _r(resume_label)),
        ]
    ticks = []
    value = 0.0
    while value <= y_max + 1e-9:
        ticks.append(AxisTick(pos=y_of(value), label=_n(round(value, 6))))
        value += step
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(last, time(0), tzinfo=UTC)
    x_ticks = [
        AxisTick(pos=x_of(moment.date()), label=label)
        for moment, label in _x_tick_moments(start, end, UTC)
        if first <= moment.date() <= last
    ]
    axis_label = f"{TIMES} ULN" if basis == X_ULN else shown_unit
    return LabChart(
        test=test,
        title=f"{name[:1].upper()}{name[1:]}"
        + (" as a multiple of the upper limit of normal" if basis == X_ULN else f" ({shown_unit})"),
        description=_lab_description(name, first, last, points, threshold, basis, shown_unit),
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        lines=lines,
        x_ticks=x_ticks,
        y_ticks=ticks,
        y_axis_label=axis_label,
    )


def _lab_description(
    name: str,
    first: date,
    last: date,
    points: list[LabPoint],
    threshold: LabThreshold | None,
    basis: str,
    unit: str,
) -> str:
    parts = [f"{name[:1].upper()}{name[1:]}, {medium_date(first)} to {medium_date(last)}."]
    if points:
        latest = points[-1]
        parts.append(f"{plural(len(points), 'result')}; latest {latest.label}.")
        beyond = [p for p in points if p.beyond_hold]
        if beyond:
            parts.append(f"{plural(len(beyond), 'result')} beyond the label's hold threshold.")
    else:
        parts.append("No results in this period.")
    if threshold is not None:
        parts.append(
            f"Label thresholds: hold {threshold.hold_limit}; resume {threshold.resume_limit}."
        )
    else:
        parts.append("The label has no hold rule on this test.")
    return " ".join(parts)

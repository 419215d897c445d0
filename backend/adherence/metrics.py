"""Adherence figures for a window of scheduled doses and the patient's dose log (no database).

PDC is reported with two bands (clinical facts §9.1): below 80 % is the conventional
non-adherent cut-off (PQA/CMS), and 80 to below 90 % is sub-optimal for imatinib, whose CML
outcome data point to ≈90 % as the clinically relevant threshold (§9.3, DESIGN).

Only resolved doses count: a dose with no log is "pending", and a day counts only once all its
not-held doses are resolved, so today's evening dose never drags a figure down before the
missed-dose sweep (or the patient) has had its say.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from itertools import groupby
from operator import attrgetter

from backend.adherence.dose_schedule import ScheduledDose

LOG_STATUSES = ("taken", "skipped", "missed")
DOSE_STATUSES = ("taken", "taken_late", "skipped", "missed", "pending", "on_hold")

NON_ADHERENT_BELOW = Fraction(80, 100)  # conventional PDC cut-off (§9.1)
ADHERENT_FROM = Fraction(90, 100)  # imatinib: ≈90 % from CML outcome data (§9.3)

UNSPECIFIED_REASON = "unspecified"  # key in skipped_by_reason for a skip logged without a reason

_RESOLVED = frozenset(("taken", "taken_late", "skipped", "missed"))
_TAKEN = frozenset(("taken", "taken_late"))


@dataclass(frozen=True)
class LoggedDose:
    """What the patient (or the missed-dose sweep) recorded for one (date, slot)."""

    status: str  # "taken" | "skipped" | "missed"
    late: bool = False  # only meaningful for "taken"
    skip_reason: str | None = None  # only meaningful for "skipped"

    def __post_init__(self) -> None:
        if self.status not in LOG_STATUSES:
            raise ValueError(f"unknown dose log status {self.status!r}")


def dose_status(dose: ScheduledDose, logged: LoggedDose | None) -> str:
    """One of DOSE_STATUSES. A hold wins over any log; no log is "pending", never "missed".

    The missed-dose sweep writes "missed" rows once the grace window ends, so inferring it here
    would disagree with the log for the hours in between.
    """
    if dose.on_hold:
        return "on_hold"
    if logged is None:
        return "pending"
    if logged.status == "taken":
        return "taken_late" if logged.late else "taken"
    return logged.status


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        """For display only; None when there is nothing to measure yet."""
        if self.denominator == 0:
            return None
        return round(100 * self.numerator / self.denominator, 2)

    @property
    def band(self) -> str | None:
        """Compared as exact fractions so 24/30 is exactly 80 % (a rounded float could slip)."""
        if self.denominator == 0:
            return None
        value = Fraction(self.numerator, self.denominator)
        if value < NON_ADHERENT_BELOW:
            return "non_adherent"
        if value < ADHERENT_FROM:
            return "suboptimal"
        return "adherent"


@dataclass(frozen=True)
class AdherenceMetrics:
    first: date
    last: date
    scheduled_days: int  # days with >= 1 not-held dose, every one of them resolved
    scheduled_doses: int  # resolved, not-held doses
    pdc: Ratio  # days with every not-held dose taken (late counts) / scheduled_days
    dose_adherence: Ratio  # doses taken (incl. late) / scheduled_doses
    on_time: Ratio  # doses taken on time / doses taken
    taken: int  # dose counts by status, over every dose in the window
    taken_late: int
    skipped: int
    missed: int
    pending: int
    on_hold: int
    skipped_by_reason: dict[str, int]  # skipped doses by LoggedDose.skip_reason
    current_missed_streak: int  # resolved scheduled days with >= 1 missed dose, ending at the
    longest_missed_streak: int  # latest one; held and unresolved days are skipped over
    days_on_drug: int  # not-held days with doses, up to the latest resolved scheduled day


def adherence_metrics(
    doses: Sequence[ScheduledDose],
    logged: Mapping[tuple[date, int], LoggedDose],
    *,
    first: date,
    last: date,
) -> AdherenceMetrics:
    """Summarise the doses dated `first` to `last` in one pass (doses outside are ignored).

    Logs with no matching scheduled dose are ignored: the schedule decides what was due.
    """
    counts = dict.fromkeys(DOSE_STATUSES, 0)
    skipped_by_reason: dict[str, int] = {}
    scheduled_days = 0
    pdc_days = 0
    current_streak = 0
    longest_streak = 0
    days_with_doses = 0  # not-held days with doses seen so far
    days_on_drug = 0  # days_with_doses as of the latest resolved scheduled day

    in_window = [dose for dose in doses if first <= dose.date <= last]
    in_window.sort(key=attrgetter("date", "slot"))  # linear when already sorted
    for _day, day_doses in groupby(in_window, key=attrgetter("date")):
        active = 0  # not-held doses
        resolved = 0
        taken = 0
        missed = 0
        for dose in day_doses:
            entry = logged.get((dose.date, dose.slot))
            status = dose_status(dose, entry)
            counts[status] += 1
            if status == "on_hold":
                continue
            active += 1
            if status in _RESOLVED:
                resolved += 1
            if status in _TAKEN:
                taken += 1
            elif status == "missed":
                missed += 1
            elif status == "skipped" and entry is not None:
                reason = entry.skip_reason or UNSPECIFIED_REASON
                skipped_by_reason[reason] = skipped_by_reason.get(reason, 0) + 1
        if active == 0:
            continue  # a held day: neither breaks nor extends a streak
        days_with_doses += 1
        if resolved < active:
            continue  # still open: counted once every dose is resolved
        scheduled_days += 1
        days_on_drug = days_with_doses
        if taken == active:
            pdc_days += 1
        if missed:
            current_streak += 1
            longest_streak = max(longest_streak, current_streak)
        else:
            current_streak = 0

    taken_total = counts["taken"] + counts["taken_late"]
    resolved_doses = taken_total + counts["skipped"] + counts["missed"]
    return AdherenceMetrics(
        first=first,
        last=last,
        scheduled_days=scheduled_days,
        scheduled_doses=resolved_doses,
        pdc=Ratio(pdc_days, scheduled_days),
        dose_adherence=Ratio(taken_total, resolved_doses),
        on_time=Ratio(counts["taken"], taken_total),
        taken=counts["taken"],
        taken_late=counts["taken_late"],
        skipped=counts["skipped"],
        missed=counts["missed"],
        pending=counts["pending"],
        on_hold=counts["on_hold"],
        skipped_by_reason=skipped_by_reason,
        current_missed_streak=current_streak,
        longest_missed_streak=longest_streak,
        days_on_drug=days_on_drug,
    )

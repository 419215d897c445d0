"""A dose as tablets: imatinib comes as 100 mg and 400 mg tablets (docs/clinical-facts.md §2.6,
[C] S1 §3), and the plan records which of them the patient has. The patient app shows each
dose as tablets of those strengths; a plan whose dose they cannot make is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

TABLET_STRENGTHS_MG: Final = (100, 400)  # §2.6 [C] S1 §3


@dataclass(frozen=True)
class TabletCount:
    strength_mg: int
    count: int


def tablets_for_dose(dose_mg: int, strengths_mg: Iterable[int]) -> tuple[TabletCount, ...] | None:
    """The fewest tablets of the given strengths that make exactly `dose_mg`, largest strength
    first (800 mg a day is made with 400 mg tablets, §2.6); None when they cannot make it."""
    strengths = sorted(set(_checked_strengths(strengths_mg)), reverse=True)
    if dose_mg <= 0 or not strengths:
        return None
    # fewest[m] = the fewest tablets that make m mg (a small table: doses are at most 800 mg).
    unit = 100
    if dose_mg % unit or any(strength % unit for strength in strengths):
        return None
    steps = dose_mg // unit
    fewest: list[tuple[int, ...] | None] = [None] * (steps + 1)
    fewest[0] = ()
    for total in range(1, steps + 1):
        for strength in strengths:
            before = total - strength // unit
            prior = fewest[before] if before >= 0 else None
            if prior is None:
                continue
            candidate = (*prior, strength)
            best = fewest[total]
            if best is None or len(candidate) < len(best):
                fewest[total] = candidate
    made = fewest[steps]
    if made is None:
        return None
    return tuple(
        TabletCount(strength, made.count(strength)) for strength in strengths if strength in made
    )


def default_tablet_strengths(dose_mg: int) -> tuple[int, ...]:
    """The strengths a regimen records when the prescriber names none: those the fewest
    tablets of a dose use (400 mg: the 400 mg tablet; 300 mg: the 100 mg; 600 mg: both)."""
    tablets = tablets_for_dose(dose_mg, TABLET_STRENGTHS_MG)
    if tablets is None:
        raise ValueError(f"{dose_mg} mg cannot be made from {TABLET_STRENGTHS_MG} mg tablets")
    return tuple(sorted(count.strength_mg for count in tablets))


def tablet_strengths_problem(strengths_mg: Iterable[int], dose_mg: int) -> str | None:
    """Why a regimen's tablet strengths are not acceptable for its dose, or None."""
    strengths = list(strengths_mg)
    if not strengths:
        return "Name at least one tablet strength."
    unknown = [s for s in strengths if s not in TABLET_STRENGTHS_MG]
    if unknown:
        known = " and ".join(f"{s} mg" for s in TABLET_STRENGTHS_MG)
        return f"Imatinib tablets are {known}; {unknown[0]!r} is not one of them."
    if len(set(strengths)) != len(strengths):
        return "Each strength once."
    if tablets_for_dose(dose_mg, strengths) is None:
        have = " and ".join(f"{s} mg" for s in sorted(strengths))
        return f"A {dose_mg} mg dose cannot be made from {have} tablets."
    return None


def _checked_strengths(strengths_mg: Iterable[int]) -> list[int]:
    strengths = list(strengths_mg)
    for strength in strengths:
        if isinstance(strength, bool) or not isinstance(strength, int) or strength <= 0:
            raise ValueError(f"{strength!r} is not a tablet strength in mg")
    return strengths

"""A dose as tablets of the strengths the patient has (docs/clinical-facts.md §2.6)."""

import pytest

from backend.guidelines.tablets import (
    TABLET_STRENGTHS_MG,
    TabletCount,
    default_tablet_strengths,
    tablet_strengths_problem,
    tablets_for_dose,
)


def test_the_label_strengths() -> None:
    assert TABLET_STRENGTHS_MG == (100, 400)


@pytest.mark.parametrize(
    ("dose_mg", "strengths", "tablets"),
    [
        (400, (100, 400), ((400, 1),)),
        (400, (100,), ((100, 4),)),
        (300, (100, 400), ((100, 3),)),
        (600, (100, 400), ((400, 1), (100, 2))),
        (200, (100,), ((100, 2),)),
        # 800 mg a day is given as 400 mg twice; a single 800 mg dose would be two 400 mg tablets
        (800, (400, 100), ((400, 2),)),
    ],
)
def test_fewest_tablets_largest_first(dose_mg, strengths, tablets) -> None:
    assert tablets_for_dose(dose_mg, strengths) == tuple(TabletCount(*t) for t in tablets)


@pytest.mark.parametrize(("dose_mg", "strengths"), [(300, (400,)), (600, (400,)), (0, (100,))])
def test_a_dose_the_strengths_cannot_make(dose_mg, strengths) -> None:
    assert tablets_for_dose(dose_mg, strengths) is None


def test_defaults_are_the_strengths_the_fewest_tablets_use() -> None:
    assert default_tablet_strengths(400) == (400,)
    assert default_tablet_strengths(300) == (100,)
    assert default_tablet_strengths(600) == (100, 400)
    with pytest.raises(ValueError):
        default_tablet_strengths(350)


def test_problems_name_the_reason() -> None:
    assert tablet_strengths_problem([100, 400], 600) is None
    assert "cannot be made" in (tablet_strengths_problem([400], 300) or "")
    assert "not one of them" in (tablet_strengths_problem([200], 400) or "")
    assert "at least one" in (tablet_strengths_problem([], 400) or "")
    assert "once" in (tablet_strengths_problem([400, 400], 400) or "")
    with pytest.raises(ValueError):
        tablets_for_dose(400, [True])

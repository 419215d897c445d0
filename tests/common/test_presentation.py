"""The shared presentation (backend.common.presentation) imports no app, so its words are
written out there: these checks keep them in step with the apps' codes."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from backend.adherence.metrics import UNSPECIFIED_REASON, Ratio
from backend.adherence.models import PlanStatus, SkipReason
from backend.common.presentation import wording


def test_presentation_loads_no_django() -> None:
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys; import backend.common.presentation.charts, backend.common.presentation.labs,"
        " backend.common.presentation.wording; "
        "sys.exit(any(m.split('.')[0] in ('django', 'rest_framework') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_skip_reason_words_are_the_choices_labels_in_a_sentence() -> None:
    assert dict(wording.SKIP_REASON_WORDS) == {
        **{value: str(label).lower() for value, label in SkipReason.choices},
        UNSPECIFIED_REASON: "no reason given",
    }
    assert wording.skip_reason_words("ran_out") == "ran out"
    assert wording.skip_reason_words("a_future_reason") == "a_future_reason"


def test_plan_state_words_cover_every_state() -> None:
    # selectors.plans.plan_state: the stored statuses, and "on_hold" derived from the holds.
    assert set(wording.PLAN_STATE_WORDS) == {*PlanStatus.values, "on_hold"}


@pytest.mark.parametrize(
    "table", [wording.BAND_WORDS, wording.BAND_WORDS_WITH_LIMITS, wording.BAND_CHOICE_LABELS]
)
def test_band_words_cover_every_band(table: object) -> None:
    bands = {Ratio(n, 100).band for n in range(101)}
    assert set(table) == bands  # type: ignore[call-overload]


def test_band_words_as_the_pages_and_reports_show_them() -> None:
    assert wording.band_words("suboptimal") == "sub-optimal"
    assert wording.band_words(None) == "no figure yet"
    assert wording.BAND_WORDS_WITH_LIMITS["suboptimal"] == "sub-optimal (80 % to below 90 %)"


def test_dates_use_our_own_month_names() -> None:
    day = date(2026, 12, 2)
    assert wording.short_date(day) == "2 Dec"
    assert wording.medium_date(day) == "2 Dec 2026"
    assert wording.long_date(day) == "Wednesday 2 December 2026"
    assert wording.plural(1, "day") == "1 day"
    assert wording.plural(0, "day") == "0 days"

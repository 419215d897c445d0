"""The beat schedule and docs/tasks.md: the overdue review-point sweep is scheduled hourly with
an expiry shorter than its interval, and every registered task is documented."""

import re
from pathlib import Path

from celery.schedules import crontab

from worker.beat_schedule import BEAT_SCHEDULE
from worker.celery_app import app

TASKS_DOC = Path(__file__).resolve().parents[2] / "docs" / "tasks.md"


def test_overdue_review_points_are_swept_hourly() -> None:
    entry = BEAT_SCHEDULE["alert-overdue-review-points"]
    assert entry["task"] == "worker.labs.alert_overdue_review_points"
    assert entry["schedule"] == crontab(minute=10)
    assert 0 < entry["options"]["expires"] < 60 * 60
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_every_task_and_beat_entry_is_documented() -> None:
    app.loader.import_default_modules()
    text = TASKS_DOC.read_text()
    ours = sorted(name for name in app.tasks if name.startswith("worker."))
    undocumented = [name for name in ours if f"`{name}`" not in text]
    assert not undocumented, f"add to docs/tasks.md: {undocumented}"
    missing_entries = [name for name in BEAT_SCHEDULE if f"`{name}`" not in text]
    assert not missing_entries, f"add to the beat table of docs/tasks.md: {missing_entries}"
    # The count in words at the top matches.
    words = {
        10: "Ten",
        11: "Eleven",
        12: "Twelve",
        13: "Thirteen",
        14: "Fourteen",
        15: "Fifteen",
        16: "Sixteen",
    }
    assert re.search(rf"^{words[len(ours)]} tasks,", text, re.MULTILINE), len(ours)

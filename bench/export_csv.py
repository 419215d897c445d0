"""The dose-level cohort export (doses.csv) streamed through gunicorn, in rows per second,
beside PostgreSQL's own COPY (SELECT ...) TO STDOUT of the dose table over the same days (the
baseline), with the peak memory of the web worker that served it."""

import statistics
import time
from datetime import date, timedelta

import requests

from .common import Result
from .server import gunicorn, peak_rss_mb, worker_pids

BASELINE_SQL = """
COPY (
    SELECT d.patient_id, p.medical_record_number, d.plan_id, d.local_date, d.slot,
           d.state, d.taken_at, d.skip_reason
    FROM adherence_scheduleddose d JOIN accounts_patient p ON p.id = d.patient_id
    JOIN accounts_careteam c ON c.id = p.care_team_id
    WHERE d.local_date BETWEEN %s AND %s AND c.name ~ '^Bench team [0-9]+$'
    ORDER BY d.patient_id, d.local_date, d.slot
) TO STDOUT WITH CSV HEADER
"""


def _copy_rows(first: date, last: date) -> tuple[int, float]:
    from django.db import connection

    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(BASELINE_SQL, (first, last)) as copy:
        for block in copy:
            rows += bytes(block).count(b"\n")
    return rows - 1, time.perf_counter() - started


def _export_rows(url: str, token: str, first: date, last: date) -> tuple[int, float]:
    started = time.perf_counter()
    response = requests.get(
        f"{url}/api/v1/exports/doses.csv",
        params={"from": first.isoformat(), "to": last.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=3600,
    )
    response.raise_for_status()
    rows = sum(chunk.count(b"\n") for chunk in response.iter_content(1 << 16))
    return rows - 1, time.perf_counter() - started


def run(days: int = 365, repeat: int = 3) -> Result:
    from django.utils import timezone

    from backend.accounts.models import CareTeam, User
    from backend.accounts.services import auth_token_issue

    # A coordinator of every seeded team (not the queue's or the plans-only team).
    coordinator, _ = User.objects.get_or_create(
        username="bench.export.coordinator", defaults={"role": "coordinator"}
    )
    for team in CareTeam.objects.filter(name__regex=r"^Bench team [0-9]+$"):
        team.members.add(coordinator)
    _, token = auth_token_issue(user=coordinator)
    last = timezone.now().date() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    copy_runs = [_copy_rows(first, last) for _ in range(repeat)]
    with gunicorn(
        workers=2,
        EXPORT_ASYNC_MIN_PATIENTS="100000000",
        EXPORT_ASYNC_MIN_PATIENT_DAYS="1000000000000",
    ) as (url, master):
        _export_rows(url, token, last, last)  # warm
        export_runs = [_export_rows(url, token, first, last) for _ in range(repeat)]
        peaks = [peak_rss_mb(pid) for pid in worker_pids(master)]
    export_rate = statistics.median(rows / seconds for rows, seconds in export_runs)
    copy_rate = statistics.median(rows / seconds for rows, seconds in copy_runs)
    return Result(
        name="cohort CSV export",
        figure=round(export_rate),
        unit="rows/s",
        baseline=round(copy_rate),
        baseline_what="PostgreSQL COPY (SELECT ...) TO STDOUT of the dose table, same days",
        target=">= 50 % of COPY's rows/s",
        met=export_rate >= 0.5 * copy_rate,
        details={
            "days": days,
            "export_rows": export_runs[0][0],
            "copy_rows": copy_runs[0][0],
            "export_seconds": [round(seconds, 2) for _, seconds in export_runs],
            "copy_seconds": [round(seconds, 2) for _, seconds in copy_runs],
            "web_worker_peak_rss_mb": max(peaks) if peaks else None,
            "note": "the export has a row for every scheduled dose (pending and held ones too)",
        },
    )

"""Dose-log POST through gunicorn (2 workers) under 64 concurrent connections from wrk, beside
a bare DRF view answering a constant body on the same server (the baseline). Each request is
a real patient's pending dose for today with a fresh client_id, full trips through
authentication, the patient's today and the ledger. wrk's threads walk the doses in turn, so
each is logged once (201) until the list runs out; after that they meet the stored log (409),
and the result counts those. Before every run the doses are set back to pending, so each run
measures the same work (the first version drew doses at random and, once the path got fast,
measured mostly 409s)."""

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from . import dose_post_profile
from .common import Result
from .server import gunicorn

CONNECTIONS = 64
THREADS = 2
PROFILED_REQUESTS = 2000  # bench/dose_post_profile.py's in-process accounting

LUA = r"""
local threads_started = 0
function setup(thread)
  thread:set("position", threads_started)
  threads_started = threads_started + 1
end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function uuid()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (template:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end
local doses = DOSES
request = function()
  local dose = doses[(position % #doses) + 1]
  position = position + THREADS
  local body = string.format(
    '{"client_id": "%s", "date": "%s", "slot": %d, "status": "taken", "taken_at": "%s"}',
    uuid(), dose[2], dose[3], os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/v1/me/doses/", {
    ["Authorization"] = "Bearer " .. dose[1],
    ["Content-Type"] = "application/json",
  }, body)
end
"""


def _doses(patients: int) -> tuple[list[tuple[str, str, int]], list[str]]:
    """(token, local date, slot) of today's doses that up to `patients` patients on a plan may
    log as taken now (not more than the earliest hours ahead), and the ids of their ledger
    rows, to set back to pending before each run (the seed may have logged some already)."""
    from django.conf import settings
    from django.utils import timezone

    from backend.accounts.selectors import patient_local_today
    from backend.accounts.services import auth_token_issue
    from backend.adherence.models import DoseState, PlanStatus, ScheduledDose, TreatmentPlan

    plans = (
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE, patient__user__isnull=False)
        .select_related("patient__user")
        .order_by("id")[:patients]
    )
    latest_due = timezone.now() + timedelta(hours=settings.DOSE_EARLIEST_HOURS_BEFORE)
    doses: list[tuple[str, str, int]] = []
    row_ids: list[str] = []
    for plan in plans:
        rows = list(
            ScheduledDose.objects.filter(
                # By patient and day first: the ledger's unique index (no index by plan).
                patient_id=plan.patient_id,
                local_date=patient_local_today(plan.patient),
                plan=plan,
                state__in=[DoseState.PENDING, DoseState.TAKEN, DoseState.SKIPPED],
                due_at__lte=latest_due,
            )
            .order_by("slot")
            .values_list("id", "local_date", "slot")
        )
        if rows:
            assert plan.patient.user is not None  # filtered on patient__user__isnull=False
            _, token = auth_token_issue(user=plan.patient.user)
            doses.extend((token, day.isoformat(), slot) for _, day, slot in rows)
            row_ids.extend(str(row_id) for row_id, _, _ in rows)
    return doses, row_ids


_LOG_FIELDS = (
    "state, client_id, taken_at, late, skip_reason, note, recorded_by_id, logged_at, "
    "next_reminder_at, follow_ups_sent, updated_at"
)


def _save_rows(row_ids: list[str]) -> None:
    """The chosen rows as the seed left them, in a temporary table, to put back at the end."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_dose_post_saved")
        cursor.execute(
            f"CREATE TEMPORARY TABLE bench_dose_post_saved AS SELECT id, {_LOG_FIELDS} "
            "FROM adherence_scheduleddose WHERE id = ANY(%s::uuid[])",
            [row_ids],
        )


def _restore_rows() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE adherence_scheduleddose row SET ({_LOG_FIELDS}) = (SELECT {_LOG_FIELDS} "
            "FROM bench_dose_post_saved saved WHERE saved.id = row.id) "
            "WHERE row.id IN (SELECT id FROM bench_dose_post_saved)"
        )
        cursor.execute("DROP TABLE bench_dose_post_saved")


def _set_back_to_pending(row_ids: list[str]) -> None:
    """The chosen rows before each run: pending, no log."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE adherence_scheduleddose SET state = 'pending', client_id = NULL,
                taken_at = NULL, late = false, skip_reason = '', note = '',
                recorded_by_id = NULL, logged_at = NULL
            WHERE id = ANY(%s::uuid[])
            """,
            [row_ids],
        )


def _logged_count(row_ids: list[str]) -> int:
    from backend.adherence.models import ScheduledDose

    return ScheduledDose.objects.logged().filter(id__in=row_ids).count()


def _wrk(
    url: str, seconds: int, script: Path | None, connections: int = CONNECTIONS
) -> dict[str, float]:
    command = [
        "wrk",
        f"-t{min(THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    throughput = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert throughput, output
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(throughput.group(1)),
        "p50_ms": millis("50"),
        "p99_ms": millis("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def run(
    patients: int = 10_000, seconds: int = 10, repeat: int = 3, connections: int = CONNECTIONS
) -> Result:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    doses, row_ids = _doses(patients)
    if not doses:
        raise SystemExit("no doses due today: run seed_bench first")
    lua_rows = ",\n".join(f'{{"{token}", "{day}", {slot}}}' for token, day, slot in doses)
    stored_per_run = []
    _save_rows(row_ids)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "dose_post.lua"
        script.write_text(
            LUA.replace("DOSES", "{" + lua_rows + "}").replace("THREADS", str(THREADS))
        )
        with gunicorn(workers=2) as (url, _):
            constant, doses_url = f"{url}/api/v1/bench/constant/", f"{url}/api/v1/me/doses/"
            _wrk(constant, 2, None, connections)  # warm both workers
            _wrk(doses_url, 2, script, connections)
            baseline_runs = [_wrk(constant, seconds, None, connections) for _ in range(repeat)]
            dose_runs = []
            for _ in range(repeat):
                _set_back_to_pending(row_ids)
                dose_runs.append(_wrk(doses_url, seconds, script, connections))
                stored_per_run.append(_logged_count(row_ids))
    _restore_rows()
    # Where one logged dose's time goes, in-process (each part's own milliseconds).
    parts = dose_post_profile.run(min(len(doses), PROFILED_REQUESTS))

    def median(runs: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(run[key] for run in runs), 2)

    throughput = median(dose_runs, "requests_per_second")
    baseline = median(baseline_runs, "requests_per_second")
    p99 = median(dose_runs, "p99_ms")
    return Result(
        name="dose-log POST",
        figure=throughput,
        unit="requests/s",
        baseline=baseline,
        baseline_what="bare DRF view, constant JSON, same gunicorn (2 workers)",
        target=">= 50 % of the baseline's throughput, p99 < 50 ms",
        met=throughput >= 0.5 * baseline and p99 < 50,
        details={
            "p50_ms": median(dose_runs, "p50_ms"),
            "p99_ms": p99,
            "baseline_p50_ms": median(baseline_runs, "p50_ms"),
            "baseline_p99_ms": median(baseline_runs, "p99_ms"),
            "connections": connections,
            "seconds_per_run": seconds,
            "doses_to_log": len(doses),
            "doses_stored_201_per_run": stored_per_run,
            "conflicts_409_per_run": median(dose_runs, "non_2xx"),
            "patients": len({token for token, _, _ in doses}),
            "runs": {"dose_post": dose_runs, "baseline": baseline_runs},
            "in_process_profile": parts,
        },
    )


if __name__ == "__main__":
    from .common import require_bench_database, setup_django

    setup_django()
    require_bench_database()
    print(json.dumps(run().as_dict(), indent=2))

"""Dose-log POST through gunicorn (2 workers) under 64 concurrent connections from wrk, beside
a bare DRF view answering a constant body on the same server (the baseline). Each request is
a real patient's dose for today with a fresh client_id: the first for a (patient, day, slot)
is stored (201), later ones meet the stored log (409), both full trips through
authentication, the plan and the database."""

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from .common import Result
from .server import gunicorn

CONNECTIONS = 64
THREADS = 2

LUA = r"""
local requests = {}
local counter = 0
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
  counter = counter + 1
  local dose = doses[math.random(#doses)]
  local body = string.format(
    '{"client_id": "%s", "date": "%s", "slot": %d, "status": "taken", "taken_at": "%s"}',
    uuid(), dose[2], dose[3], os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/v1/me/doses/", {
    ["Authorization"] = "Bearer " .. dose[1],
    ["Content-Type"] = "application/json",
  }, body)
end
"""


def _doses(patients: int) -> list[tuple[str, str, int]]:
    """(token, local date, slot) of today's doses of up to `patients` patients on a plan."""
    from django.conf import settings
    from django.utils import timezone

    from backend.accounts.selectors import patient_local_today
    from backend.accounts.services import auth_token_issue
    from backend.adherence.models import PlanStatus, TreatmentPlan
    from backend.adherence.selectors.doses import plan_doses, zone_periods

    doses: list[tuple[str, str, int]] = []
    plans = (
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE, patient__user__isnull=False)
        .select_related("patient__user")
        .prefetch_related("revisions", "holds", "patient__zone_changes")
        .order_by("id")[:patients]
    )
    now = timezone.now()
    earliest = timedelta(hours=settings.DOSE_EARLIEST_HOURS_BEFORE)
    for plan in plans:
        today = patient_local_today(plan.patient)
        # Today's doses a patient may log as taken now (not more than 12 hours early).
        loggable = [
            dose
            for dose in plan_doses(plan, zone_periods(plan.patient), today, today)
            if dose.due_at - earliest <= now
        ]
        if loggable:
            assert plan.patient.user is not None  # filtered on patient__user__isnull=False
            _, token = auth_token_issue(user=plan.patient.user)
            doses.extend((token, dose.date.isoformat(), dose.slot) for dose in loggable)
    return doses


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
    patients: int = 2000, seconds: int = 10, repeat: int = 3, connections: int = CONNECTIONS
) -> Result:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    from backend.adherence.models import ScheduledDose

    doses = _doses(patients)
    if not doses:
        raise SystemExit("no active plans: run seed_bench first")
    lua_rows = ",\n".join(f'{{"{token}", "{day}", {slot}}}' for token, day, slot in doses)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "dose_post.lua"
        script.write_text(LUA.replace("DOSES", "{" + lua_rows + "}"))
        before = ScheduledDose.objects.logged().count()
        with gunicorn(workers=2) as (url, _):
            constant, doses_url = f"{url}/api/v1/bench/constant/", f"{url}/api/v1/me/doses/"
            _wrk(constant, 2, None, connections)  # warm both workers
            _wrk(doses_url, 2, script, connections)
            baseline_runs = [_wrk(constant, seconds, None, connections) for _ in range(repeat)]
            dose_runs = [_wrk(doses_url, seconds, script, connections) for _ in range(repeat)]
        stored = ScheduledDose.objects.logged().count() - before

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
            "doses_stored_201": stored,
            "conflicts_409_per_run": median(dose_runs, "non_2xx"),
            "patients": len({token for token, _, _ in doses}),
            "runs": {"dose_post": dose_runs, "baseline": baseline_runs},
        },
    )


if __name__ == "__main__":
    from .common import require_bench_database, setup_django

    setup_django()
    require_bench_database()
    print(json.dumps(run().as_dict(), indent=2))

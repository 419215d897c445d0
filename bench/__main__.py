"""`make bench`: every benchmark against the PostgreSQL and Redis of DATABASE_URL/REDIS_URL,
each figure beside its baseline from the same run, printed as a table and written to
var/bench/results.json.

    python -m bench [--patients N] [--only NAME ...] [--smoke]

--smoke runs each benchmark once at a tiny size (tests/bench/test_smoke.py), so none can rot.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .common import Result, require_bench_database, setup_django

RESULTS = Path(__file__).resolve().parents[1] / "var" / "bench" / "results.json"
NAMES = ["seed", "dose_post", "reminders_sweep", "fanout", "export_csv", "queue_page"]


def _sizes(patients: int, smoke: bool) -> dict[str, dict[str, int]]:
    if smoke:
        return {
            "seed": {"patients": 20, "years": 1},
            "dose_post": {"patients": 10, "seconds": 3, "repeat": 1, "connections": 4},
            "reminders_sweep": {"patients": 200, "repeat": 1},
            "fanout": {"messages": 200, "repeat": 1},
            "export_csv": {"days": 30, "repeat": 1},
            "queue_page": {"historical": 2_000, "open_alerts": 50, "repeat": 2},
        }
    return {
        "seed": {"patients": patients, "years": 3},
        "dose_post": {"patients": patients, "seconds": 10, "repeat": 3},
        "reminders_sweep": {"patients": 100_000, "repeat": 3},
        "fanout": {"messages": 10_000, "repeat": 3},
        "export_csv": {"days": 90, "repeat": 3},
        "queue_page": {"historical": 1_000_000, "open_alerts": 1_000, "repeat": 20},
    }


def _seed(patients: int, years: int) -> dict[str, object]:
    """Seed unless the database already holds a seeded cohort of this many patients (seeding
    10,000 patients takes minutes; a second `make bench` reuses them)."""
    from django.core.management import call_command

    from backend.accounts.models import Patient

    wanted = {"patients": patients, "years": years}
    seeded = Patient.objects.filter(care_team__name__regex=r"^Bench team [0-9]+$").count()
    if seeded == patients:
        return {"seeded": "already", **wanted}
    started = time.perf_counter()
    call_command("seed_bench", patients=patients, years=years, reset=True)
    return {"seeded": "now", "seconds": round(time.perf_counter() - started, 1), **wanted}


def _machine() -> dict[str, object]:
    def command(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "not found"

    from django.db import connection

    with connection.cursor() as cursor:
        # The server settings the write-heavy figures (the sweep above all) depend on;
        # docker-compose.yml starts production's PostgreSQL with these three set.
        server = {
            name: cursor.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "wal_compression", "max_wal_size")
        }
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": connection.cursor().execute("SHOW server_version").fetchone()[0],
        "postgresql_settings": server,
        "kernel": platform.release(),
        "wrk": command("wrk", "--version").splitlines()[0] if command("which", "wrk") else None,
    }


def _table(results: list[Result]) -> str:
    lines = [
        f"{'benchmark':34} {'figure':>16} {'baseline':>16} {'ratio':>7}  target (met?)",
        "-" * 110,
    ]
    for result in results:
        figure = f"{result.figure:g} {result.unit}"
        baseline = f"{result.baseline:g}" if result.baseline is not None else "-"
        ratio = f"{result.ratio:.2f}" if result.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[result.met]
        lines.append(
            f"{result.name:34} {figure:>16} {baseline:>16} {ratio:>7}  {result.target} ({met})"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks.")
    parser.add_argument(
        "--patients", type=int, default=int(os.environ.get("BENCH_PATIENTS", 10_000))
    )
    parser.add_argument("--only", nargs="*", choices=NAMES, default=NAMES)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    setup_django()
    database = require_bench_database()
    machine = _machine()
    print(f"postgresql settings: {machine['postgresql_settings']}", file=sys.stderr)
    sizes = _sizes(args.patients, args.smoke)
    results: list[Result] = []
    seeding: dict[str, object] = {}
    if "seed" in args.only:
        seeding = _seed(**sizes["seed"])
        print(f"seed: {seeding}", file=sys.stderr)
    from . import dose_post, export_csv, fanout, queue_page, reminders_sweep

    runners = {
        "dose_post": lambda: [dose_post.run(**sizes["dose_post"])],
        "reminders_sweep": lambda: reminders_sweep.run(**sizes["reminders_sweep"]),
        "fanout": lambda: [fanout.run(**sizes["fanout"])],
        "export_csv": lambda: [export_csv.run(**sizes["export_csv"])],
        "queue_page": lambda: [queue_page.run(**sizes["queue_page"])],
    }
    failures: dict[str, str] = {}
    for name in NAMES[1:]:
        if name in args.only:
            started = time.perf_counter()
            try:
                produced = runners[name]()
            except Exception as error:  # noqa: BLE001 (one failing must not lose the others)
                failures[name] = f"{type(error).__name__}: {error}"
                print(f"{name}: FAILED {failures[name]}", file=sys.stderr)
                continue
            print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
            results.extend(produced)
    print(_table(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(),
                "database": database,
                "machine": machine,
                "smoke": args.smoke,
                "seed": seeding,
                "results": [result.as_dict() for result in results],
                "failures": failures,
            },
            indent=2,
            default=str,
        )
    )
    print(f"written: {args.output}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

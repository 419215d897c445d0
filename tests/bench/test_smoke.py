"""Every benchmark runs once at a tiny size, so none can rot. The benchmarks themselves are in
bench/ and run by `make bench`, never by `make test`: speed is measured there, not here.

They need PostgreSQL (COPY, the seeder) and a database of their own whose name ends in
"bench": this test makes one beside the test database, migrates it, runs `python -m bench
--smoke` against it, and drops it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.slow
def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is needed for the dose-log benchmark: apt-get install wrk")
    import psycopg

    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_smoke_bench"
    url = (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@"
        f"{database['HOST']}:{database['PORT'] or 5432}/{name}"
    )
    admin = psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "backend.settings.local",
        "LOG_LEVEL": "WARNING",
        "EXPORT_DIR": str(tmp_path / "exports"),
    }
    output = tmp_path / "results.json"
    try:
        for command in (
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            [sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
        ):
            finished = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
            )
            assert finished.returncode == 0, finished.stdout + finished.stderr
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    results = json.loads(output.read_text())
    names = {result["name"] for result in results["results"]}
    assert names == {
        "dose-log POST",
        "reminder selection (busy minute)",
        "missed-dose sweep (whole cohort)",
        "push fan-out",
        "cohort CSV export",
        "alert queue page",
    }
    # Every run logs each of today's doses once: they are set back to pending between runs.
    dose_post = next(r for r in results["results"] if r["name"] == "dose-log POST")["details"]
    assert dose_post["doses_to_log"] > 0, dose_post
    assert dose_post["doses_stored_201_per_run"] == [dose_post["doses_to_log"]], dose_post
    # The in-process accounting of a logged dose (bench/dose_post_profile.py): every request a
    # 201, its parts named, three statements, and the parts adding up to about the whole.
    profile = dose_post["in_process_profile"]
    assert profile["status_codes"] == {"201": dose_post["doses_to_log"]}, profile
    assert sum(profile["sql_statements_of_a_request"].values()) == 3, profile
    assert {"middleware and dispatch", "output serializer"} <= set(profile["parts_ms"]), profile
    assert 0.5 < profile["sum_of_part_medians_ms"] / profile["median_request_ms"] < 1.5, profile
    # The queue page's parts (bench/queue_page_profile.py): named, six statements (the session,
    # the user and the second factor; the counts, the rows, the patient filter), adding up.
    queue = next(r for r in results["results"] if r["name"] == "alert queue page")["details"]
    queue_profile = queue["in_process_profile"]
    assert sum(queue_profile["sql_statements_of_a_request"].values()) == 6, queue_profile
    assert {
        "middleware and dispatch",
        "the template",
        "the rows worked out (presenter)",
        "the counts (one query)",
    } <= set(queue_profile["parts_ms"]), queue_profile
    ratio = queue_profile["sum_of_part_medians_ms"] / queue_profile["median_request_ms"]
    assert 0.5 < ratio < 1.5, queue_profile
    for result in results["results"]:
        assert result["figure"] > 0, result
        assert result["baseline"] is not None and result["baseline"] > 0, result

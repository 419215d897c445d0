"""`manage.py guideline --case FILE|-` and POST /api/v1/guidelines/recommendation/ serve the
same function: JSON out, or the field and the reason for invalid input."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend.guidelines import recommend
from tests.factories.clients import client_for

ROOT = Path(__file__).resolve().parents[2]
CASE = {
    "setting": "adjuvant",
    "site": "stomach",
    "size_cm": 7,
    "mitoses_per_50hpf": 6,
    "mutation": "kit_exon_11",
    "start_date": "2025-03-15",
}
# One invalid value per input field, and the field the error must name.
INVALID: list[tuple[dict[str, Any], str]] = [
    ({"setting": "palliative"}, "setting"),
    ({"site": "liver"}, "site"),
    ({"size_cm": 0}, "size_cm"),
    ({"size_cm": "7"}, "size_cm"),
    ({"mitoses_per_50hpf": -1}, "mitoses_per_50hpf"),
    ({"mitoses_per_50hpf": 2.5}, "mitoses_per_50hpf"),
    ({"rupture": "yes"}, "rupture"),
    ({"mutation": "kit_exon_12"}, "mutation"),
    ({"age_years": "sixty"}, "age_years"),
    ({"start_date": "2025-02-30"}, "start_date"),
    ({"profile": "asco"}, "profile"),
    ({"tumour_grade": 2}, "tumour_grade"),
]


def run_command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", "guideline", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_command_prints_the_recommendation(tmp_path: Path) -> None:
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(CASE))
    result = run_command("--case", str(case_file))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == recommend(CASE)
    assert json.loads(result.stdout)["planned_end_date"] == "2028-03-15"


def test_command_reads_stdin() -> None:
    result = run_command("--case", "-", stdin=json.dumps(CASE))
    assert result.returncode == 0
    assert json.loads(result.stdout)["risk"]["modified_nih"] == "high"


def test_command_invalid_input_for_every_field() -> None:
    for change, field in INVALID:
        result = run_command("--case", "-", stdin=json.dumps({**CASE, **change}))
        assert result.returncode == 2, (field, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"{field}: "), lines[0]
        assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "stdin", "start"),
    [
        (["--case", "-"], "{not json", "case: not valid JSON"),
        (["--case", "-"], "[1, 2]", "case: must be a JSON object"),
        (["--case", "/nonexistent/case.json"], None, "case: cannot read"),
        (
            ["--case", "-"],
            json.dumps({k: v for k, v in CASE.items() if k != "setting"}),
            "setting: ",
        ),
    ],
)
def test_command_other_failures_exit_2(args: list[str], stdin: str | None, start: str) -> None:
    result = run_command(*args, stdin=stdin)
    assert result.returncode == 2
    assert result.stderr.startswith(start)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.django_db
def test_api_gives_the_same_answer(nurse) -> None:
    response = client_for(nurse).post("/api/v1/guidelines/recommendation/", CASE, format="json")
    assert response.status_code == 200
    assert response.json() == recommend(CASE)


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), INVALID)
def test_api_invalid_input_names_the_field(nurse, change, field) -> None:
    response = client_for(nurse).post(
        "/api/v1/guidelines/recommendation/", {**CASE, **change}, format="json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.django_db
def test_api_refuses_non_objects(nurse) -> None:
    response = client_for(nurse).post(
        "/api/v1/guidelines/recommendation/", data="[1]", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "case"


@pytest.mark.django_db
def test_api_is_staff_only(patient, api_client) -> None:
    url = "/api/v1/guidelines/recommendation/"
    assert client_for(patient.user).post(url, CASE, format="json").status_code == 403
    assert api_client.post(url, CASE, format="json").status_code == 401

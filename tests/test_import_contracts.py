"""The layer rules of issue 23 are import-linter contracts in pyproject.toml, run by `make lint`
(`lint-imports`). This checks that the four rules are there, that the code keeps them, and that
the checker really fails on a broken contract (so a kept one means something)."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))

RULES = {
    "guidelines independent": "forbidden",
    "models never import services": "forbidden",
    "reports and dashboard independent": "independence",
    "backend never imports worker": "forbidden",
}


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == {"backend", "worker"}
    return {contract["name"]: contract for contract in config["contracts"]}


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_four_rules_are_contracts() -> None:
    found = contracts()
    assert {name: found[name]["type"] for name in RULES if name in found} == RULES
    guidelines_may_not = set(found["guidelines independent"]["forbidden_modules"])
    assert {"django", "worker", "backend.*"} <= guidelines_may_not
    assert found["models never import services"]["source_modules"] == ["backend.*.models"]
    assert found["models never import services"]["forbidden_modules"] == ["backend.*.services"]
    assert set(found["reports and dashboard independent"]["modules"]) == {
        "backend.reports",
        "backend.dashboard",
    }
    # One documented exception, and no other.
    assert found["backend never imports worker"]["ignore_imports"] == [
        "backend.reports.services -> worker.tasks.reports"
    ]


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    for name in RULES:
        assert f"{name} KEPT" in result.stdout
    assert "BROKEN" not in result.stdout


def test_a_broken_contract_fails_the_check(tmp_path: Path) -> None:
    """The dashboard reads alerts, so forbidding that must fail: the checker sees this code."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["backend", "worker"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "dashboard never imports alerts"\n'
        'type = "forbidden"\n'
        'source_modules = ["backend.dashboard"]\n'
        'forbidden_modules = ["backend.alerts"]\n'
    )
    result = lint_imports("--config", str(config))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "dashboard never imports alerts BROKEN" in result.stdout

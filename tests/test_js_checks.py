"""The patient app's JavaScript (issue 23 point 10): every module opts in to TypeScript's check,
only js/state.js writes to the app state, no failure is swallowed by an empty handler, and the
checks `make lint-js` runs (Biome, tsc) really fail on a broken file, so a pass means something.

The last two tests run the pinned tools from var/js-tools/ (`make js-tools` installs them from
the npm registry). Without npm they are skipped, unless REQUIRE_JS_TOOLS=1 (CI sets it)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS_DIR = ROOT / "backend" / "patientapp" / "static" / "patientapp" / "js"
SERVICE_WORKER = ROOT / "backend" / "patientapp" / "templates" / "patientapp" / "sw.js"
TOOLS = ROOT / "var" / "js-tools" / "node_modules" / ".bin"

# state.x = ..., state.x.y = ..., state.x += ... (not ==, ===).
STATE_WRITE = re.compile(r"\bstate\.[A-Za-z_$][\w$.]*\s*(?:[-+*/|&?]{0,3})=(?!=)")
# .catch(() => {}), .catch((error) => {}), catch {} and catch (error) {} with nothing inside.
EMPTY_HANDLER = re.compile(
    r"\.catch\(\s*(?:\(\s*\w*\s*\)|\w+)\s*=>\s*\{\s*\}\s*\)|\bcatch\s*(?:\(\s*\w+\s*\))?\s*\{\s*\}"
)


def app_modules() -> list[Path]:
    return sorted(JS_DIR.rglob("*.js"))


def code(path: Path) -> str:
    """The file without its whole-line comments (which may quote what they forbid)."""
    return re.sub(r"^\s*//.*$", "", path.read_text(), flags=re.MULTILINE)


def test_every_module_and_the_worker_opt_in_to_the_type_check() -> None:
    assert len(app_modules()) > 20
    missing = [
        path.relative_to(ROOT).as_posix()
        for path in [*app_modules(), SERVICE_WORKER]
        if path.read_text().splitlines()[0] != "// @ts-check"
    ]
    assert missing == []


def test_only_state_js_writes_to_the_app_state() -> None:
    writes = [
        f"{path.relative_to(JS_DIR).as_posix()}: {line.strip()}"
        for path in app_modules()
        if path.name != "state.js"
        for line in code(path).splitlines()
        if STATE_WRITE.search(line)
    ]
    assert writes == []


def test_the_state_write_pattern_finds_a_write() -> None:
    assert STATE_WRITE.search("  state.session = null;")
    assert STATE_WRITE.search("state.config.push.configured = true;")
    assert not STATE_WRITE.search("if (state.session === null) return;")
    assert not STATE_WRITE.search("const zone = state.patient ? state.patient.time_zone : null;")


def test_no_failure_is_swallowed_by_an_empty_handler() -> None:
    found = [
        path.relative_to(ROOT).as_posix()
        for path in [*app_modules(), SERVICE_WORKER]
        if EMPTY_HANDLER.search(code(path))
    ]
    assert found == []
    for swallowed in ("p.catch(() => {});", "p.catch((e) => { });", "try { f(); } catch {}"):
        assert EMPTY_HANDLER.search(swallowed), swallowed


def tools() -> Path:
    """The pinned Biome and tsc, installed by the Makefile's rule if they are not yet."""
    if shutil.which("npm") is None and os.environ.get("REQUIRE_JS_TOOLS") != "1":
        pytest.skip("npm is not installed: make lint-js cannot install Biome and tsc")
    subprocess.run(
        ["make", "--no-print-directory", "-s", "js-tools"], cwd=ROOT, check=True, timeout=300
    )
    return TOOLS


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_biome_fails_on_a_swallowed_error_and_on_unformatted_code(tmp_path: Path) -> None:
    """The repository's biome.jsonc, applied to files outside it: the same rules."""
    biome = tools() / "biome"
    config = {"extends": [str(ROOT / "biome.jsonc")], "vcs": {"enabled": False}}
    config["files"] = {"includes": ["*.js"]}
    (tmp_path / "biome.json").write_text(json.dumps(config))
    (tmp_path / "good.js").write_text(
        'export function load(p) {\n  p.catch((error) => console.warn("not loaded", error));\n}\n'
    )
    (tmp_path / "swallowed.js").write_text("export function load(p) {\n  p.catch(() => {});\n}\n")
    (tmp_path / "unformatted.js").write_text("export function load(p) {\n    return p\n}\n")
    assert run(biome, "check", "good.js", cwd=tmp_path).returncode == 0
    swallowed = run(biome, "check", "swallowed.js", cwd=tmp_path)
    assert swallowed.returncode != 0
    assert "noEmptyBlockStatements" in swallowed.stdout + swallowed.stderr
    assert run(biome, "check", "unformatted.js", cwd=tmp_path).returncode != 0


@pytest.mark.slow
def test_tsc_fails_on_a_call_against_an_app_modules_jsdoc_types(tmp_path: Path) -> None:
    """A module that passes a number of days as a string to time.js's addDays (typed
    `@param {number} days`) fails the check jsconfig.json configures; the right call passes."""
    tsc = tools() / "tsc"
    time_js = (JS_DIR / "time.js").as_posix()

    def check(call: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "probe.js").write_text(
            f'// @ts-check\nimport {{ addDays }} from "{time_js}";\n\nexport const next = {call};\n'
        )
        config = {"extends": str(ROOT / "jsconfig.json"), "include": [], "files": ["probe.js"]}
        (tmp_path / "jsconfig.json").write_text(json.dumps(config))
        return run(tsc, "--noEmit", "-p", "jsconfig.json", cwd=tmp_path)

    wrong = check('addDays("2026-03-05", "1")')
    assert wrong.returncode != 0
    assert "TS2345" in wrong.stdout  # not assignable to parameter of type 'number'
    right = check('addDays("2026-03-05", 1)')
    assert right.returncode == 0, right.stdout

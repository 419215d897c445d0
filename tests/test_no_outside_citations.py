"""No citation of files outside the repository (issue 23 point 9). The fact base the code cites
lives in the repository (docs/clinical-facts.md), and the design document outside it is not cited
either: no file in backend/, worker/, docs/ (every page, docs/subsystems/ included), tests/ or
bench/ (other than the fact base itself) and not the README names the old fact page or that
document."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "docs" / "clinical-facts.md"
# Spelt in two halves so that this file does not match.
PATTERNS = ("guideline" + "-facts", "design" + ".md", "the design" + " page")
SUFFIXES = {".py", ".md", ".html", ".txt", ".js", ".toml", ".cfg", ".yml", ".yaml", ".json"}


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("backend", "worker", "docs", "tests", "bench"):
        files += [
            path
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and path.suffix in SUFFIXES and "vendor" not in path.parts
        ]
    return [path for path in files if path.exists() and path != FACTS]


def test_every_docs_page_is_scanned() -> None:
    scanned = set(scanned_files())
    pages = set((ROOT / "docs").rglob("*.md")) - {FACTS}
    assert pages <= scanned, sorted(str(page) for page in pages - scanned)
    assert any(page.parent.name == "subsystems" for page in scanned)


def test_the_fact_base_is_in_the_repository() -> None:
    text = FACTS.read_text(encoding="utf-8")
    for section in range(1, 13):
        assert f"\n## {section}. " in text, section
    assert "SEED" not in text


@pytest.mark.parametrize("pattern", PATTERNS)
def test_nothing_cites_a_file_outside_the_repository(pattern: str) -> None:
    found = []
    for path in scanned_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)

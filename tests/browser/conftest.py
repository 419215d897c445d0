"""Real headless Chromium (Debian's package) driven by Playwright against the live test server.

Chromium is never downloaded: it must be at $CHROMIUM_PATH (default /usr/bin/chromium, from
`apt-get install chromium`). Without it the browser tests skip and say so, except where
REQUIRE_BROWSER=1 (CI) makes a missing browser a failure.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these Chromium tries to reach Google's hosts (design.md §7); as root it needs
# --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def _chromium_or_skip() -> str:
    if Path(CHROMIUM_PATH).exists() or shutil.which(CHROMIUM_PATH):
        return CHROMIUM_PATH
    reason = (
        f"no Chromium at {CHROMIUM_PATH}: install Debian's `apt-get install chromium` "
        "(or set CHROMIUM_PATH)"
    )
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One browser per test module. Playwright's sync API runs an event loop on this thread,
    so Django's guard against ORM calls from async code must be lifted while it runs (the
    tests' own ORM calls are synchronous), and the loop must be gone before other modules."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh context (no cookies) at desktop size; CSP violations and page errors are kept
    on `page.problems` so a test can assert there were none."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    new_page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    new_page.problems = problems
    yield new_page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

"""Real headless Chromium (Debian's package) driven by Playwright against the live test server.

Chromium is never downloaded: it must be at $CHROMIUM_PATH (default /usr/bin/chromium, from
`apt-get install chromium`). Without it the browser tests skip and say so, except where
REQUIRE_BROWSER=1 (CI) makes a missing browser a failure.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

PHONE = {"width": 360, "height": 740}

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these Chromium tries to reach Google's hosts; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ZONES = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Auckland",
]


def zone_near_midday() -> str:
    def distance(name: str) -> float:
        local = datetime.now(ZoneInfo(name))
        return abs(local.hour + local.minute / 60 - 12.5)

    return min(ZONES, key=distance)


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
def page(browser):
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


@pytest.fixture
def zone() -> str:
    """A time zone where it is near midday now, so a dose "due a few minutes ago" is today."""
    return zone_near_midday()


@pytest.fixture
def open_phone(browser, zone) -> Iterator[Callable[..., object]]:
    """Open a phone: a fresh context (its own storage, IndexedDB and service workers) at
    360 x 740 with touch, in the patient's time zone. Console errors and page errors are kept
    on `page.problems`."""
    contexts = []

    def opener(*, locale: str = "en-GB", service_workers: str = "allow", **options) -> object:
        context = browser.new_context(
            viewport=PHONE,
            screen=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            locale=locale,
            timezone_id=zone,
            service_workers=service_workers,
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                # Chromium logs every failed request (the offline and 4xx/5xx cases are the
                # point of several tests); the app's own errors are what matter here.
                if message.type == "error"
                and "net::ERR_" not in message.text
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.problems = problems
        return page

    yield opener
    for context in contexts:
        # Leave the app first (it stops its reads and retries), and give the live server a
        # moment to finish a request already under way, so the database flush after the test
        # never races one (a deadlock on TRUNCATE).
        for page in context.pages:
            page.goto("about:blank")
        if context.pages:
            context.pages[0].wait_for_timeout(150)
        context.close()

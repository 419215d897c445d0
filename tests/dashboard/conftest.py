"""Shared fixtures and helpers for the dashboard's server-side tests: browsers (Django test
clients with a session) signed in as a given user, a pinned clock, and dose histories (plans,
alerts and side-effect reports come from tests/factories/)."""

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import User
from backend.adherence.models import DoseStatus, TreatmentPlan
from tests.factories.doses import DoseRecord, doses_logged

MADRID = "Europe/Madrid"
# 09:00 in Madrid, 07:00 UTC: the same calendar day for the patients (Madrid) and for the
# cohort's UTC "today".
TODAY = date(2025, 6, 20)
NOW = datetime.combine(TODAY, time(9), tzinfo=ZoneInfo(MADRID))

HTMX = {"HX-Request": "true"}
# An audited page's audit insert costs one more statement on SQLite, which links the audit
# chain at insert under its write lock; PostgreSQL links it at commit (backend/audit/chain.py).
AUDIT_CHAIN_QUERIES = 1 if connection.vendor == "sqlite" else 0


@pytest.fixture
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def browser() -> Callable[..., Client]:
    """browser(user) -> a test client whose session is signed in as `user` (none: anonymous)."""

    def make(user: User | None = None, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def nurse_browser(browser, nurse) -> Client:
    return browser(nurse)


@pytest.fixture
def coordinator_browser(browser, coordinator) -> Client:
    return browser(coordinator)


@pytest.fixture
def admin_browser(browser, admin_user) -> Client:
    return browser(admin_user)


def text(response: HttpResponse) -> str:
    return response.content.decode()


def title_of(html: str) -> str:
    """The text of the first <title> (whitespace around it dropped, as browsers do)."""
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert match, "no <title>"
    return " ".join(match.group(1).split())


def queries_of(call: Callable[[], HttpResponse], status: int = 200) -> tuple[HttpResponse, int]:
    """(response, number of queries) of one request."""
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == status, text(response)[:2000]
    return response, len(captured)


def dose_history(plan: TreatmentPlan, statuses: Sequence[str], *, last: date) -> None:
    """One slot-1 log per day, the last one dated `last`: "taken", "missed" or "skipped"."""
    first = last - timedelta(days=len(statuses) - 1)
    logs = []
    for offset, status in enumerate(statuses):
        day = first + timedelta(days=offset)
        logs.append(
            DoseRecord(
                plan,
                day,
                1,
                status,
                taken_at=(
                    datetime.combine(day, time(8), tzinfo=ZoneInfo(MADRID)).astimezone(UTC)
                    if status == DoseStatus.TAKEN
                    else None
                ),
                recorded_by=plan.patient.user,
            )
        )
    doses_logged(logs)


class _Tags(HTMLParser):
    """The start tags of a page with their attributes (text, escaped or not, is ignored)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_script = False
        self.inline_scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def start_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


# Regexes over the raw HTML, as a second, independent check of the parser's view.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)


def inline_code_problems(html: str) -> list[str]:
    """What a strict CSP would block or what lets markup run code: inline scripts, style
    attributes and elements, on...= handlers. Empty when the page is clean."""
    problems = []
    for tag, attrs in start_tags(html):
        if tag == "script" and not attrs.get("src"):
            problems.append(f"inline <script> {attrs}")
        if tag == "style":
            problems.append("<style> element")
        for name in attrs:
            if name == "style":
                problems.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                problems.append(f"{name} handler on <{tag}>")
    for pattern in (INLINE_SCRIPT, STYLE_ATTRIBUTE, EVENT_HANDLER, STYLE_ELEMENT):
        problems.extend(
            f"regex {pattern.pattern}: {m.group(0)[:80]}" for m in pattern.finditer(html)
        )
    return problems

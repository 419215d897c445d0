"""Where a logged dose's POST spends its time, in-process (issue 20: "if short, a profile that
accounts for every remaining millisecond").

Each request is a 201: today's doses of the seeded patients, set back to pending first (as
bench/dose_post.py does), logged once each through Django's test client, with the same
middleware, authentication and view as under gunicorn. The request is cut into its parts by
timing wrappers around the functions that do each part; a part's own time excludes the parts
nested in it, so the parts add up to the whole request, and "middleware and dispatch" is what
is left outside them. Every SQL statement's time is also added to the part that ran it. The
bare DRF view (the `make bench` baseline) is measured through the same client.

    python -m bench.dose_post_profile [--requests N]   (on a seeded *bench database)

The figures are medians over the requests, per part, in milliseconds; the whole is the median
request. cProfile is not used: its overhead would change the shares it reports.
"""

import argparse
import logging
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from .common import require_bench_database, setup_django

_INHERITED = object()  # the attribute came from a base class: delete the wrapper to restore


class Parts:
    """Exclusive wall time a request spends in each named part, and its SQL time."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)
        self.statements: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []  # [name, started, nested time]
        self.wrapped: list[tuple[Any, str, Any]] = []  # (owner, attribute, as it was)

    def unwrap(self) -> None:
        """Put back what wrap and _instrument replaced (make bench runs more after this)."""
        while self.wrapped:
            owner, attribute, original = self.wrapped.pop()
            if original is _INHERITED:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)

    def reset(self) -> None:
        self.own.clear()
        self.sql.clear()
        self.statements.clear()

    def current(self) -> str:
        return self._stack[-1][0] if self._stack else "middleware and dispatch"

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        frame: list[Any] = [name, time.perf_counter(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            spent = time.perf_counter() - frame[1]
            self.own[name] += spent - frame[2]
            if self._stack:
                self._stack[-1][2] += spent

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)
        self.wrapped.append((owner, attribute, vars(owner).get(attribute, _INHERITED)))

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.part(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)

    def sql_wrapper(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            name = self.current()
            self.sql[name] += time.perf_counter() - started
            self.statements[name] += 1


def run(requests: int = 2000) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from . import dose_post

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    logging.getLogger("django.request").setLevel(logging.ERROR)  # a 4xx would be counted
    doses, row_ids = dose_post._doses(requests)
    doses = doses[:requests]
    dose_post._save_rows(row_ids)
    client = Client()
    parts = Parts()
    try:
        dose_post._set_back_to_pending(row_ids)
        # Warm: imports, URL resolution caches, the first connection, DRF's settings.
        for _ in range(20):
            client.get("/api/v1/bench/constant/")
        bare = []
        for _ in range(max(200, requests // 4)):
            started = time.perf_counter()
            client.get("/api/v1/bench/constant/")
            bare.append(time.perf_counter() - started)
        _instrument(parts)
        per_part: dict[str, list[float]] = defaultdict(list)
        per_part_sql: dict[str, list[float]] = defaultdict(list)
        statements: dict[str, int] = {}
        totals = []
        codes: dict[int, int] = defaultdict(int)
        with connection.execute_wrapper(parts.sql_wrapper):
            for token, day, slot in doses:
                parts.reset()
                body = {
                    "client_id": str(uuid.uuid4()),
                    "date": day,
                    "slot": slot,
                    "status": "taken",
                    "taken_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/me/doses/",
                    body,
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"},
                )
                total = time.perf_counter() - started
                codes[response.status_code] += 1
                if response.status_code != 201:
                    continue
                totals.append(total)
                inside = sum(parts.own.values())
                parts.own["middleware and dispatch"] += total - inside
                for name, seconds in parts.own.items():
                    per_part[name].append(seconds)
                    per_part_sql[name].append(parts.sql.get(name, 0.0))
                statements = dict(parts.statements)
    finally:
        parts.unwrap()
        dose_post._restore_rows()
    return {
        "requests_201": len(totals),
        "status_codes": dict(codes),
        **medians(totals, per_part, per_part_sql),
        "sql_statements_of_a_request": statements,
        "bare_drf_view_median_ms": round(statistics.median(bare) * 1000, 3),
    }


def medians(
    totals: list[float], per_part: dict[str, list[float]], per_part_sql: dict[str, list[float]]
) -> dict[str, Any]:
    """The median request and each part's median own time and SQL time, in milliseconds."""
    milliseconds = {
        name: round(statistics.median(values) * 1000, 3) for name, values in per_part.items()
    }
    return {
        "median_request_ms": round(statistics.median(totals) * 1000, 3),
        "sum_of_part_medians_ms": round(sum(milliseconds.values()), 3),
        "parts_ms": dict(sorted(milliseconds.items(), key=lambda item: -item[1])),
        "parts_sql_ms": {
            name: round(statistics.median(values) * 1000, 3)
            for name, values in per_part_sql.items()
            if any(values)
        },
    }


def print_parts(result: dict[str, Any]) -> None:
    """The parts as a table: own time and SQL time of each, their sum, the median request."""
    width = max(len(name) for name in result["parts_ms"])
    print(f"{'part':<{width}}  own ms  of which SQL ms")
    for name, value in result["parts_ms"].items():
        print(f"{name:<{width}}  {value:6.3f}  {result['parts_sql_ms'].get(name, 0.0):6.3f}")
    print(f"{'sum of the parts':<{width}}  {result['sum_of_part_medians_ms']:6.3f}")
    print(f"{'the median request':<{width}}  {result['median_request_ms']:6.3f}")


def _instrument(parts: Parts) -> None:
    from rest_framework import response as drf_response
    from rest_framework.views import APIView

    from backend.adherence.api import doses as dose_api
    from backend.adherence.services import dose_logs

    parts.wrap(APIView, "perform_authentication", "authentication (bearer token, one query)")
    parts.wrap(APIView, "check_permissions", "permission check")
    parts.wrap(APIView, "check_throttles", "throttles")
    parts.wrap(dose_api, "own_patient_or_404", "the patient (joined by authentication)")
    parts.wrap(dose_api.DoseLogInput, "is_valid", "input parsing and validation")
    parts.wrap(dose_logs, "patient_local_today", "the patient's today (zone history query)")
    parts.wrap(dose_logs, "dose_log_record", "the service (rules, the UPDATE ... RETURNING)")
    for owner, attribute, name in (
        (dose_api.DoseLogOutput, "data", "output serializer"),
        (drf_response.Response, "rendered_content", "JSON rendering"),
    ):
        parts.wrapped.append((owner, attribute, vars(owner).get(attribute, _INHERITED)))
        getter = getattr(owner, attribute).fget

        def timed(self: Any, _getter: Any = getter, _name: str = name) -> Any:
            with parts.part(_name):
                return _getter(self)

        setattr(owner, attribute, property(timed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    require_bench_database()
    result = run(args.requests)
    print_parts(result)
    print(f"bare DRF view: {result['bare_drf_view_median_ms']} ms")
    print(f"status codes: {result['status_codes']}")
    print(f"statements: {result['sql_statements_of_a_request']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

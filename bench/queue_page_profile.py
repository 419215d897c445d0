"""Where the nurse's alert queue page spends its time, in-process (issue 20's queue target).

The page is requested through Django's test client as bench/queue_page.py measures it, and each
request is cut into its parts by timing wrappers around the functions that do them (the
dose POST's bench/dose_post_profile.Parts): a part's own time excludes the parts nested in it,
so the parts add up to the request, and "middleware and dispatch" is what is left outside
them (with the session, the user and the second factor: three queries). Every SQL statement's
time is also added to the part that ran it.

    python -m bench.queue_page_profile [--requests N]   (on a *bench database)

The figures are medians over the requests, per part, in milliseconds; the whole is the median
request. cProfile is not used: its overhead would change the shares it reports.
"""

import argparse
import time
from collections import defaultdict
from typing import Any

from .common import require_bench_database, setup_django
from .dose_post_profile import Parts, medians, print_parts


def run(client: Any, requests: int = 40) -> dict[str, Any]:
    """Profile `requests` GETs of the queue page by `client` (signed in, second factor
    verified, the page already requested once)."""
    from django.db import connection
    from django.template.backends import django as django_templates

    from backend.dashboard.views import alerts as queue_views

    parts = Parts()
    outside = "middleware and dispatch"  # also Parts.current() outside every part
    for owner, attribute, name in (
        (queue_views, "_queue_context", "the filter form and the page's rows (one query)"),
        (queue_views, "alert_queue", "the counts (one query)"),
        (queue_views, "queue_rows", "the rows worked out (presenter)"),
        (queue_views, "patients_with_unresolved_alerts", "the patient filter (one query)"),
        (queue_views, "patient_options", "the patient filter's options"),
        (queue_views, "_audit_queue_view", "the audit of who was seen"),
        (django_templates.Template, "render", "the template"),
    ):
        if hasattr(owner, attribute):  # an older tree may lack a part
            parts.wrap(owner, attribute, name)
    per_part: dict[str, list[float]] = defaultdict(list)
    per_part_sql: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, int] = {}
    totals = []
    try:
        with connection.execute_wrapper(parts.sql_wrapper):
            for _ in range(requests):
                parts.reset()
                started = time.perf_counter()
                response = client.get("/dashboard/")
                total = time.perf_counter() - started
                assert response.status_code == 200
                totals.append(total)
                parts.own[outside] += total - sum(parts.own.values())
                for name, seconds in parts.own.items():
                    per_part[name].append(seconds)
                    per_part_sql[name].append(parts.sql.get(name, 0.0))
                statements = dict(parts.statements)
    finally:
        parts.unwrap()
    return {
        "requests": len(totals),
        **medians(totals, per_part, per_part_sql),
        "sql_statements_of_a_request": statements,
    }


def main() -> int:
    from django.conf import settings
    from django.test import Client

    from .alert_queue import seed_queue_alerts
    from .queue_page import verify_second_factor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    setup_django()
    require_bench_database()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    nurse = seed_queue_alerts(1_000_000, 1_000, patients=500)
    client = Client()
    client.force_login(nurse)
    verify_second_factor(client, nurse)
    for _ in range(3):
        client.get("/dashboard/")
    result = run(client, args.requests)
    print_parts(result)
    print(f"statements: {result['sql_statements_of_a_request']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

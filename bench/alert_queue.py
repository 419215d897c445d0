"""Server time of the nurse's alert queue with 1,000 open and 1,000,000 resolved alerts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gist_bench python -m bench.alert_queue

Fills a PostgreSQL database whose name ends in "bench" (it refuses any other) with one care
team, one nurse, 500 patients, 1,000 unresolved alerts and N resolved ones (all in the nurse's
team: the worst case for her queue), then times the queue page and its refresh fragment
in-process (view, queries and template: the server's share of a request) and prints JSON.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
    import django

    django.setup()


def _seed(historical: int, open_alerts: int, patients: int) -> object:
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import CareTeam, Patient, User

    team, _ = CareTeam.objects.get_or_create(name="Bench team queue")
    nurse, created = User.objects.get_or_create(
        username="bench.queue.nurse", defaults={"role": "nurse"}
    )
    if created:
        team.members.add(nurse)
    if Patient.objects.filter(care_team=team).count() < patients:
        Patient.objects.bulk_create(
            Patient(
                care_team=team,
                display_name=f"Queue Patient {n}",
                medical_record_number=f"BENCHQ-{n:06d}",
                time_zone="Europe/Madrid",
                enrolled_by=nurse,
            )
            for n in range(patients)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM alerts_alert a JOIN accounts_patient p ON p.id = a.patient_id "
            "WHERE p.care_team_id = %s",
            [team.pk],
        )
        if cursor.fetchone()[0] == historical + open_alerts:
            return nurse
        cursor.execute(
            "DELETE FROM alerts_alert a USING accounts_patient p "
            "WHERE a.patient_id = p.id AND p.care_team_id = %s",
            [team.pk],
        )
        now = timezone.now()
        common = """
            INSERT INTO alerts_alert (id, created_at, updated_at, patient_id, kind, symptom,
                priority, priority_rank, status, rule, summary, sources, advice, details,
                occurrences, opened_at, priority_since, last_seen_at, acknowledged_at,
                acknowledged_by_id, resolved_at, resolved_by_id, resolution_outcome,
                resolution_note, escalated_at)
        """
        patient_ids = (
            "(SELECT array_agg(id ORDER BY id) FROM accounts_patient WHERE care_team_id = %s)"
        )
        # Resolved history: spread over three years.
        cursor.execute(
            common
            + f"""
            SELECT gen_random_uuid(), t, t, ids[1 + (n %% array_length(ids, 1))],
                'missed_dose_streak', '', 'normal', 2, 'resolved', 'alert.missed_streak',
                'missed 2 days in a row', '["S1"]'::jsonb, NULL, '{{}}'::jsonb, 1, t, t, t,
                t + interval '1 hour', %s, t + interval '2 hours', %s, 'contacted_patient',
                'Phoned the patient.', NULL
            FROM generate_series(1, %s) AS n, {patient_ids} AS p(ids),
                LATERAL (SELECT %s::timestamptz - (n * interval '94 seconds')) AS s(t)
            """,
            [nurse.pk, nurse.pk, historical, team.pk, now - timedelta(days=1)],
        )
        # Unresolved: two kinds per patient (one unresolved per patient/kind/symptom).
        cursor.execute(
            common
            + f"""
            SELECT gen_random_uuid(), t, t, ids[1 + (n %% array_length(ids, 1))],
                CASE WHEN n <= array_length(ids, 1) THEN 'severe_symptom'
                     ELSE 'missed_dose_streak' END,
                CASE WHEN n <= array_length(ids, 1) THEN 'nausea' ELSE '' END,
                (ARRAY['urgent', 'high', 'normal'])[1 + n %% 3], n %% 3, 'open',
                'alert.severe_symptom', 'nausea: severe (severity score 3)', '["S16"]'::jsonb,
                '{{"text": "For the treating clinician: review.", "sources": ["S1"]}}'::jsonb,
                '{{}}'::jsonb, 1, t, t, t, NULL, NULL, NULL, NULL, '', '', NULL
            FROM generate_series(1, %s) AS n, {patient_ids} AS p(ids),
                LATERAL (SELECT %s::timestamptz - (n * interval '1 minute')) AS s(t)
            """,
            [open_alerts, team.pk, now],
        )
        cursor.execute("ANALYZE alerts_alert")
    return nurse


def _time(client: object, path: str, headers: dict, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm up: template loading, connection, plan cache
        assert client.get(path, headers=headers).status_code == 200
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    return {
        "path": path,
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": round(timings[int(len(timings) * 0.9) - 1], 1),
        "queries": len(queries.captured_queries),
        "slowest_query_ms": max(float(q["time"]) * 1000 for q in queries.captured_queries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--historical", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=1_000)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    name = settings.DATABASES["default"]["NAME"]
    if connection.vendor != "postgresql" or not str(name).endswith("bench"):
        print(f"refusing: needs a PostgreSQL database named *bench, not {name!r}", file=sys.stderr)
        return 2
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    seeded = time.perf_counter()
    nurse = _seed(args.historical, args.open, args.patients)
    seeded = time.perf_counter() - seeded
    client = Client()
    client.force_login(nurse)
    results = {
        "alerts": {"open": args.open, "historical": args.historical},
        "seed_seconds": round(seeded, 1),
        "page": _time(client, "/dashboard/", {}, args.repeat),
        "refresh": _time(client, "/dashboard/alerts/rows/", {"HX-Request": "true"}, args.repeat),
    }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

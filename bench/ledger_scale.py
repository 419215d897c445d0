"""The dose ledger's statements at 1x and 10x the benchmark's data, on a copy of the ledger's
shape (issue 20: "partition the table by month, or show with a measurement at 10x the data
why not yet").

`python -m bench.ledger_scale --patients 100000` builds `ledger_scale_<patients>` beside the
real ledger in a *bench database: the same columns, check constraints, indexes and fillfactor
as `adherence_scheduleddose` (its definitions read from the catalogue, so they cannot drift),
without the foreign keys (no patients or plans are made), one row per patient, day and slot
over `--years` of history and the 35-day horizon, written day by day as the hourly extension
writes them. One patient in eight takes two doses a day (the advanced 400 mg twice daily), so
10,000 patients give about the 12.3 million rows of `seed_bench --patients 10000 --years 3`.

Then it times the application's own statements on it (their SQL imported from the services,
only the table name changed): the dose POST's UPDATE, the missed sweep's batches, the reminder
claim's batches, one patient's 90 days, a care team's 90-day export through a server-side
cursor beside COPY of the same rows, and VACUUM of the table; and it prints the table's and
each index's size. `--partitioned` builds the same rows in a table partitioned by month of
`local_date`, to compare (its unique indexes must include `local_date`: see docs)."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

ZONE = "Europe/Madrid"
SOURCE = "adherence_scheduleddose"
COLUMNS = (
    "id, local_date, slot, local_time, time_zone, due_at, missed_after, state, client_id, "
    "taken_at, late, skip_reason, note, next_reminder_at, follow_ups_sent, created_at, "
    "updated_at, patient_id, plan_id, recorded_by_id, revision_id, logged_at"
)

# One day's rows for every patient: 08:00 for all, 20:00 too for one in eight. History is
# taken (92 %), missed (4 %) or skipped (4 %); today and the horizon are pending, reminded at
# the dose time. The local dose time is read in Madrid's zone; missed after the end of the
# local day plus the 6 hours' grace.
FILL_DAY_SQL = """
    INSERT INTO {table} ({columns})
    SELECT gen_random_uuid(), %(day)s::date, slot.number, slot.at, %(zone)s, due, missed_after,
        state, CASE WHEN state IN ('taken', 'skipped') THEN gen_random_uuid() END,
        CASE WHEN state = 'taken' THEN due + (draw * 90) * interval '1 minute' END,
        false, CASE WHEN state = 'skipped' THEN 'forgot' ELSE '' END, '',
        CASE WHEN state = 'pending' THEN due END, 0, now(), now(),
        md5('patient' || person)::uuid, md5('plan' || person)::uuid, NULL, NULL,
        CASE WHEN state <> 'pending' THEN due + interval '1 hour' END
    FROM generate_series(1, %(patients)s) AS person
    CROSS JOIN LATERAL (
        SELECT 0 AS number, time '08:00' AS at
        UNION ALL SELECT 1, time '20:00' WHERE person %% 8 = 0
    ) AS slot
    CROSS JOIN LATERAL (SELECT random() AS draw) AS chance
    CROSS JOIN LATERAL (
        SELECT (%(day)s::date + slot.at) AT TIME ZONE %(zone)s AS due,
            (%(day)s::date + 1 + time '06:00') AT TIME ZONE %(zone)s AS missed_after,
            CASE WHEN %(day)s::date >= %(today)s THEN 'pending'
                 WHEN chance.draw < 0.92 THEN 'taken'
                 WHEN chance.draw < 0.96 THEN 'missed' ELSE 'skipped' END AS state
    ) AS dose
"""


def _execute(cursor: Any, sql: str, params: Any = None) -> None:
    cursor.execute(sql, params)


def _index_definitions(cursor: Any, table: str, partitioned: bool) -> list[str]:
    """The real ledger's indexes, renamed for the copy. A partitioned table's unique indexes
    must contain the partition key, so there `local_date` is added to them."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
        [SOURCE],
    )
    definitions = []
    for name, definition in cursor.fetchall():
        renamed = definition.replace(f"INDEX {name} ON", f"INDEX {table}_{name} ON").replace(
            f"public.{SOURCE} ", f"public.{table} "
        )
        if partitioned and "UNIQUE" in renamed and "local_date" not in renamed:
            renamed = renamed.replace(")", ", local_date)", 1)
        definitions.append(renamed)
    return definitions


def build(patients: int, years: int, table: str, partitioned: bool, today: date) -> dict:
    from django.db import connection

    first = today - timedelta(days=365 * years)
    last = today + timedelta(days=35)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        _execute(cursor, f"DROP TABLE IF EXISTS {table}")
        if partitioned:
            _execute(
                cursor,
                f"CREATE TABLE {table} (LIKE {SOURCE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                " PARTITION BY RANGE (local_date)",
            )
            month = first.replace(day=1)
            while month <= last:
                following = (month + timedelta(days=32)).replace(day=1)
                _execute(
                    cursor,
                    f"CREATE TABLE {table}_{month:%Y_%m} PARTITION OF {table} "
                    f"FOR VALUES FROM ('{month}') TO ('{following}') WITH (fillfactor = 90)",
                )
                month = following
        else:
            _execute(
                cursor,
                f"CREATE TABLE {table} (LIKE {SOURCE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                " WITH (fillfactor = 90)",
            )
        day = first
        while day <= last:
            _execute(
                cursor,
                FILL_DAY_SQL.format(table=table, columns=COLUMNS),
                {"day": day, "zone": ZONE, "patients": patients, "today": today},
            )
            day += timedelta(days=1)
        filled = time.perf_counter() - started
        _execute(cursor, "SET maintenance_work_mem = '1GB'")
        for definition in _index_definitions(cursor, table, partitioned):
            _execute(cursor, definition)
        _execute(cursor, f"VACUUM ANALYZE {table}")
        cursor.execute(f"SELECT count(*) FROM {table}")
        rows = cursor.fetchone()[0]
    return {
        "rows": rows,
        "fill_seconds": round(filled, 1),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _milliseconds(values: list[float]) -> dict[str, float]:
    return {
        "mean_ms": round(1000 * statistics.fmean(values), 3),
        "p50_ms": round(1000 * _percentile(values, 0.5), 3),
        "p99_ms": round(1000 * _percentile(values, 0.99), 3),
    }


def _patient(person: int) -> str:
    import hashlib
    import uuid

    return str(uuid.UUID(hashlib.md5(f"patient{person}".encode()).hexdigest()))  # noqa: S324


def time_dose_post(table: str, patients: int, today: date, samples: int) -> dict:
    """The dose POST's UPDATE on today's 08:00 dose of random patients, one statement a
    transaction (autocommit), then the rows set back."""
    from django.conf import settings
    from django.db import connection

    from backend.adherence.services.dose_logs import _LOG_PENDING_DOSE_SQL

    people = random.Random(7).sample(range(1, patients + 1), min(samples, patients))  # noqa: S311
    sql = _LOG_PENDING_DOSE_SQL.format(ledger=table)
    times, updated = [], 0
    now = datetime.now(UTC)
    import uuid

    with connection.cursor() as cursor:
        for person in people:
            params: dict[str, Any] = {
                "status": "taken",
                "client_id": uuid.uuid4(),
                "taken_at": now,
                "late_after": timedelta(minutes=settings.DOSE_LATE_AFTER_MINUTES),
                "skip_reason": "",
                "note": "",
                "recorded_by": None,
                "now": now,
                "patient": _patient(person),
                "day": today,
                "slot": 0,
                "pending": "pending",
                "earliest": timedelta(hours=settings.DOSE_EARLIEST_HOURS_BEFORE),
                "first_day": today - timedelta(days=settings.DOSE_BACKFILL_DAYS),
            }
            started = time.perf_counter()
            cursor.execute(sql, params)
            updated += len(cursor.fetchall())
            times.append(time.perf_counter() - started)
        cursor.execute(
            f"UPDATE {table} SET state = 'pending', client_id = NULL, taken_at = NULL, "
            "logged_at = NULL, next_reminder_at = due_at WHERE local_date = %s AND slot = 0 "
            "AND state = 'taken'",
            [today],
        )
    return {"statements": len(times), "rows_updated": updated, **_milliseconds(times)}


def time_sweep(table: str, today: date) -> dict:
    """Yesterday's doses set back to pending, then the sweep's batches until none is left."""
    from django.db import connection

    from backend.adherence.services.missed_doses import _MARK_MISSED_SQL

    yesterday = today - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = 'pending', next_reminder_at = NULL WHERE local_date = %s",
            [yesterday],
        )
        cursor.execute(f"VACUUM ANALYZE {table}")
        sql = _MARK_MISSED_SQL.format(ledger=table)
        now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        batches, marked = [], 0
        while True:
            started = time.perf_counter()
            cursor.execute(
                sql,
                {
                    "missed": "missed",
                    "pending": "pending",
                    "now": now,
                    "stamp": now,
                    "limit": 50_000,
                },
            )
            batches.append(time.perf_counter() - started)
            marked += cursor.rowcount
            if cursor.rowcount < 50_000:
                break
    total = sum(batches)
    return {
        "rows_marked": marked,
        "seconds": round(total, 3),
        "batches": [round(batch, 3) for batch in batches],
        "rows_per_second": round(marked / total) if total else None,
    }


def ensure_patients(table: str, patients: int) -> None:
    """The patients the claim joins to (id and user id only), made once."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table}_patients (id uuid PRIMARY KEY, user_id bigint)"
        )
        cursor.execute(f"SELECT count(*) FROM {table}_patients")
        if cursor.fetchone()[0] == 0:
            cursor.execute(
                f"INSERT INTO {table}_patients SELECT md5('patient' || person)::uuid, person "
                "FROM generate_series(1, %s) AS person",
                [patients],
            )
            cursor.execute(f"VACUUM ANALYZE {table}_patients")


def time_claim(table: str, today: date, batches: int) -> dict:
    """The reminder claim's batches of 1,000 at one minute past today's 08:00 doses: the
    service's own statement, on this table and its patients."""
    from django.db import connection

    from backend.adherence.services.reminders import claim_parameters, claim_sql

    due = datetime.fromisoformat(f"{today}T08:00").replace(tzinfo=_zone())
    now = due + timedelta(minutes=1)
    # The reminder settings are on the rows (the table is made LIKE the ledger, with its
    # defaults: no patient here has settings of their own).
    sql = claim_sql(table, f"{table}_patients", after=False)
    times, claimed = [], 0
    with connection.cursor() as cursor:
        for _ in range(batches):
            started = time.perf_counter()
            cursor.execute(sql, claim_parameters(now, 1_000, timedelta(0)))
            claimed += len(cursor.fetchall())
            times.append(time.perf_counter() - started)
        cursor.execute(
            f"UPDATE {table} SET follow_ups_sent = 0, next_reminder_at = due_at "
            "WHERE local_date = %s AND state = 'pending'",
            [today],
        )
    return {"batches": len(times), "rows_claimed": claimed, **_milliseconds(times)}


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONE)


def time_patient_days(table: str, patients: int, today: date, samples: int) -> dict:
    """One patient's last 90 days (the calendar's and metrics' read)."""
    from django.db import connection

    people = random.Random(11).sample(range(1, patients + 1), min(samples, patients))  # noqa: S311
    times, rows = [], 0
    with connection.cursor() as cursor:
        for person in people:
            started = time.perf_counter()
            cursor.execute(
                f"SELECT local_date, slot, state, taken_at FROM {table} "
                "WHERE patient_id = %s AND local_date BETWEEN %s AND %s "
                "ORDER BY local_date, slot",
                [_patient(person), today - timedelta(days=89), today],
            )
            rows += len(cursor.fetchall())
            times.append(time.perf_counter() - started)
    return {"reads": len(times), "rows": rows, **_milliseconds(times)}


def time_export(table: str, patients: int, today: date, team: int) -> dict:
    """A care team's 90 days: rows/s through a server-side cursor, beside COPY of the same
    query."""
    from django.db import connection

    people = [_patient(person) for person in range(1, min(team, patients) + 1)]
    query = (
        f"SELECT patient_id, local_date, slot, state, taken_at, late, skip_reason "
        f"FROM {table} WHERE patient_id = ANY(%s::uuid[]) AND local_date BETWEEN %s AND %s "
        "ORDER BY patient_id, local_date, slot"
    )
    params = [people, today - timedelta(days=89), today]
    raw = connection.connection if connection.connection else None
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    started = time.perf_counter()
    rows = 0
    with raw.transaction(), raw.cursor(name="ledger_scale_export") as cursor:
        cursor.execute(query, params)
        while batch := cursor.fetchmany(2_000):
            rows += len(batch)
    streamed = time.perf_counter() - started
    started = time.perf_counter()
    copied = 0
    with raw.cursor() as cursor:
        bound = cursor.mogrify(query, params)
        with cursor.copy(f"COPY ({bound}) TO STDOUT") as copy:
            for chunk in copy:
                copied += len(chunk)
    copy_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "cursor_rows_per_second": round(rows / streamed),
        "copy_rows_per_second": round(rows / copy_seconds),
        "copy_bytes": copied,
    }


def time_vacuum(table: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"VACUUM {table}")
        return {"seconds": round(time.perf_counter() - started, 2)}


def sizes(table: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pg_total_relation_size(%s::regclass), pg_table_size(%s::regclass),
                COALESCE((SELECT sum(pg_table_size(inhrelid))
                          FROM pg_inherits WHERE inhparent = %s::regclass), 0)
            """,
            [table, table, table],
        )
        total, heap, partitions = cursor.fetchone()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid)
            FROM pg_index i WHERE i.indrelid = %s::regclass ORDER BY 1
            """,
            [table],
        )
        indexes = dict(cursor.fetchall())
        if partitions:
            cursor.execute(
                """
                SELECT sum(pg_total_relation_size(inhrelid)), sum(pg_table_size(inhrelid))
                FROM pg_inherits WHERE inhparent = %s::regclass
                """,
                [table],
            )
            total, heap = cursor.fetchone()
    return {"total_bytes": int(total), "heap_bytes": int(heap), "index_bytes": indexes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--partitioned", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="time an existing table")
    parser.add_argument("--samples", type=int, default=2_000)
    args = parser.parse_args()

    from .common import require_bench_database, setup_django

    setup_django()
    require_bench_database()
    from django.db import connection

    connection.ensure_connection()
    connection.connection.autocommit = True
    table = f"ledger_scale_{args.patients}" + ("_by_month" if args.partitioned else "")
    today = datetime.now(_zone()).date()
    report: dict[str, Any] = {"table": table, "today": str(today), "patients": args.patients}
    if not args.reuse:
        report["build"] = build(args.patients, args.years, table, args.partitioned, today)
        print(json.dumps(report["build"]), file=sys.stderr)
    ensure_patients(table, args.patients)
    report["sizes"] = sizes(table)
    report["dose_post_update"] = time_dose_post(table, args.patients, today, args.samples)
    if args.partitioned:
        # The claim and the sweep find their rows again by ctid, which is unique only within
        # one partition: on a partitioned ledger they would need (tableoid, ctid).
        report["reminder_claim"] = report["missed_sweep"] = "not run: ctid is per partition"
    else:
        report["reminder_claim"] = time_claim(table, today, batches=10)
    report["patient_90_days"] = time_patient_days(table, args.patients, today, args.samples)
    report["export_team_90_days"] = time_export(table, args.patients, today, team=1_000)
    if not args.partitioned:
        report["missed_sweep"] = time_sweep(table, today)
    report["vacuum"] = time_vacuum(table)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

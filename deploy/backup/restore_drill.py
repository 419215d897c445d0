"""`make restore-drill`: prove the newest backup restores (docs/reliability.md, "Backups and
restore").

    python -m deploy.backup.restore_drill [--backup-dir DIR] [--fresh] [--keep]

Takes the newest `backup-*.dump` in BACKUP_DIR (first making one from DATABASE_URL with
deploy/backup/backup.sh when there is none, or with --fresh), restores it into a scratch
database on the same server (`<source>_restore_drill`, dropped and created anew), and compares:

- the row count of every table in the public schema with the counts the backup read from the
  source in the very snapshot it dumped (the dump's manifest);
- the audit log: the restored rows end at the row the source had last at the dump, every
  row_hash up to it equals the source's (the source's log is append-only, so its rows up to
  that point are still what was dumped), and `manage.py audit_verify` passes on the restored
  database (each row's content still matches its hash).

Prints the comparison, the dump's age (the recovery point: what a restore now would lose) and
how long the restore took (the recovery time). Exits 1 on any mismatch. Drops the scratch
database at the end unless --keep.
"""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
BACKUP_SCRIPT = Path(__file__).resolve().parent / "backup.sh"
SCRATCH_SUFFIX = "_restore_drill"
AUDIT_TABLE = "audit_auditevent"
AUDIT_ORDERS = ("id", "chain_position")


class DrillError(Exception):
    """The drill could not run (no database, no dump, restore failed)."""


@dataclass
class Manifest:
    """What backup.sh read from the source in the snapshot it dumped."""

    dump: Path
    taken_at: datetime
    database: str
    rows: dict[str, int]
    audit_rows: int | None = None
    # The chain's order: chain_position (rows chained at commit) where the log has it, else id.
    audit_order: str = "id"
    audit_last_key: int | None = None  # the last row's chain_position (or id)
    audit_last_id: int | None = None
    audit_last_hash: str | None = None
    size_bytes: int = 0


@dataclass
class Check:
    what: str
    source: str
    restored: str
    ok: bool


@dataclass
class DrillResult:
    manifest: Manifest
    restore_seconds: float
    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    def recovery_point_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.manifest.taken_at).total_seconds()


# --- URLs and databases ---------------------------------------------------------------------


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise DrillError(f"no database name in {redact(url)}")
    return name


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def scratch_url(source_url: str) -> str:
    name = database_name(source_url)
    if name.endswith(SCRATCH_SUFFIX):
        raise DrillError(f"{name} looks like a drill's scratch database: give the source's URL")
    return with_database(source_url, f"{name}{SCRATCH_SUFFIX}")


def _admin(url: str) -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop databases."""
    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


def database_recreate(url: str) -> None:
    name = sql.Identifier(database_name(url))
    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))


def database_drop(url: str) -> None:
    name = sql.Identifier(database_name(url))
    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


# --- Dumps ----------------------------------------------------------------------------------


def dump_latest(backup_dir: Path) -> Path | None:
    dumps = sorted(backup_dir.glob("backup-*.dump"))
    return dumps[-1] if dumps else None


def dump_take(source_url: str, backup_dir: Path) -> Path:
    """A new dump (and its manifest) from the source, by the backup service's own script."""
    env = {**os.environ, "BACKUP_DATABASE_URL": source_url, "BACKUP_DIR": str(backup_dir)}
    finished = subprocess.run(  # noqa: S603
        ["bash", str(BACKUP_SCRIPT), "once"],  # noqa: S607
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise DrillError(f"backup.sh failed:\n{finished.stderr.strip()}")
    return Path(finished.stdout.strip().splitlines()[-1])


def manifest_read(dump: Path) -> Manifest:
    path = dump.with_suffix(".manifest")
    if not path.exists():
        raise DrillError(
            f"{path.name} is missing: the counts as of {dump.name} are unknown (dumps made by "
            "deploy/backup/backup.sh have one; --fresh takes a new dump)"
        )
    values: dict[str, list[str]] = {}
    rows: dict[str, int] = {}
    for line in path.read_text().splitlines():
        key, *rest = line.split("\t")
        if key == "rows":
            rows[rest[0]] = int(rest[1])
        else:
            values[key] = rest
    manifest = Manifest(
        dump=dump,
        taken_at=datetime.fromisoformat(values["taken_at"][0].replace("Z", "+00:00")),
        database=values["database"][0],
        rows=rows,
        size_bytes=int(values.get("size_bytes", ["0"])[0]),
    )
    if "audit_rows" in values:
        manifest.audit_rows = int(values["audit_rows"][0])
    if "audit_order" in values:
        manifest.audit_order = values["audit_order"][0]
        if manifest.audit_order not in AUDIT_ORDERS:
            raise DrillError(f"{path.name}: unknown audit_order {manifest.audit_order!r}")
    if "audit_last" in values:
        key, row_hash, *row_id = values["audit_last"]
        manifest.audit_last_key = int(key)
        manifest.audit_last_hash = row_hash
        manifest.audit_last_id = int(row_id[0]) if row_id else int(key)
    return manifest


def _pg_tool(name: str) -> str:
    """PostgreSQL's client programs from PG_BIN (e.g. /usr/lib/postgresql/16/bin) when set:
    pg_restore must be of the dump's major version or newer."""
    pg_bin = os.environ.get("PG_BIN")
    return str(Path(pg_bin) / name) if pg_bin else name


def dump_restore(dump: Path, url: str, jobs: int = 1) -> None:
    finished = subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--exit-on-error", f"--jobs={jobs}", f"--dbname={url}", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise DrillError(f"pg_restore failed:\n{finished.stderr.strip()}")


# --- What is compared -----------------------------------------------------------------------


def table_counts(url: str) -> dict[str, int]:
    """Every table in the public schema and its rows, in one snapshot."""
    with psycopg.connect(url) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
            )
        ]
        counts = {}
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(table))
            counts[table] = connection.execute(query).fetchone()[0]  # type: ignore[index]
        return counts


def audit_digest(url: str, order: str, up_to: int) -> tuple[int, str | None, str, int | None]:
    """The audit rows up to `up_to` in chain order (`order`: chain_position or id): (how many,
    the row_hash of the row at `up_to`, a digest of all their row_hashes in order, the last
    place in the whole log)."""
    column = sql.Identifier(order)
    with psycopg.connect(url) as connection:
        query = sql.SQL(
            "SELECT count(*) FILTER (WHERE {column} <= %(up_to)s), "
            "max(row_hash) FILTER (WHERE {column} = %(up_to)s), "
            "md5(coalesce(string_agg(row_hash, ',' ORDER BY {column}) "
            "FILTER (WHERE {column} <= %(up_to)s), '')), "
            "max({column}) FROM {table}"
        ).format(column=column, table=sql.Identifier(AUDIT_TABLE))
        row = connection.execute(query, {"up_to": up_to}).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def audit_verify(url: str) -> tuple[bool, str]:
    """`manage.py audit_verify` against the database at url."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "backend.settings.local"
        ),
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = (finished.stdout + finished.stderr).strip().splitlines()
    if not lines:
        return finished.returncode == 0, "(no output)"
    # Its verdict ("N rows, chain intact"), or what went wrong (the last line of an error).
    if finished.returncode == 0:
        return True, lines[0]
    errors = [line for line in lines if "chain broken" in line or "Error:" in line]
    return False, (errors or lines)[-1].strip()


def compare_counts(expected: dict[str, int], restored: dict[str, int]) -> list[Check]:
    checks = []
    for table in sorted(set(expected) | set(restored)):
        source = expected.get(table)
        copy = restored.get(table)
        checks.append(
            Check(
                what=table,
                source="(missing)" if source is None else str(source),
                restored="(missing)" if copy is None else str(copy),
                ok=source is not None and source == copy,
            )
        )
    return checks


def compare_audit(manifest: Manifest, source_url: str, restored_url: str) -> list[Check]:
    if manifest.audit_rows is None:
        return []  # no audit log in this database (not migrated)
    if manifest.audit_last_key is None:  # an empty audit log at the dump
        restored_rows = table_counts(restored_url).get(AUDIT_TABLE)
        return [Check("audit log: empty at the dump", "0", str(restored_rows), restored_rows == 0)]
    order, last = manifest.audit_order, manifest.audit_last_key
    source = audit_digest(source_url, order, last)
    restored = audit_digest(restored_url, order, last)
    verified, verify_output = audit_verify(restored_url)
    return [
        Check(
            f"audit log: last row at the dump ({order})",
            f"{last} {manifest.audit_last_hash[:12]}",  # type: ignore[index]
            f"{restored[3]} {(restored[1] or '-')[:12]}",
            restored[3] == last and restored[1] == manifest.audit_last_hash,
        ),
        Check(
            f"audit log: rows up to {order} {last}",
            f"{source[0]} (source now)",
            str(restored[0]),
            source[0] == restored[0] == manifest.audit_rows,
        ),
        Check(
            f"audit log: every row_hash up to {order} {last}",
            f"md5 {source[2][:12]}",
            f"md5 {restored[2][:12]}",
            source[1] == manifest.audit_last_hash and source[2] == restored[2],
        ),
        Check("audit log: audit_verify on the restore", "", verify_output, verified),
    ]


# --- The drill ------------------------------------------------------------------------------


def drill(
    source_url: str,
    backup_dir: Path,
    *,
    fresh: bool = False,
    keep: bool = False,
    jobs: int = 1,
    after_restore: Callable[[str], None] | None = None,
    say: Callable[[str], None] = print,
) -> DrillResult:
    """Restore the newest dump into the scratch database and compare. after_restore(url) runs
    on the restored database before the comparison (the tests use it to damage the copy)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    dump = None if fresh else dump_latest(backup_dir)
    if dump is None:
        say(f"taking a dump of {redact(source_url)} into {backup_dir}")
        dump = dump_take(source_url, backup_dir)
    manifest = manifest_read(dump)
    target = scratch_url(source_url)
    say(f"restoring {dump.name} into {database_name(target)}")
    started = time.monotonic()
    database_recreate(target)
    try:
        dump_restore(dump, target, jobs=jobs)
        restore_seconds = time.monotonic() - started
        if after_restore is not None:
            after_restore(target)
        result = DrillResult(manifest=manifest, restore_seconds=restore_seconds)
        result.checks += compare_counts(manifest.rows, table_counts(target))
        result.checks += compare_audit(manifest, source_url, target)
    finally:
        if keep:
            say(f"kept {database_name(target)} (--keep)")
        else:
            database_drop(target)
    return result


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def report(result: DrillResult) -> str:
    width = max(len(check.what) for check in result.checks) if result.checks else 10
    lines = [f"{'':2}{'table / check':<{width}}  {'source at dump':>24}  {'restored':>24}"]
    for check in result.checks:
        mark = "  " if check.ok else "✗ "
        lines.append(f"{mark}{check.what:<{width}}  {check.source:>24}  {check.restored:>24}")
    manifest = result.manifest
    lines += [
        "",
        f"dump: {manifest.dump.name}, {manifest.size_bytes / 1e6:.2f} MB, of {manifest.database}"
        f" at {manifest.taken_at:%Y-%m-%d %H:%M:%S} UTC",
        f"recovery point: the dump is {_duration(result.recovery_point_seconds())} old "
        "(a restore now loses every write since)",
        f"recovery time: restore took {_duration(result.restore_seconds)} "
        "(create the database, pg_restore with indexes and constraints)",
    ]
    if result.ok:
        lines.append(f"restore drill passed: {len(result.checks)} checks")
    else:
        names = ", ".join(check.what for check in result.failures)
        lines.append(f"restore drill FAILED: {len(result.failures)} mismatches: {names}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backup-dir",
        type=Path,
        default=Path(os.environ.get("BACKUP_DIR") or ROOT / "var" / "backups"),
        help="Where the dumps are (BACKUP_DIR; default var/backups).",
    )
    parser.add_argument("--fresh", action="store_true", help="Take a new dump first.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument(
        "--jobs", type=int, default=1, help="pg_restore --jobs: parallel restore (default 1)."
    )
    options = parser.parse_args(argv)
    source_url = os.environ.get("DATABASE_URL", "")
    if not source_url.startswith(("postgres://", "postgresql://")):
        print("restore-drill: set DATABASE_URL=postgres://... (the source)", file=sys.stderr)
        return 2
    try:
        result = drill(
            source_url,
            options.backup_dir,
            fresh=options.fresh,
            keep=options.keep,
            jobs=options.jobs,
        )
    except DrillError as error:
        print(f"restore-drill: {error}", file=sys.stderr)
        return 1
    print(report(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

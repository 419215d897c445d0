"""Backups that restore (deploy/backup/): the backup service's script dumps a database of its own
beside the test database, and the restore drill restores it into a scratch database and
compares row counts and the audit log; a damaged restore fails naming what differs."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from deploy.backup import restore_drill

# slow: dumps and restores databases (make test runs it; make test-fast leaves it out).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BACKUP = ROOT / "deploy" / "backup" / "backup.sh"


def test_the_scripts_parse() -> None:
    subprocess.run(["bash", "-n", str(BACKUP)], check=True)


def test_the_scratch_database_is_named_after_the_source() -> None:
    url = "postgres://gist:secret@db:5432/gist"
    assert restore_drill.scratch_url(url) == "postgres://gist:secret@db:5432/gist_restore_drill"
    assert restore_drill.redact(url) == "postgres://gist:***@db:5432/gist"
    with pytest.raises(restore_drill.DrillError, match="scratch"):
        restore_drill.scratch_url("postgres://gist@db/gist_restore_drill")


def _manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "backend.settings.local"}
    finished = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def _backup(
    url: str, backup_dir: Path, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKUP_DATABASE_URL": url, "BACKUP_DIR": str(backup_dir), **extra}
    return subprocess.run(
        ["bash", str(BACKUP), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def source_url() -> Iterator[str]:
    """A database of this module's own, migrated, with the demo data (patients, doses, alerts,
    audit events); dropped at the end with the drill's scratch database."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("needs PostgreSQL's client programs: apt-get install postgresql-client")
    base = os.environ["DATABASE_URL"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{urlsplit(base).path.lstrip('/')}_drill_{worker}"
    url = restore_drill.with_database(base, name)
    restore_drill.database_recreate(url)
    try:
        _manage(url, "migrate", "--noinput", "-v", "0")
        _manage(url, "seed_demo")
        yield url
    finally:
        restore_drill.database_drop(restore_drill.scratch_url(url))
        restore_drill.database_drop(url)


def _write_after_the_dump(url: str) -> None:
    """The application goes on writing: a new audit event (through the chain) and a care team."""
    _manage(
        url,
        "shell",
        "-c",
        "from backend.audit.services import audit_record; "
        "from backend.accounts.models import CareTeam; "
        "audit_record(actor=None, action='drill.after_dump'); "
        "CareTeam.objects.create(name='After the dump')",
    )


@pytest.mark.postgres
def test_the_backup_restores_and_matches_the_source(source_url: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    finished = _backup(source_url, backups)
    assert finished.returncode == 0, finished.stderr
    dump = Path(finished.stdout.strip())
    assert dump.parent == backups
    assert dump.name.startswith("backup-") and dump.name.endswith("Z.dump")
    assert not list(backups.glob(".backup-*"))  # written under a temporary name, then renamed
    manifest = restore_drill.manifest_read(dump)
    assert manifest.rows["accounts_patient"] == 3
    assert manifest.audit_rows and manifest.audit_rows > 0

    _write_after_the_dump(source_url)  # after the dump: neither in it nor compared

    lines: list[str] = []
    result = restore_drill.drill(source_url, backups, say=lines.append)
    report = restore_drill.report(result)
    assert result.ok, report
    assert result.manifest.dump == dump  # the newest dump, not a new one
    assert {check.what for check in result.checks} >= {"accounts_patient", "audit_auditevent"}
    assert "audit_verify on the restore" in report and "chain intact" in report
    assert "recovery point: the dump is" in report
    assert "recovery time: restore took" in report
    # The scratch database is dropped at the end.
    with psycopg.connect(restore_drill.with_database(source_url, "postgres")) as admin:
        scratch = restore_drill.database_name(restore_drill.scratch_url(source_url))
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch])
        assert exists.fetchone() is None


@pytest.mark.postgres
def test_make_restore_drill_takes_a_dump_when_there_is_none(
    source_url: str, tmp_path: Path
) -> None:
    """What CI runs: `make restore-drill` alone, with an empty backup folder."""
    env = {**os.environ, "DATABASE_URL": source_url, "BACKUP_DIR": str(tmp_path / "none-yet")}
    finished = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed-runtime", "restore-drill"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "restore drill passed" in finished.stdout
    assert len(list((tmp_path / "none-yet").glob("backup-*.dump"))) == 1


@pytest.mark.postgres
def test_a_restore_missing_rows_fails_naming_the_table(source_url: str, tmp_path: Path) -> None:
    def lose_a_row(url: str) -> None:
        with psycopg.connect(url) as connection:
            connection.execute(
                "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)"
            )

    result = restore_drill.drill(
        source_url, tmp_path, fresh=True, after_restore=lose_a_row, say=lambda _: None
    )
    assert not result.ok
    assert [check.what for check in result.failures] == ["django_migrations"]
    assert "FAILED: 1 mismatches: django_migrations" in restore_drill.report(result)


@pytest.mark.postgres
def test_a_restore_with_a_rewritten_audit_event_fails(source_url: str, tmp_path: Path) -> None:
    def rewrite_history(url: str) -> None:
        with psycopg.connect(url) as connection:  # as the owner: the trigger can be disabled
            connection.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            connection.execute(
                "UPDATE audit_auditevent SET action = 'rewritten' "
                "WHERE id = (SELECT min(id) FROM audit_auditevent)"
            )

    result = restore_drill.drill(
        source_url, tmp_path, fresh=True, after_restore=rewrite_history, say=lambda _: None
    )
    assert [check.what for check in result.failures] == ["audit log: audit_verify on the restore"]
    assert "chain broken" in result.failures[0].restored


@pytest.mark.postgres
def test_the_drill_exits_non_zero_on_a_mismatch(
    source_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert _backup(source_url, tmp_path).returncode == 0
    real_counts = restore_drill.table_counts

    def one_patient_short(url: str) -> dict[str, int]:
        counts = real_counts(url)
        if url.endswith(restore_drill.SCRATCH_SUFFIX):
            counts["accounts_patient"] -= 1
        return counts

    monkeypatch.setattr(restore_drill, "table_counts", one_patient_short)
    monkeypatch.setenv("DATABASE_URL", source_url)
    assert restore_drill.main(["--backup-dir", str(tmp_path)]) == 1
    assert "FAILED: 1 mismatches: accounts_patient" in capsys.readouterr().out


@pytest.mark.postgres
def test_old_dumps_are_deleted_and_a_failed_dump_leaves_nothing(
    source_url: str, tmp_path: Path
) -> None:
    old = tmp_path / "backup-20200101T023000Z.dump"
    old.write_bytes(b"old")
    old.with_suffix(".manifest").write_text("old")
    os.utime(old, (1577845800, 1577845800))  # 2020-01-01
    recent = tmp_path / "backup-20990101T023000Z.dump"  # young by its file time
    recent.write_bytes(b"recent")

    finished = _backup(source_url, tmp_path, BACKUP_RETENTION_DAYS="14")
    assert finished.returncode == 0, finished.stderr
    assert "retention: deleting backup-20200101T023000Z.dump" in finished.stderr
    assert not old.exists() and not old.with_suffix(".manifest").exists()
    assert recent.exists()
    assert len(list(tmp_path.glob("backup-*.dump"))) == 2

    before = sorted(tmp_path.iterdir())
    missing = restore_drill.with_database(
        source_url, restore_drill.database_name(source_url) + "_missing"
    )
    finished = _backup(missing, tmp_path)
    assert finished.returncode == 1
    assert "does not exist" in finished.stderr
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.postgres
def test_the_health_check_wants_a_recent_dump_and_no_failure(
    source_url: str, tmp_path: Path
) -> None:
    assert _backup(source_url, tmp_path, "check").returncode == 1  # no dump yet
    assert _backup(source_url, tmp_path).returncode == 0
    checked = _backup(source_url, tmp_path, "check")
    assert checked.returncode == 0 and "newest dump backup-" in checked.stdout
    (tmp_path / "LAST_FAILURE").write_text("2026-01-01T02:30:00Z")
    checked = _backup(source_url, tmp_path, "check")
    assert checked.returncode == 1 and "last backup failed" in checked.stdout

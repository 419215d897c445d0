"""`make run`'s SQLite: write-ahead log, a busy timeout and IMMEDIATE transactions, whatever
database the suite itself runs on."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_local_settings_configure_sqlite_for_web_and_worker_together(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["DJANGO_SETTINGS_MODULE"] = "backend.settings.local"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.db import connection\n"
        "print(settings.DATABASES['default']['OPTIONS'])\n"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    options, journal, busy = result.stdout.strip().splitlines()
    assert "'transaction_mode': 'IMMEDIATE'" in options
    assert journal == "wal"
    assert int(busy) >= 10_000

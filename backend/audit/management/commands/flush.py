"""Django's `flush`, able to empty the audit log in a test database.

On PostgreSQL a trigger refuses TRUNCATE on a non-empty audit log (migration 0004). The test
suite empties every table after each `transaction=True` test with `flush`, so for a database
whose name starts with `test_` (Django's test databases) this sets `audit.allow_truncate` for
the flush, which the trigger honours for the table's owner only. Any other database: the
trigger refuses, as it should.
"""

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        name = str(connection.settings_dict.get("NAME") or "")
        if connection.vendor != "postgresql" or not name.startswith("test_"):
            super().handle(**options)
            return
        with connection.cursor() as cursor:
            cursor.execute("SET audit.allow_truncate = 'on'")
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET audit.allow_truncate")

"""The two-role PostgreSQL setup: the role that runs `migrate` owns every table; the role the
web and worker processes connect as gets data access only, and on the audit log only INSERT
and SELECT. See docs/security.md, "Audit log".

    python manage.py db_roles --app-role gist_app --print     # print the SQL
    python manage.py db_roles --app-role gist_app             # run it (as the owner role)

Run it after every `migrate` (new tables get the grants through the default privileges, but
running it again is harmless and re-asserts the audit log's restriction).
"""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

AUDIT_TABLE = "audit_auditevent"
AUDIT_PENDING_TABLE = "audit_chain_pending"
MIGRATIONS_TABLE = "django_migrations"
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _identifier(name: str, what: str) -> str:
    if not _ROLE.match(name):
        raise CommandError(f"{what} {name!r}: use lower-case letters, digits and _ only")
    return f'"{name}"'


def role_statements(
    *, app_role: str, database: str, owner_role: str | None = None, schema: str = "public"
) -> list[str]:
    """The GRANT/REVOKE statements, to run as the owner role (the one that ran migrate)."""
    app = _identifier(app_role, "role")
    schema_name = _identifier(schema, "schema")
    quoted_database = '"' + database.replace('"', '""') + '"'
    for_owner = f"FOR ROLE {_identifier(owner_role, 'role')} " if owner_role else ""
    return [
        f"GRANT CONNECT ON DATABASE {quoted_database} TO {app}",
        f"GRANT USAGE ON SCHEMA {schema_name} TO {app}",
        # Data access on every table and sequence migrate created...
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_name} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_name} TO {app}",
        # ...and on those later migrations create.
        f"ALTER DEFAULT PRIVILEGES {for_owner}IN SCHEMA {schema_name} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES {for_owner}IN SCHEMA {schema_name} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        # The audit log: add and read, nothing else (no UPDATE, DELETE, TRUNCATE, TRIGGER).
        f"REVOKE ALL ON TABLE {schema_name}.{AUDIT_TABLE} FROM {app}",
        f"GRANT SELECT, INSERT ON TABLE {schema_name}.{AUDIT_TABLE} TO {app}",
        # Its events waiting to be chained at their commit: only the chain's functions, which
        # run as the owner, touch them (backend/audit/chain.py).
        f"REVOKE ALL ON TABLE {schema_name}.{AUDIT_PENDING_TABLE} FROM {app}",
        # Which migrations ran is the owner's business; the application only reads it.
        f"REVOKE ALL ON TABLE {schema_name}.{MIGRATIONS_TABLE} FROM {app}",
        f"GRANT SELECT ON TABLE {schema_name}.{MIGRATIONS_TABLE} TO {app}",
    ]


class Command(BaseCommand):
    help = (
        "Grant the application role data access (on the audit log INSERT and SELECT only). "
        "Run as the role that owns the tables; --print shows the SQL instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="The role web and worker use.")
        parser.add_argument(
            "--owner-role",
            help="The role that runs migrate and owns the tables (default: the current role).",
        )
        parser.add_argument(
            "--database-name",
            help="Default: the NAME of the configured PostgreSQL database, else 'gist'.",
        )
        parser.add_argument("--schema", default="public")
        parser.add_argument("--print", action="store_true", help="Print the SQL, run nothing.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Connection alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        configured = (
            str(connection.settings_dict["NAME"]) if connection.vendor == "postgresql" else "gist"
        )
        statements = role_statements(
            app_role=options["app_role"],
            database=options["database_name"] or configured,
            owner_role=options["owner_role"],
            schema=options["schema"],
        )
        if options["print"]:
            self.stdout.write(
                "-- Run as the role that owns the tables (the one that runs migrate),\n"
                "-- after every migrate. docs/security.md, 'Audit log'."
            )
            for statement in statements:
                self.stdout.write(f"{statement};")
            return
        if connection.vendor != "postgresql":
            raise CommandError("db_roles applies to PostgreSQL only (use --print to read it)")
        with transaction.atomic(using=options["database"]), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"Granted {options['app_role']} its roles' privileges.")

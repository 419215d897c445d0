"""The two-role setup (`manage.py db_roles`): the application role adds to and reads the audit
log and can do nothing else to it, not even switch its trigger off."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from backend.audit.management.commands.db_roles import role_statements
from backend.audit.models import AuditEvent
from backend.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_print_shows_the_grants_without_a_database() -> None:
    out = StringIO()
    call_command(
        "db_roles", "--app-role", "gist_app", "--owner-role", "gist_owner", "--print", stdout=out
    )
    sql = out.getvalue()
    assert 'REVOKE ALL ON TABLE "public".audit_auditevent FROM "gist_app";' in sql
    assert 'GRANT SELECT, INSERT ON TABLE "public".audit_auditevent TO "gist_app";' in sql
    assert 'REVOKE ALL ON TABLE "public".audit_chain_pending FROM "gist_app";' in sql
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "gist_owner"' in sql
    assert "TRUNCATE" not in sql.split("-- after every migrate")[1]


def test_role_names_are_checked() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="role"):
        role_statements(app_role='x"; DROP TABLE y; --', database="gist")


@pytest.mark.postgres
def test_the_app_role_may_only_insert_and_select_on_the_audit_log(nurse, patient):
    role = f"audit_app_test_{uuid.uuid4().hex[:10]}"
    audit_record(actor=nurse, action="patient.view", patient=patient)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        try:
            for statement in role_statements(
                app_role=role, database=connection.settings_dict["NAME"]
            ):
                cursor.execute(statement)
            cursor.execute(f'SET ROLE "{role}"')
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == role

            # What the application does: add events and read them; they are chained at commit
            # (SET CONSTRAINTS ... IMMEDIATE runs the chaining now, as this role, as a commit
            # would) by the trigger's function, which runs as its owner...
            audit_record(actor=nurse, action="patient.list", patient=patient)
            assert AuditEvent.objects.count() == 2
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            assert sorted(AuditEvent.objects.values_list("chain_position", flat=True)) == [1, 2]
            # ...while its own unchained row is as closed to it as any other.
            audit_record(actor=nurse, action="patient.view", patient=patient)
            # ...and change its other tables as usual.
            cursor.execute(
                "UPDATE accounts_user SET last_login = last_login WHERE id = %s", [nurse.pk]
            )

            refused = {
                "UPDATE audit_auditevent SET action = 'x'": "permission denied",
                "UPDATE audit_auditevent SET row_hash = '' WHERE row_hash <> ''": (
                    "permission denied"
                ),
                "UPDATE audit_auditevent SET chain_position = 9, previous_hash = row_hash "
                "WHERE chain_position IS NULL": "permission denied",
                "DELETE FROM audit_auditevent": "permission denied",
                "TRUNCATE audit_auditevent": "permission denied",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only": (
                    "must be owner"
                ),
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL": "must be owner",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_chain": (
                    "must be owner"
                ),
                "DROP TRIGGER audit_auditevent_chain ON audit_auditevent": "must be owner",
                # The events waiting for their transaction's commit to be chained: the role
                # may neither read nor change them, nor unhook the linking.
                "SELECT * FROM audit_chain_pending": "permission denied",
                "DELETE FROM audit_chain_pending": "permission denied",
                "UPDATE audit_chain_pending SET event_ids = '{}'": "permission denied",
                "INSERT INTO audit_chain_pending (transaction_id, event_ids) "
                "VALUES (pg_current_xact_id(), '{1}')": "permission denied",
                "ALTER TABLE audit_chain_pending DISABLE TRIGGER ALL": "must be owner",
                "DROP TRIGGER audit_chain_pending_link ON audit_chain_pending": "must be owner",
                "SELECT audit_chain_link()": "permission denied|only be called as triggers",
                "CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger AS "
                "'BEGIN RETURN NULL; END' LANGUAGE plpgsql": "must be owner|permission denied",
                "SELECT audit_event_chain()": "permission denied|only be called as triggers",
                "DROP TRIGGER audit_auditevent_no_truncate ON audit_auditevent": "must be owner",
                "DROP TABLE audit_auditevent": "must be owner",
                "DELETE FROM django_migrations": "permission denied",
            }
            for statement, reason in refused.items():
                with pytest.raises(DatabaseError, match=reason), transaction.atomic():
                    cursor.execute(statement)
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == role
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the third row, chained as well
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
    assert list(AuditEvent.objects.order_by("chain_position").values_list("action", flat=True)) == [
        "patient.view",
        "patient.list",
        "patient.view",
    ]
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("3 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_roles_committed_events_are_chained(nurse, patient):
    """At a real commit, as the application role: the chaining trigger's function runs as its
    owner, so the rows get their place though the role may not UPDATE the table."""
    role = f"audit_app_test_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        try:
            for statement in role_statements(
                app_role=role, database=connection.settings_dict["NAME"]
            ):
                cursor.execute(statement)
            cursor.execute(f'SET ROLE "{role}"')
            audit_record(actor=nurse, action="patient.view", patient=patient)  # autocommit
            with transaction.atomic():
                audit_record(actor=nurse, action="patient.list", patient=patient)
                audit_record(actor=nurse, action="patient.list", patient=patient)
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute("UPDATE audit_auditevent SET row_hash = ''")
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
    positions = AuditEvent.objects.order_by("id").values_list("chain_position", flat=True)
    assert list(positions) == [1, 2, 3]
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("3 rows, chain intact")

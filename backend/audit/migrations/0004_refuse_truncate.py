"""On PostgreSQL, refuse TRUNCATE on the audit log too (row triggers never see it).

The one exception: the table's owner (or a superuser) who has set `audit.allow_truncate` to
`on` in the session, which only the test suite's `flush` does (backend/audit/management/
commands/flush.py), and truncating an empty table, which removes nothing. The owner could
disable the trigger anyway; the application role is neither owner nor granted TRUNCATE
(docs/security.md, "Audit log")."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_auditevent LIMIT 1) THEN
        RETURN NULL;
    END IF;
    IF current_setting('audit.allow_truncate', true) = 'on'
       AND pg_has_role(
           current_user,
           (SELECT relowner FROM pg_class WHERE oid = TG_RELID),
           'MEMBER'
       ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only (TRUNCATE refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_no_truncate();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_chain")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]

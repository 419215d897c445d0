"""Give every audit event a hash chain (backend/audit/chain.py), fill it for the events
already written, in id order, and (on PostgreSQL) create the function that locks the chain and
reads its head."""

import django.utils.timezone
from django.db import migrations, models

from backend.audit import chain

TRIGGER = "audit_auditevent_append_only"
BATCH = 2000

# The function the code of the time called at insert (migration 0005 drops it: events are now
# chained at commit).
HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_chain_lock_head() RETURNS text AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(CHAIN_LOCK_KEY);
    RETURN (SELECT row_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1);
END;
$$ LANGUAGE plpgsql VOLATILE;
""".replace("CHAIN_LOCK_KEY", str(chain.CHAIN_LOCK_KEY))
DROP_HEAD_FUNCTION = "DROP FUNCTION IF EXISTS audit_chain_lock_head();"


def fill_chain(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # This migration runs as the table's owner; the trigger refuses UPDATE otherwise.
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    previous = chain.GENESIS_HASH
    last_id = 0
    fields = ["id", *chain.HASHED_FIELDS]
    while True:
        rows = list(
            AuditEvent.objects.using(db)
            .filter(id__gt=last_id)
            .order_by("id")
            .values(*fields)[:BATCH]
        )
        if not rows:
            break
        changed = []
        for row in rows:
            digest = chain.link_hash_v1(row, previous)
            changed.append(AuditEvent(id=row["id"], previous_hash=previous, row_hash=digest))
            previous = digest
        AuditEvent.objects.using(db).bulk_update(changed, ["previous_hash", "row_hash"])
        last_id = rows[-1]["id"]
    if postgres:
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")


def create_head_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_FUNCTION)


def drop_head_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_HEAD_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False
            ),
        ),
        # Going back keeps the hashes' columns' removal to the AddFields above.
        migrations.RunPython(fill_chain, migrations.RunPython.noop),
        migrations.RunPython(create_head_function, drop_head_function),
    ]

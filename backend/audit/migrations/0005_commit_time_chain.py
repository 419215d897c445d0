"""Chain audit events at commit on PostgreSQL (backend/audit/chain.py).

- New columns: `content_hash` (SHA-256 of the canonical content, set at insert),
  `chain_position` (1, 2, 3, ... in chain order, unique) and `link_version`.
- The rows already chained (in id order, by migration 0003 or the code before this migration)
  keep their previous_hash and row_hash: they get chain_position in id order, their
  content_hash and `link_version = 1` (row_hash = SHA-256(previous_hash, newline, canonical
  content)). Every later row has `link_version = 2` (row_hash = SHA-256(previous_hash ||
  content_hash)); `audit_verify` checks each row by its version.
- PostgreSQL: the chaining trigger (`audit_event_chain()`, SECURITY DEFINER, owned by the role
  that runs migrate) and the append-only trigger's one exception for it; the old lock-and-read
  function goes.

Going back removes the columns and restores the old triggers and function, but does not
rechain: rows written since this migration (link version 2) then no longer verify.
"""

from django.db import migrations, models

from backend.audit import chain

APPEND_ONLY_TRIGGER = "audit_auditevent_append_only"
BATCH = 2000

# Migration 0002's function (run with Django's parameter style: %% is %).
APPEND_ONLY_FUNCTION_0002 = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

# Migration 0003's function, which the code before this migration called at insert.
HEAD_FUNCTION_0003 = """
CREATE OR REPLACE FUNCTION audit_chain_lock_head() RETURNS text AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(CHAIN_LOCK_KEY);
    RETURN (SELECT row_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1);
END;
$$ LANGUAGE plpgsql VOLATILE;
""".replace("CHAIN_LOCK_KEY", str(0x617564_6974_6C6F67))
DROP_HEAD_FUNCTION_0003 = "DROP FUNCTION IF EXISTS audit_chain_lock_head();"


# What this migration creates on PostgreSQL, as it was (backend/audit/chain.py has moved on
# since migration 0006; 0006 puts these back when it is reversed).
#
# `audit_auditevent_chain` (AFTER INSERT) and `audit_auditevent_chain_link` (AFTER UPDATE of a
# row not yet chained) are constraint triggers, DEFERRABLE INITIALLY DEFERRED, both running
# `audit_event_chain()`: a row at a time, at commit. The first pass only checks the new row and
# queues the second by a no-op UPDATE of it, so the second pass (the chaining) runs after every
# other deferred check the transaction queued.
CHAIN_FUNCTION_0005 = (
    """
CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger AS $$
DECLARE
    head_position bigint;
    head_hash text;
    chained_position bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.row_hash <> '' OR NEW.previous_hash <> '' OR NEW.chain_position IS NOT NULL
           OR NEW.link_version <> LINK_VERSION THEN
            RAISE EXCEPTION 'audit events are chained by the database: insert them unchained';
        END IF;
        IF NEW.content_hash !~ '^[0-9a-f]{64}$' THEN
            RAISE EXCEPTION 'audit event % has no content_hash', NEW.id;
        END IF;
        -- Queue the chaining (this trigger's UPDATE pass) behind everything queued so far.
        EXECUTE format('UPDATE %I.%I SET row_hash = row_hash WHERE id = $1',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME) USING NEW.id;
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT chain_position FROM %I.%I WHERE id = $1',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO chained_position USING NEW.id;
    IF chained_position IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- Held until the commit ends. A VOLATILE function takes a fresh snapshot for each
    -- statement, so the head read after the lock sees every row committed meanwhile.
    PERFORM pg_advisory_xact_lock(CHAIN_LOCK_KEY);
    EXECUTE format('SELECT chain_position, row_hash FROM %I.%I WHERE chain_position IS NOT NULL '
                   'ORDER BY chain_position DESC LIMIT 1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO head_position, head_hash;
    head_hash := coalesce(head_hash, 'GENESIS_HASH');
    EXECUTE format('UPDATE %I.%I SET chain_position = $2, previous_hash = $3, '
                   'row_hash = encode(sha256(convert_to($3 || content_hash, ''UTF8'')), ''hex'') '
                   'WHERE id = $1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        USING NEW.id, coalesce(head_position, 0) + 1, head_hash;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION audit_event_chain() FROM PUBLIC;
CREATE CONSTRAINT TRIGGER audit_auditevent_chain
    AFTER INSERT ON audit_auditevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_event_chain();
CREATE CONSTRAINT TRIGGER audit_auditevent_chain_link
    AFTER UPDATE ON audit_auditevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.chain_position IS NULL) EXECUTE FUNCTION audit_event_chain();
""".replace("CHAIN_LOCK_KEY", str(chain.CHAIN_LOCK_KEY))
    .replace("GENESIS_HASH", chain.GENESIS_HASH)
    .replace("LINK_VERSION", "2")
)
DROP_CHAIN_FUNCTION_0005 = """
DROP TRIGGER IF EXISTS audit_auditevent_chain_link ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_chain ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_chain();
"""

# The append-only trigger's function from here to migration 0006: refuses every UPDATE and
# DELETE except the chaining trigger's own updates of a row not chained yet (its no-op update,
# and the link: chain_position, previous_hash and row_hash, nothing else).
APPEND_ONLY_FUNCTION_0005 = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND pg_trigger_depth() > 1
       AND OLD.row_hash = '' AND OLD.previous_hash = '' AND OLD.chain_position IS NULL
       AND (to_jsonb(NEW) - 'chain_position' - 'previous_hash' - 'row_hash')
           = (to_jsonb(OLD) - 'chain_position' - 'previous_hash' - 'row_hash')
       AND (
           (NEW.row_hash = '' AND NEW.previous_hash = '' AND NEW.chain_position IS NULL)
           OR (NEW.chain_position IS NOT NULL AND NEW.previous_hash ~ '^[0-9a-f]{64}$'
               AND NEW.row_hash
                   = encode(sha256(convert_to(NEW.previous_hash || NEW.content_hash, 'UTF8')),
                            'hex'))
       ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp;
"""


def place_existing_rows(apps, schema_editor):
    """Give the rows chained so far (in id order) their chain_position, content_hash and link
    version 1; their previous_hash and row_hash stay as they are."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # This migration runs as the table's owner; the trigger refuses UPDATE otherwise.
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {APPEND_ONLY_TRIGGER}")
    position = 0
    last_id = 0
    fields = ["id", *chain.HASHED_FIELDS]
    while True:
        rows = list(
            AuditEvent.objects.using(db)
            .filter(id__gt=last_id, chain_position__isnull=True)
            .order_by("id")
            .values(*fields)[:BATCH]
        )
        if not rows:
            break
        changed = []
        for row in rows:
            position += 1
            changed.append(
                AuditEvent(
                    id=row["id"],
                    chain_position=position,
                    content_hash=chain.content_hash(row),
                    link_version=1,
                )
            )
        AuditEvent.objects.using(db).bulk_update(
            changed, ["chain_position", "content_hash", "link_version"]
        )
        last_id = rows[-1]["id"]
    if postgres:
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {APPEND_ONLY_TRIGGER}")


def chain_at_commit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the SQL goes as it is (its % are PL/pgSQL's, not placeholders).
        schema_editor.execute(DROP_HEAD_FUNCTION_0003, params=None)
        schema_editor.execute(APPEND_ONLY_FUNCTION_0005, params=None)
        schema_editor.execute(CHAIN_FUNCTION_0005, params=None)


def chain_at_insert(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CHAIN_FUNCTION_0005, params=None)
        schema_editor.execute(APPEND_ONLY_FUNCTION_0002)
        schema_editor.execute(HEAD_FUNCTION_0003, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_refuse_truncate'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='chain_position',
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='content_hash',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='link_version',
            field=models.PositiveSmallIntegerField(db_default=2, default=2, editable=False),
        ),
        # Going back, removing the columns above undoes this.
        migrations.RunPython(place_existing_rows, migrations.RunPython.noop),
        migrations.RunPython(chain_at_commit, chain_at_insert),
    ]

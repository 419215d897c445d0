"""The audit log's hash chain: each event has a place in the chain (`chain_position`, 1, 2,
3, ...), its `content_hash` (SHA-256 of its canonical content) and a `row_hash` that covers the
previous event's `row_hash` and its own content, so changing, removing or inserting a row
anywhere but at the end breaks every link after it. `python manage.py audit_verify` walks it.

Where the link is made:

- PostgreSQL: at commit. Python computes only `content_hash` at insert and takes no lock. A
  statement trigger notes each INSERT's events as pending, and a deferred constraint trigger
  (migration 0006, `CHAIN_FUNCTION` below) runs when the writing transaction commits: it
  takes a transaction-level advisory lock, reads the head (the row with the highest
  `chain_position`) and gives each of the transaction's events, in id order, the next
  position, `previous_hash` and `row_hash`, all in one pass. The lock is held only from there
  to the end of the commit, after every other deferred check of the transaction has run, so
  the transaction waits for nothing else while holding it: audited requests are not
  serialised, and the lock is never part of a deadlock (the design before migration 0005 took
  it at insert and held it for the rest of the request; 0005's trigger linked a row at a
  time, two updates and a trigger call each).
- SQLite (and any other database): at insert, in Python, after taking the database's write
  lock (SQLite serialises writers anyway).

Both use the same link formulas, so one verifier serves both:

- link version 2 (every row written since migration 0005): `row_hash = link_hash(previous_hash,
  content_hash)` = SHA-256 over the 128 ASCII bytes `previous_hash || content_hash` (both
  lower-case hex), in SQL `encode(sha256(convert_to(previous_hash || content_hash, 'UTF8')),
  'hex')`.
- link version 1 (rows chained before migration 0005, left as they were):
  `row_hash = link_hash_v1(values, previous_hash)` = SHA-256 over `previous_hash`, a newline
  and `canonical(values)`. Version-1 rows are marked `link_version = 1` and must all come
  before the first version-2 row.
"""

import hashlib
import ipaddress
import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

GENESIS_HASH = "0" * 64
# Any constant bigint, unique among this database's advisory locks.
CHAIN_LOCK_KEY = 0x617564_6974_6C6F67  # "auditlog"
# What the hash covers, in order. Changing this list or `_canonical` means a new version
# prefix (and a migration that rechains), or every older row stops verifying.
CANONICAL_VERSION = "audit-v1"
HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "patient_id",
    "detail",
    "ip_address",
    "user_agent",
)


def _normalise_json(value: Any) -> Any:
    """The detail as the database gives it back: PostgreSQL's jsonb turns an integral float
    such as 1e20 into an integer, so integral floats count as integers on both sides."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): _normalise_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise_json(item) for item in value]
    return value


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _key(value: Any) -> str | None:
    """A primary key (an integer or a UUID) as text."""
    return None if value is None else str(value)


def _address(value: str | None) -> str | None:
    return str(ipaddress.ip_address(value)) if value else None


def canonical(values: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: its content fields, as canonical JSON."""
    content = {
        "occurred_at": _timestamp(values["occurred_at"]),
        "actor_id": _key(values["actor_id"]),
        "actor_username": values["actor_username"] or "",
        "actor_role": values["actor_role"] or "",
        "action": values["action"],
        "patient_id": _key(values["patient_id"]),
        "detail": _normalise_json(values["detail"] or {}),
        "ip_address": _address(values["ip_address"]),
        "user_agent": values["user_agent"] or "",
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{CANONICAL_VERSION}\n{text}".encode()


def content_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of the event's canonical content, as lower-case hex."""
    return hashlib.sha256(canonical(values)).hexdigest()


def link_hash(previous_hash: str, content_hash: str) -> str:
    """A version-2 link: SHA-256 over `previous_hash || content_hash` (128 ASCII bytes), as
    the chaining trigger computes it on PostgreSQL."""
    return hashlib.sha256(f"{previous_hash}{content_hash}".encode("ascii")).hexdigest()


def link_hash_v1(values: Mapping[str, Any], previous_hash: str) -> str:
    """A version-1 link (rows chained before migration 0005): SHA-256 over `previous_hash`,
    a newline and the canonical content."""
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(values))
    return digest.hexdigest()


LINK_VERSION = 2  # what every new event is chained with
LINK_VERSIONS = (1, 2)


# --- PostgreSQL: chained at commit, a transaction's events at once (migration 0006) ---------
#
# - `audit_auditevent_chain`: AFTER INSERT ON audit_auditevent FOR EACH STATEMENT, with the
#   statement's new rows as a transition table, running `audit_event_chain()`. It refuses rows
#   that bring their own chain columns or lack a content_hash, and records the statement's
#   event ids as one row of `audit_chain_pending`, with the writing transaction's id. Nothing
#   is locked or linked yet.
# - `audit_chain_pending_queue` (AFTER INSERT) and `audit_chain_pending_link` (AFTER UPDATE)
#   are constraint triggers on `audit_chain_pending`, DEFERRABLE INITIALLY DEFERRED, both
#   running `audit_chain_link()`: one firing per audited statement, not per event. At commit
#   PostgreSQL runs deferred triggers in the order they were queued; the first pass only
#   queues the second by a no-op UPDATE of its pending row, so the linking runs after every
#   other deferred check the transaction queued (foreign-key checks take row locks and could
#   wait). The first second pass of the transaction takes the advisory lock, reads the head
#   and links all of the transaction's pending events in id order (a loop over them for the
#   SHA-256s, then one UPDATE); the later ones find their pending row gone and return.
#
# A rolled-back statement or savepoint takes its pending row with it, as it takes its events.
# Other transactions' pending rows are invisible until they commit, and each transaction
# deletes its own before its commit completes (the id filter is a second guard). The functions
# are SECURITY DEFINER, owned by the migration role: the application role may only INSERT and
# SELECT on the audit log and has no privilege at all on `audit_chain_pending` (migration 0006
# revokes what default privileges gave; `db_roles` revokes it again), yet its rows get chained.
# Their search_path is pg_catalog and pg_temp (last), and the tables are named through
# TG_TABLE_SCHEMA. The head is read after the lock with a fresh snapshot (READ COMMITTED,
# Django's default); a REPEATABLE READ or SERIALIZABLE writer would read a stale head, and then
# its commit fails on the unique chain_position instead of forking the chain.
PENDING_TABLE = """
CREATE TABLE audit_chain_pending (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id xid8 NOT NULL,
    event_ids bigint[] NOT NULL
);
-- Closed to every role but its owner, whatever default privileges granted on creation.
DO $$
DECLARE
    grantee regrole;
BEGIN
    FOR grantee IN
        SELECT DISTINCT acl.grantee::regrole
        FROM pg_class, aclexplode(pg_class.relacl) AS acl
        WHERE pg_class.oid = 'audit_chain_pending'::regclass
          AND acl.grantee NOT IN (0, pg_class.relowner)
    LOOP
        EXECUTE format('REVOKE ALL ON TABLE audit_chain_pending FROM %s', grantee);
    END LOOP;
END;
$$;
REVOKE ALL ON TABLE audit_chain_pending FROM PUBLIC;
"""
CHAIN_FUNCTION = (
    """
CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger AS $$
DECLARE
    refused bigint;
    event_ids bigint[];
BEGIN
    IF EXISTS (SELECT FROM inserted
               WHERE row_hash <> '' OR previous_hash <> '' OR chain_position IS NOT NULL
                  OR link_version <> LINK_VERSION) THEN
        RAISE EXCEPTION 'audit events are chained by the database: insert them unchained';
    END IF;
    SELECT min(id) INTO refused FROM inserted WHERE content_hash !~ '^[0-9a-f]{64}$';
    IF refused IS NOT NULL THEN
        RAISE EXCEPTION 'audit event % has no content_hash', refused;
    END IF;
    SELECT array_agg(id) INTO event_ids FROM inserted;
    IF event_ids IS NOT NULL THEN
        EXECUTE format('INSERT INTO %I.audit_chain_pending (transaction_id, event_ids) '
                       'VALUES (pg_current_xact_id(), $1)', TG_TABLE_SCHEMA) USING event_ids;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION audit_event_chain() FROM PUBLIC;
CREATE TRIGGER audit_auditevent_chain
    AFTER INSERT ON audit_auditevent
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_chain();

CREATE OR REPLACE FUNCTION audit_chain_link() RETURNS trigger AS $$
DECLARE
    pending_ids bigint[];
    head_position bigint;
    head_hash text;
    event record;
    event_ids bigint[] := '{}';
    positions bigint[] := '{}';
    previous_hashes text[] := '{}';
    row_hashes text[] := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Queue the linking (the UPDATE pass) behind everything queued so far.
        EXECUTE format('UPDATE %I.%I SET event_ids = event_ids WHERE id = $1',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME) USING NEW.id;
        RETURN NULL;
    END IF;
    -- All of this transaction's pending events, once: a later firing finds its row gone.
    EXECUTE format('WITH taken AS (DELETE FROM %I.%I WHERE transaction_id = pg_current_xact_id() '
                   'AND EXISTS (SELECT FROM %I.%I WHERE id = $1) RETURNING event_ids) '
                   'SELECT array_agg(event_id) FROM taken, unnest(taken.event_ids) AS event_id',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO pending_ids USING NEW.id;
    IF pending_ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- Held until the commit ends. A VOLATILE function takes a fresh snapshot for each
    -- statement, so the head read after the lock sees every row committed meanwhile.
    PERFORM pg_advisory_xact_lock(CHAIN_LOCK_KEY);
    EXECUTE format('SELECT chain_position, row_hash FROM %I.audit_auditevent '
                   'WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1',
                   TG_TABLE_SCHEMA)
        INTO head_position, head_hash;
    head_position := coalesce(head_position, 0);
    head_hash := coalesce(head_hash, 'GENESIS_HASH');
    -- SHA-256 links are sequential: one step a row, in id order, in this one call. (By id
    -- only: "chain_position IS NULL" in the query lets the planner walk that index's entries
    -- for the earlier versions of every row ever linked, dead until a vacuum.)
    FOR event IN EXECUTE format('SELECT id, content_hash, chain_position '
                                'FROM %I.audit_auditevent WHERE id = ANY($1) ORDER BY id',
                                TG_TABLE_SCHEMA) USING pending_ids LOOP
        CONTINUE WHEN event.chain_position IS NOT NULL;
        head_position := head_position + 1;
        event_ids := array_append(event_ids, event.id);
        positions := array_append(positions, head_position);
        previous_hashes := array_append(previous_hashes, head_hash);
        head_hash := encode(sha256(convert_to(head_hash || event.content_hash, 'UTF8')), 'hex');
        row_hashes := array_append(row_hashes, head_hash);
    END LOOP;
    EXECUTE format('UPDATE %I.audit_auditevent AS event SET chain_position = link.position, '
                   'previous_hash = link.previous_hash, row_hash = link.row_hash '
                   'FROM unnest($1, $2, $3, $4) AS link (id, position, previous_hash, row_hash) '
                   'WHERE event.id = link.id', TG_TABLE_SCHEMA)
        USING event_ids, positions, previous_hashes, row_hashes;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION audit_chain_link() FROM PUBLIC;
CREATE CONSTRAINT TRIGGER audit_chain_pending_queue
    AFTER INSERT ON audit_chain_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_chain_link();
CREATE CONSTRAINT TRIGGER audit_chain_pending_link
    AFTER UPDATE ON audit_chain_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_chain_link();
""".replace("CHAIN_LOCK_KEY", str(CHAIN_LOCK_KEY))
    .replace("GENESIS_HASH", GENESIS_HASH)
    .replace("LINK_VERSION", str(LINK_VERSION))
)
DROP_CHAIN_FUNCTION = """
DROP TRIGGER IF EXISTS audit_auditevent_chain ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_chain();
DROP TABLE IF EXISTS audit_chain_pending;
DROP FUNCTION IF EXISTS audit_chain_link();
"""

# The append-only trigger (migration 0002, replaced by 0005 and 0006): refuses every UPDATE and
# DELETE except the linking function's own update of a row not chained yet, which may set
# chain_position, previous_hash and row_hash (to the version-2 link) and change nothing else.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND pg_trigger_depth() > 1
       AND OLD.row_hash = '' AND OLD.previous_hash = '' AND OLD.chain_position IS NULL
       AND NEW.chain_position IS NOT NULL AND NEW.previous_hash ~ '^[0-9a-f]{64}$'
       AND NEW.row_hash
           = encode(sha256(convert_to(NEW.previous_hash || NEW.content_hash, 'UTF8')), 'hex')
       AND (to_jsonb(NEW) - 'chain_position' - 'previous_hash' - 'row_hash')
           = (to_jsonb(OLD) - 'chain_position' - 'previous_hash' - 'row_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp;
"""


# --- SQLite and others: chained at insert, in Python ---------------------------------------


def lock_and_read_head(connection: BaseDatabaseWrapper) -> tuple[int, str]:
    """Take the database's write lock (SQLite) until the current transaction ends, then read
    the head: (its chain_position, its row_hash); (0, the genesis hash) for an empty log. Call
    inside a transaction. Not for PostgreSQL, where the chaining trigger does this at commit."""
    head = (
        "SELECT chain_position, row_hash FROM audit_auditevent "
        "WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Rewriting the head with itself takes SQLite's write lock now (even when there is
            # no row), so no other connection can read the same head meanwhile.
            rewrite_head = (
                "UPDATE audit_auditevent SET id = id WHERE chain_position = "
                "(SELECT max(chain_position) FROM audit_auditevent)"
            )
            if sqlite3.sqlite_version_info >= (3, 35):  # the module Django's SQLite wrapper uses
                cursor.execute(f"{rewrite_head} RETURNING chain_position, row_hash")
            else:  # no RETURNING before SQLite 3.35: lock, then read
                cursor.execute(rewrite_head)
                cursor.execute(head)
        else:
            cursor.execute(head)
        found = cursor.fetchone()
    if found is None or found[0] is None:
        return 0, GENESIS_HASH
    return int(found[0]), found[1]

"""The audit log's hash chain: each event has a place in the chain (`chain_position`, 1, 2,
3, ...), its `content_hash` (SHA-256 of its canonical content) and a `row_hash` that covers the
previous event's `row_hash` and its own content, so changing, removing or inserting a row
anywhere but at the end breaks every link after it. `python manage.py audit_verify` walks it.

Where the link is made:

- PostgreSQL: at commit. Python computes only `content_hash` at insert and takes no lock. A
  deferred constraint trigger (migration 0005, `CHAIN_FUNCTION` below) runs when the writing
  transaction commits: it takes a transaction-level advisory lock, reads the head (the row
  with the highest `chain_position`) and gives its own row the next position, `previous_hash`
  and `row_hash`. The lock is held only from there to the end of the commit, after every
  other deferred check of the transaction has run, so the transaction waits for nothing else
  while holding it: audited requests are not serialised, and the lock is never part of a
  deadlock (the old design took it at insert and held it for the rest of the request).
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


# --- PostgreSQL: chained at commit (migration 0005 creates these) --------------------------
#
# `audit_auditevent_chain` (AFTER INSERT) and `audit_auditevent_chain_link` (AFTER UPDATE of a
# row not yet chained) are constraint triggers, DEFERRABLE INITIALLY DEFERRED, both running
# `audit_event_chain()`. At commit PostgreSQL runs the deferred triggers in the order they were
# queued; the first pass (INSERT) only checks the new row and queues the second by a no-op
# UPDATE of it, so the second pass (the chaining) runs after every other deferred check the
# transaction queued (foreign-key checks take row locks and could wait). The function is
# SECURITY DEFINER, owned by the migration role: the application role may only INSERT and
# SELECT on the table, yet its rows get chained. Its search_path is pg_catalog and pg_temp
# (last), and the table is named through TG_TABLE_SCHEMA / TG_TABLE_NAME. The head is read
# after the lock with a fresh snapshot (READ COMMITTED, Django's default); a REPEATABLE READ
# or SERIALIZABLE writer would read a stale head, and then its commit fails on the unique
# chain_position instead of forking the chain.
CHAIN_FUNCTION = (
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
""".replace("CHAIN_LOCK_KEY", str(CHAIN_LOCK_KEY))
    .replace("GENESIS_HASH", GENESIS_HASH)
    .replace("LINK_VERSION", str(LINK_VERSION))
)
DROP_CHAIN_FUNCTION = """
DROP TRIGGER IF EXISTS audit_auditevent_chain_link ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_chain ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_chain();
"""

# The append-only trigger (migration 0002, replaced by 0005): refuses every UPDATE and DELETE
# except the chaining trigger's own updates of a row not chained yet, which may change
# chain_position, previous_hash and row_hash (to the version-2 link) and nothing else.
APPEND_ONLY_FUNCTION = """
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

"""The audit log's hash chain: each event's `row_hash` is SHA-256 over its content and the
previous event's `row_hash`, so changing, removing or inserting a row anywhere but at the end
breaks every link after it. `python manage.py audit_verify` walks it.

Events are chained in `id` order. Writers are serialised (on PostgreSQL by a transaction-level
advisory lock, held until the writing transaction ends; on SQLite by taking the database's
write lock as the head is read), so two transactions never link to the same head.
"""

import hashlib
import ipaddress
import json
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


def row_hash(values: Mapping[str, Any], previous_hash: str) -> str:
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(values))
    return digest.hexdigest()


# On PostgreSQL one call takes the lock and reads the head (migration 0003 creates it). A
# VOLATILE PL/pgSQL function takes a fresh snapshot for each statement in it, so the read
# after the lock sees every event committed while this transaction waited for it.
HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_chain_lock_head() RETURNS text AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(CHAIN_LOCK_KEY);
    RETURN (SELECT row_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1);
END;
$$ LANGUAGE plpgsql VOLATILE;
""".replace("CHAIN_LOCK_KEY", str(CHAIN_LOCK_KEY))
DROP_HEAD_FUNCTION = "DROP FUNCTION IF EXISTS audit_chain_lock_head();"


def lock_and_read_head(connection: BaseDatabaseWrapper) -> str:
    """Take the chain lock until the current transaction ends, then read the last event's
    row_hash (one statement, one read down the primary key); the genesis hash for an empty
    log. Call inside a transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT audit_chain_lock_head()")
        elif connection.vendor == "sqlite":
            # Rewriting the last row with itself takes SQLite's write lock now (even when
            # there is no row), so no other connection can read the same head meanwhile.
            rewrite_last = (
                "UPDATE audit_auditevent SET id = id "
                "WHERE id = (SELECT max(id) FROM audit_auditevent)"
            )
            if connection.Database.sqlite_version_info >= (3, 35):
                cursor.execute(f"{rewrite_last} RETURNING row_hash")
            else:  # no RETURNING before SQLite 3.35: lock, then read
                cursor.execute(rewrite_last)
                cursor.execute("SELECT row_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        else:
            cursor.execute("SELECT row_hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        found = cursor.fetchone()
    return found[0] if found is not None and found[0] is not None else GENESIS_HASH

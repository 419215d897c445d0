"""Time-ordered ids: UUID version 7 (RFC 9562, section 5.7), a 48-bit Unix time in
milliseconds followed by random bits.

Why: the dose ledger is written a day at a time (each new day of every plan, by the horizon
extension) and changed a day at a time (the missed sweep marks a day's doses, the reminder
claim moves a minute's). With random (version 4) ids, each of those rows has its primary-key
entry on a different index page, and an UPDATE writes a new entry beside the old one: the
sweep of 66,667 rows touched about as many pages of the primary key, each written whole to
the WAL after a checkpoint. Rows made together get ids that sort together, so the same sweep
touches a few hundred (docs/performance.md, docs/adr/0003). The ids still carry 74 random
bits, so they are no easier to guess than a version 4 id is to enumerate in practice; they do
reveal when a row was made, which for a ledger row (whose due date is in it anyway) says
nothing new.
"""

import uuid

from uuid_utils.compat import uuid7

# The same id made by PostgreSQL (15 has no uuidv7()), for rows written by SQL: a version 4
# id from gen_random_uuid() with its first 48 bits replaced by the time in milliseconds and
# its version nibble set from 4 (0100) to 7 (0111) by setting bits 52 and 53 (set_bit counts
# from the least significant bit of each byte: byte 6, bits 4 and 5). The variant bits (10)
# are gen_random_uuid()'s. Installed by migration common 0002 as time_ordered_uuid().
TIME_ORDERED_UUID_FUNCTION = """
CREATE OR REPLACE FUNCTION time_ordered_uuid() RETURNS uuid AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp())
                                                     * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$ LANGUAGE sql VOLATILE PARALLEL SAFE;
"""
DROP_TIME_ORDERED_UUID_FUNCTION = "DROP FUNCTION IF EXISTS time_ordered_uuid();"


def time_ordered_uuid() -> uuid.UUID:
    """A new version 7 id; ids made later in this process sort after it."""
    return uuid7()


def made_at_milliseconds(value: uuid.UUID) -> int:
    """The Unix time in milliseconds a version 7 id carries."""
    return value.int >> 80

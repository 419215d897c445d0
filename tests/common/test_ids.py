"""Time-ordered ids (backend/common/ids.py): Python's and PostgreSQL's are both version 7,
RFC variant, carry the time they were made, and ids made later sort after earlier ones."""

import time
import uuid

import pytest
from django.db import connection

from backend.common.ids import made_at_milliseconds, time_ordered_uuid


def test_python_ids_are_version_7_in_the_order_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    ids = [time_ordered_uuid() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert before <= made_at_milliseconds(ids[0]) <= made_at_milliseconds(ids[-1]) <= after


@pytest.mark.django_db
def test_postgresql_ids_are_version_7_with_the_database_clock() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("time_ordered_uuid() is PostgreSQL's (migration common 0002)")
    clock = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {clock}")
        started = cursor.fetchone()[0]
        cursor.execute("SELECT time_ordered_uuid() FROM generate_series(1, 5000)")
        ids = [value for (value,) in cursor.fetchall()]
        cursor.execute("SELECT pg_sleep(0.002)")  # the next id in a later millisecond
        cursor.execute(f"SELECT time_ordered_uuid(), {clock}")
        later, ended = cursor.fetchone()
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in ids)
    assert len(set(ids)) == len(ids)
    # The time in each id is the database's clock while the statement ran.
    assert all(started <= made_at_milliseconds(value) <= ended for value in ids)
    # An id from a later millisecond sorts after every earlier one; within one millisecond
    # the random bits decide, which keeps them on the same index pages all the same.
    assert later > max(ids)
    # The random part is random: not two ids of the 5,000 share their last 62 bits.
    assert len({value.int & ((1 << 62) - 1) for value in ids}) == len(ids)

"""The audit log's hash chain: written with every event, verified by `audit_verify`, broken
by any change behind the application's back; TRUNCATE refused on PostgreSQL."""

import itertools
import threading
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from backend.audit import chain
from backend.audit.models import AuditEvent
from backend.audit.services import audit_record, audit_record_patient_reads

pytestmark = pytest.mark.django_db

TRIGGER = "audit_auditevent_append_only"


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def behind_the_apps_back(sql: str, params: list | None = None) -> None:  # type: ignore[type-arg]
    """Raw SQL as the database superuser (the test's role), the append-only trigger off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign-key checks of the test's own inserts are deferred; ALTER TABLE needs
            # them done first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def write_some(nurse, patient) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    audit_record(actor=nurse, action="patient.view", patient=patient, detail={"page": 1})
    audit_record_patient_reads(actor=nurse, patients=[patient, patient], action="patient.list")
    audit_record(
        actor=None,
        action="system.check",
        detail={"n": 1.0, "big": 1e20, "text": "Zoë\n", "nested": {"b": [1, 2], "a": None}},
    )
    audit_record(actor=nurse, action="patient.view", patient=patient)
    return list(AuditEvent.objects.order_by("id"))


def test_every_event_links_to_the_one_before(nurse, patient):  # type: ignore[no-untyped-def]
    events = write_some(nurse, patient)
    assert events[0].previous_hash == chain.GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.row_hash
        assert len(after.row_hash) == 64
    assert verify().startswith("5 rows, chain intact")


def test_an_empty_log_is_intact() -> None:
    assert verify().strip() == "0 rows, chain intact"


def test_the_hash_is_taken_over_what_the_database_gives_back(nurse, patient):  # type: ignore[no-untyped-def]
    event = audit_record(actor=nurse, action="x", patient=patient, detail={"f": 2.0}, request=None)
    stored = AuditEvent.objects.values(*chain.HASHED_FIELDS).get(pk=event.pk)
    assert chain.row_hash(stored, event.previous_hash) == event.row_hash


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "patient.nothing_to_see"),
        ("actor_username", "someone-else"),
        ("detail", '{"page": 2}'),
        ("row_hash", "f" * 64),
    ],
)
def test_a_row_changed_behind_the_apps_back_is_found_at_that_row(nurse, patient, column, value):  # type: ignore[no-untyped-def]
    events = write_some(nurse, patient)
    target = events[2] if column != "detail" else events[0]
    behind_the_apps_back(
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608
        [value, target.pk],
    )
    with pytest.raises(CommandError, match=rf"chain broken at row {target.pk}:") as raised:
        verify()
    assert raised.value.returncode == 1
    if column == "row_hash":
        assert "does not match its row_hash" in str(raised.value)


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(nurse, patient):  # type: ignore[no-untyped-def]
    events = write_some(nurse, patient)
    target = events[1]
    values = AuditEvent.objects.values(*chain.HASHED_FIELDS).get(pk=target.pk)
    values["action"] = "patient.nothing_to_see"
    forged = chain.row_hash(values, target.previous_hash)
    behind_the_apps_back(
        "UPDATE audit_auditevent SET action = %s, row_hash = %s WHERE id = %s",
        ["patient.nothing_to_see", forged, target.pk],
    )
    with pytest.raises(CommandError, match=rf"row {events[2].pk}: previous_hash"):
        verify()


def test_a_deleted_row_is_found_at_the_row_after_it(nurse, patient):  # type: ignore[no-untyped-def]
    events = write_some(nurse, patient)
    behind_the_apps_back("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError) as raised:
        verify()
    message = str(raised.value)
    assert f"row {events[3].pk}: previous_hash" in message
    assert f"row {events[1].pk}" in message and "deleted" in message


def test_a_row_inserted_without_the_chain_is_found(nurse, patient):  # type: ignore[no-untyped-def]
    write_some(nurse, patient)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_username, actor_role, action, "
            "detail, user_agent, previous_hash, row_hash) "
            "VALUES (%s, '', '', 'forged', '{}', '', '', '')",
            [AuditEvent.objects.order_by("-id").first().occurred_at],  # type: ignore[union-attr]
        )
    forged = AuditEvent.objects.get(action="forged")
    with pytest.raises(CommandError, match=rf"row {forged.pk}: previous_hash"):
        verify()


def test_the_migration_chains_rows_written_before_it(nurse, patient):  # type: ignore[no-untyped-def]
    from importlib import import_module

    from django.apps import apps

    migration = import_module("backend.audit.migrations.0003_hash_chain")

    events = write_some(nurse, patient)
    behind_the_apps_back("UPDATE audit_auditevent SET previous_hash = '', row_hash = ''")
    with pytest.raises(CommandError):
        verify()

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    if connection.vendor == "postgresql":
        execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in a real migrate: nothing pending
    migration.fill_chain(apps, SimpleNamespace(connection=connection, execute=execute))
    assert verify().startswith(f"{len(events)} rows, chain intact")
    refilled = list(AuditEvent.objects.order_by("id").values_list("row_hash", flat=True))
    assert refilled == [event.row_hash for event in events]


@pytest.mark.postgres
def test_truncate_is_refused_on_postgres(nurse, patient):  # type: ignore[no-untyped-def]
    audit_record(actor=nurse, action="patient.view", patient=patient)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's inserts, checked now
    for statement in (
        "TRUNCATE audit_auditevent",
        "TRUNCATE accounts_user, accounts_patient, audit_auditevent CASCADE",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    # Not even the owner, unless it says so in the session (only the test suite's flush does).
    assert AuditEvent.objects.count() == 1
    assert verify().startswith("1 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(nurse, patient):  # type: ignore[no-untyped-def]
    from django.db import connections

    threads, each = 6, 15
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with transaction.atomic():
                    if i % 3 == 0:
                        audit_record_patient_reads(
                            actor=nurse, patients=[patient, patient], action="patient.list"
                        )
                    else:
                        audit_record(actor=nurse, action=f"t{number}.{i}", patient=patient)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    expected = threads * (each + each // 3)
    assert AuditEvent.objects.count() == expected
    previous = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(set(previous)) == len(previous)  # no two rows follow the same row: no fork
    assert verify().startswith(f"{expected} rows, chain intact")

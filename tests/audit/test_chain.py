"""The audit log's hash chain: every event gets its place, verified by `audit_verify`, broken
by any change behind the application's back; TRUNCATE refused on PostgreSQL.

On PostgreSQL events are chained when their transaction commits (a deferred trigger). Tests
inside the test's transaction run the pending chaining with `chain_now()` (SET CONSTRAINTS
... IMMEDIATE runs deferred triggers as a commit would); the `transaction=True` tests at the
end commit for real."""

import hashlib
import itertools
import json
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
# The trigger that records each INSERT's events for chaining at commit (none: never chained).
CHAIN_TRIGGERS = ("audit_auditevent_chain",)


def chain_now() -> None:
    """PostgreSQL: chain the events this transaction wrote so far, as its commit would."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def in_chain_order() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("chain_position"))


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def behind_the_apps_back(sql: str, params: list | None = None) -> None:
    """Raw SQL as the database superuser (the test's role), the append-only and chaining
    triggers off."""
    triggers = (TRIGGER, *CHAIN_TRIGGERS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign-key checks and the chaining of the test's own inserts are deferred;
            # ALTER TABLE needs them done first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for trigger in triggers:
                cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {trigger}")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            for trigger in triggers:
                cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {trigger}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def write_some(nurse, patient) -> list[AuditEvent]:
    audit_record(actor=nurse, action="patient.view", patient=patient, detail={"page": 1})
    audit_record_patient_reads(actor=nurse, patients=[patient, patient], action="patient.list")
    audit_record(
        actor=None,
        action="system.check",
        detail={"n": 1.0, "big": 1e20, "text": "Zoë\n", "nested": {"b": [1, 2], "a": None}},
    )
    audit_record(actor=nurse, action="patient.view", patient=patient)
    chain_now()
    return in_chain_order()


def test_every_event_links_to_the_one_before(nurse, patient):
    events = write_some(nurse, patient)
    assert [event.chain_position for event in events] == [1, 2, 3, 4, 5]
    assert [event.pk for event in events] == sorted(event.pk for event in events)
    assert events[0].previous_hash == chain.GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.row_hash
    for event in events:
        assert event.link_version == 2
        assert event.row_hash == chain.link_hash(event.previous_hash, event.content_hash)
    assert verify().startswith("5 rows, chain intact")


def test_the_link_hash_is_sha256_of_the_two_hex_hashes() -> None:
    previous, content = "a" * 64, "b" * 64
    assert chain.link_hash(previous, content) == hashlib.sha256(b"a" * 64 + b"b" * 64).hexdigest()
    if connection.vendor == "postgresql":  # the trigger's formula gives the same
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT encode(sha256(convert_to(%s || %s, 'UTF8')), 'hex')", [previous, content]
            )
            assert cursor.fetchone()[0] == chain.link_hash(previous, content)


def test_an_empty_log_is_intact() -> None:
    assert verify().strip() == "0 rows, chain intact"


def test_the_hash_is_taken_over_what_the_database_gives_back(nurse, patient):
    event = audit_record(actor=nurse, action="x", patient=patient, detail={"f": 2.0})
    chain_now()
    stored = AuditEvent.objects.values(*chain.HASHED_FIELDS).get(pk=event.pk)
    assert chain.content_hash(stored) == event.content_hash
    event.refresh_from_db()
    assert event.row_hash == chain.link_hash(event.previous_hash, event.content_hash)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "patient.nothing_to_see"),
        ("actor_username", "someone-else"),
        ("detail", '{"page": 2}'),
        ("content_hash", "e" * 64),
        ("row_hash", "f" * 64),
        ("chain_position", 99),
        ("link_version", 1),
    ],
)
def test_a_row_changed_behind_the_apps_back_is_found_at_that_row(nurse, patient, column, value):
    events = write_some(nurse, patient)
    # A moved position shows where the row lands: moving the last row leaves a gap.
    target = {"detail": events[0], "chain_position": events[-1]}.get(column, events[2])
    behind_the_apps_back(
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608
        [value, target.pk],
    )
    with pytest.raises(CommandError, match=rf"chain broken at row {target.pk}:") as raised:
        verify()
    assert raised.value.returncode == 1
    if column == "row_hash":
        assert "does not match its row_hash" in str(raised.value)
    if column == "chain_position":
        assert "positions run 1, 2, 3" in str(raised.value)


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(nurse, patient):
    events = write_some(nurse, patient)
    target = events[1]
    values = AuditEvent.objects.values(*chain.HASHED_FIELDS).get(pk=target.pk)
    values["action"] = "patient.nothing_to_see"
    content = chain.content_hash(values)
    forged = chain.link_hash(target.previous_hash, content)
    behind_the_apps_back(
        "UPDATE audit_auditevent SET action = %s, content_hash = %s, row_hash = %s WHERE id = %s",
        ["patient.nothing_to_see", content, forged, target.pk],
    )
    with pytest.raises(CommandError, match=rf"row {events[2].pk}: previous_hash"):
        verify()


def test_a_deleted_row_is_found_at_the_row_after_it(nurse, patient):
    events = write_some(nurse, patient)
    behind_the_apps_back("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError) as raised:
        verify()
    message = str(raised.value)
    assert f"row {events[3].pk}: previous_hash" in message
    assert f"row {events[1].pk}" in message and "deleted" in message


def test_a_row_inserted_without_the_chain_is_found(nurse, patient):
    """On SQLite a raw INSERT skips the chain; on PostgreSQL only with the triggers off."""
    write_some(nurse, patient)
    behind_the_apps_back(
        "INSERT INTO audit_auditevent (occurred_at, actor_username, actor_role, action, "
        "detail, user_agent, previous_hash, row_hash) "
        "VALUES (%s, '', '', 'forged', '{}', '', '', '')",
        [AuditEvent.objects.order_by("-id").first().occurred_at],
    )
    forged = AuditEvent.objects.get(action="forged")
    with pytest.raises(CommandError, match=rf"row {forged.pk}: 1 rows not chained") as raised:
        verify()
    assert "the 5 chained rows are intact" in str(raised.value)


def test_a_row_slipped_in_at_the_end_with_made_up_hashes_is_found(nurse, patient):
    events = write_some(nurse, patient)
    behind_the_apps_back(
        "INSERT INTO audit_auditevent (occurred_at, actor_username, actor_role, action, "
        "detail, user_agent, content_hash, chain_position, previous_hash, row_hash) "
        "VALUES (%s, '', '', 'forged', '{}', '', %s, 6, %s, %s)",
        [events[-1].occurred_at, "c" * 64, events[-1].row_hash, "d" * 64],
    )
    forged = AuditEvent.objects.get(action="forged")
    with pytest.raises(CommandError, match=rf"row {forged.pk}: its content does not match"):
        verify()


@pytest.mark.postgres
def test_a_raw_insert_is_chained_like_any_other_and_may_not_bring_its_own_hashes(nurse, patient):
    write_some(nurse, patient)
    values = {
        **AuditEvent.objects.values(*chain.HASHED_FIELDS).get(chain_position=1),
        "action": "raw",
    }
    insert = (
        "INSERT INTO audit_auditevent (occurred_at, actor_id, actor_username, actor_role, "
        "action, patient_id, detail, ip_address, user_agent, content_hash, previous_hash, "
        "row_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    content = [values[name] for name in chain.HASHED_FIELDS]
    content[chain.HASHED_FIELDS.index("detail")] = json.dumps(values["detail"])
    refused = r"chained by the database|no content_hash"
    with connection.cursor() as cursor:
        # Pre-chained, or without its content_hash: refused (at the end of the INSERT).
        for hashes in (["a" * 64, "b" * 64, "c" * 64], ["", "", ""]):
            with pytest.raises(DatabaseError, match=refused), transaction.atomic():
                cursor.execute(insert, [*content, *hashes])
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Unchained, with its content_hash: chained like any other.
        cursor.execute(insert, [*content, chain.content_hash(values), "", ""])
    with pytest.raises(CommandError, match="1 rows not chained"):
        verify()  # not yet: this transaction has not committed
    chain_now()
    assert AuditEvent.objects.get(action="raw").chain_position == 6
    assert verify().startswith("6 rows, chain intact")


@pytest.mark.postgres
def test_only_the_chaining_trigger_may_update_and_only_the_chain_columns(nurse, patient):
    """Even as the owner, with the triggers on: no UPDATE of a chained or unchained row."""
    write_some(nurse, patient)
    pending = audit_record(actor=nurse, action="patient.view", patient=patient)
    chained = AuditEvent.objects.get(chain_position=1)
    for statement, target in (
        ("UPDATE audit_auditevent SET row_hash = row_hash WHERE id = %s", pending),
        ("UPDATE audit_auditevent SET row_hash = repeat('0', 64) WHERE id = %s", pending),
        ("UPDATE audit_auditevent SET chain_position = 6 WHERE id = %s", pending),
        ("UPDATE audit_auditevent SET row_hash = '' WHERE id = %s", chained),
        (
            "UPDATE audit_auditevent SET chain_position = NULL, previous_hash = '', "
            "row_hash = '' WHERE id = %s",
            chained,
        ),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [target.pk])
    chain_now()
    assert verify().startswith("6 rows, chain intact")


def test_the_migration_places_rows_chained_before_it_without_rewriting_them(nurse, patient):
    """Rows chained by the old code (migration 0003's formula, in id order) get their place
    and content_hash from migration 0005 and keep their hashes; new rows follow them."""
    from importlib import import_module

    from django.apps import apps

    chained_by_0003 = import_module("backend.audit.migrations.0003_hash_chain")
    placed_by_0005 = import_module("backend.audit.migrations.0005_commit_time_chain")

    events = write_some(nurse, patient)
    # As before 0005: no place, no content_hash, the old chain's hashes.
    behind_the_apps_back(
        "UPDATE audit_auditevent SET previous_hash = '', row_hash = '', chain_position = NULL, "
        "content_hash = '', link_version = 2"
    )

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    postgres = connection.vendor == "postgresql"
    if postgres:
        execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in a real migrate: nothing pending
    editor = SimpleNamespace(connection=connection, execute=execute)
    chained_by_0003.fill_chain(apps, editor)
    old = list(AuditEvent.objects.order_by("id").values_list("id", "previous_hash", "row_hash"))
    assert old[0][1] == chain.GENESIS_HASH
    with pytest.raises(CommandError, match="rows not chained"):
        verify()

    placed_by_0005.place_existing_rows(apps, editor)
    placed = list(AuditEvent.objects.order_by("id"))
    assert [(e.pk, e.previous_hash, e.row_hash) for e in placed] == old  # history untouched
    assert [e.chain_position for e in placed] == [1, 2, 3, 4, 5]
    assert {e.link_version for e in placed} == {1}
    assert [e.content_hash for e in placed] == [e.content_hash for e in events]
    assert verify().startswith(f"{len(events)} rows, chain intact")

    if postgres:
        execute("SET CONSTRAINTS ALL DEFERRED")
    audit_record(actor=nurse, action="after.the.migration", patient=patient)
    chain_now()
    new = AuditEvent.objects.get(action="after.the.migration")
    assert (new.chain_position, new.previous_hash, new.link_version) == (6, old[-1][2], 2)
    assert verify().startswith("6 rows, chain intact")

    # Version 1 only before version 2: a row "downgraded" after the first new one is found.
    behind_the_apps_back("UPDATE audit_auditevent SET link_version = 2 WHERE chain_position = 5")
    with pytest.raises(CommandError, match=r"row \d+: its content does not match its row_hash"):
        verify()


@pytest.mark.postgres
def test_truncate_is_refused_on_postgres(nurse, patient):
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


# --- PostgreSQL, committing for real: chained at commit ---------------------------------------


def in_thread(*targets):
    """Run each target in its own thread (its own connection); the errors they raised."""
    from django.db import connections

    errors: list[BaseException] = []

    def run(target) -> None:
        try:
            target()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


def stored(**filters):
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("id")
        .values_list("chain_position", "previous_hash", "row_hash")
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_written_in_one_transaction_are_chained_at_its_commit_in_order(nurse, patient):
    with transaction.atomic():
        audit_record(actor=nurse, action="first", patient=patient)
        audit_record_patient_reads(actor=nurse, patients=[patient] * 3, action="patient.list")
        audit_record(actor=nurse, action="last", patient=patient)
        # Inside the transaction: content_hash only, no place yet, no lock taken.
        assert stored() == [(None, "", "")] * 5
        assert all(len(h) == 64 for h in AuditEvent.objects.values_list("content_hash", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            assert cursor.fetchone()[0] == 0
    rows = stored()
    assert [position for position, _, _ in rows] == [1, 2, 3, 4, 5]  # id order = write order
    assert rows[0][1] == chain.GENESIS_HASH
    assert all(after[1] == before[2] for before, after in itertools.pairwise(rows))
    assert verify().startswith("5 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_or_savepoint_leaves_no_gap(nurse, patient):
    audit_record(actor=nurse, action="kept.1", patient=patient)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=nurse, action="lost", patient=patient)
        audit_record(actor=nurse, action="lost", patient=patient)
        raise RuntimeError
    with transaction.atomic():
        audit_record(actor=nurse, action="kept.2", patient=patient)
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint
            audit_record(actor=nurse, action="lost", patient=patient)
            raise RuntimeError
        audit_record(actor=nurse, action="kept.3", patient=patient)
    audit_record(actor=nurse, action="kept.4", patient=patient)
    events = list(AuditEvent.objects.order_by("chain_position"))
    assert [(e.chain_position, e.action) for e in events] == [
        (1, "kept.1"),
        (2, "kept.2"),
        (3, "kept.3"),
        (4, "kept.4"),
    ]
    assert verify().startswith("4 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_chain_runs_in_commit_order_not_id_order(nurse, patient):
    written, committed = threading.Event(), threading.Event()

    def slow() -> None:
        with transaction.atomic():
            audit_record(actor=nurse, action="written.first", patient=patient)
            written.set()
            assert committed.wait(10)

    def fast() -> None:
        assert written.wait(10)
        audit_record(actor=nurse, action="committed.first", patient=patient)
        committed.set()

    assert not in_thread(slow, fast)
    events = list(AuditEvent.objects.order_by("chain_position"))
    assert [e.action for e in events] == ["committed.first", "written.first"]
    assert events[0].pk > events[1].pk
    assert verify().startswith("2 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(nurse, patient):
    threads, each = 8, 25
    start = threading.Barrier(threads)

    def writer(number: int):
        def write() -> None:
            start.wait()
            for i in range(each):
                with transaction.atomic():
                    if i % 5 == 0:
                        audit_record_patient_reads(
                            actor=nurse, patients=[patient, patient], action="patient.list"
                        )
                    else:
                        audit_record(actor=nurse, action=f"t{number}.{i}", patient=patient)

        return write

    assert not in_thread(*(writer(n) for n in range(threads)))
    expected = threads * (each + each // 5)
    assert AuditEvent.objects.count() == expected
    previous = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(set(previous)) == len(previous)  # no two rows follow the same row: no fork
    positions = sorted(AuditEvent.objects.values_list("chain_position", flat=True))
    assert positions == list(range(1, expected + 1))
    assert verify().startswith(f"{expected} rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_row_lock_then_audit_and_audit_then_row_lock_both_commit(nurse, patient):
    """The old design deadlocked here: the second transaction held the chain lock from its
    audit on, then waited for the first one's row lock, which waited for the chain lock."""
    from backend.accounts.models import Patient

    step = threading.Barrier(2)

    def lock_then_audit() -> None:
        with transaction.atomic():
            Patient.objects.select_for_update().get(pk=patient.pk)
            step.wait(10)  # 1: the row is locked
            step.wait(10)  # 2: the other one has audited
            audit_record(actor=nurse, action="locked.then.audited", patient=patient)

    def audit_then_lock() -> None:
        with transaction.atomic():
            step.wait(10)
            audit_record(actor=nurse, action="audited.then.locked", patient=patient)
            step.wait(10)
            Patient.objects.select_for_update().get(pk=patient.pk)  # waits for the other

    assert not in_thread(lock_then_audit, audit_then_lock)
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == [
        "audited.then.locked",
        "locked.then.audited",
    ]
    assert verify().startswith("2 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_chain_lock_is_taken_after_the_commits_foreign_key_checks(nurse, care_team):
    """A transaction's deferred foreign-key checks run at its commit and take row locks; the
    chain lock is taken only after them. Otherwise: A takes the chain lock for its first row,
    then its second row's check waits for patient 2, locked by B, which waits at its commit
    for the chain lock: a deadlock."""
    from backend.accounts.models import Patient
    from tests.factories.accounts import activated_patient

    first, second = (activated_patient(care_team=care_team) for _ in range(2))
    locked, committing = threading.Event(), threading.Event()

    def lock_audit_commit() -> None:  # B
        with transaction.atomic():
            Patient.objects.select_for_update().get(pk=second.pk)
            audit_record(actor=nurse, action="b", patient=second)
            locked.set()
            assert committing.wait(10)
            with connection.cursor() as cursor:  # until A's commit waits for the row lock
                for _ in range(100):
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                    if cursor.fetchone()[0]:
                        break
                    threading.Event().wait(0.05)

    def audit_both_commit() -> None:  # A
        assert locked.wait(10)
        with transaction.atomic():
            audit_record_patient_reads(actor=nurse, patients=[first, second], action="a")
            committing.set()

    assert not in_thread(lock_audit_commit, audit_both_commit)
    assert AuditEvent.objects.count() == 3
    assert verify().startswith("3 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_committed_rows_changed_by_the_superuser_are_found(nurse, patient):
    for n in range(4):
        audit_record(actor=nurse, action=f"n{n}", patient=patient)
    target = AuditEvent.objects.get(chain_position=3)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        cursor.execute("UPDATE audit_auditevent SET action = 'n9' WHERE id = %s", [target.pk])
        cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
    with pytest.raises(CommandError, match=rf"chain broken at row {target.pk}: its content"):
        verify()


# --- A transaction's events linked in one pass (migration 0006) -------------------------------


def trigger_calls() -> dict[str, int]:
    """Calls of the chain's PL/pgSQL functions counted by this backend's statistics (not yet
    sent: they include earlier transactions', so tests compare before and after)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions "
            "WHERE funcname IN ('audit_event_chain', 'audit_chain_link')"
        )
        calls = dict(cursor.fetchall())
    return {name: calls.get(name, 0) for name in ("audit_event_chain", "audit_chain_link")}


def pending_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_chain_pending")
        return cursor.fetchone()[0]


def updates_of_the_log() -> int:
    """Row updates of audit_auditevent counted by this backend's statistics (the triggers'
    included; as trigger_calls, compare before and after)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'audit_auditevent'"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_transactions_events_are_linked_in_one_pass_not_a_row_at_a_time(nurse, patient):
    """A thousand events in three statements: a trigger call a statement to record them, at
    most two a statement at commit (the first second pass links them all), and one update of
    each event."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
    calls, updates = trigger_calls(), updates_of_the_log()
    audit_record(actor=nurse, action="first", patient=patient)
    audit_record_patient_reads(actor=nurse, patients=[patient] * 998, action="export.included")
    audit_record(actor=nurse, action="last", patient=patient)
    assert stored(chain_position__isnull=False) == []
    recorded = trigger_calls()
    assert recorded["audit_event_chain"] - calls["audit_event_chain"] == 3
    assert recorded["audit_chain_link"] == calls["audit_chain_link"]
    chain_now()
    linked = trigger_calls()
    assert linked["audit_event_chain"] - calls["audit_event_chain"] == 3
    assert 1 < linked["audit_chain_link"] - calls["audit_chain_link"] <= 6
    assert updates_of_the_log() - updates == 1000
    events = in_chain_order()
    assert [event.chain_position for event in events] == list(range(1, 1001))
    assert [event.pk for event in events] == sorted(event.pk for event in events)
    assert (events[0].action, events[-1].action) == ("first", "last")
    assert verify().startswith("1000 rows, chain intact")


@pytest.mark.postgres
def test_events_written_after_a_link_are_linked_at_the_next_one(nurse, patient):
    """SET CONSTRAINTS ... IMMEDIATE links what is pending; what comes later waits for the
    commit (or the next such statement), and follows on."""
    audit_record_patient_reads(actor=nurse, patients=[patient] * 3, action="patient.list")
    chain_now()
    audit_record_patient_reads(actor=nurse, patients=[patient] * 3, action="patient.list")
    assert stored(chain_position__isnull=True) == [(None, "", "")] * 3
    chain_now()
    assert [event.chain_position for event in in_chain_order()] == [1, 2, 3, 4, 5, 6]
    assert verify().startswith("6 rows, chain intact")


@pytest.mark.postgres
def test_nothing_is_left_pending_and_a_row_inserted_past_the_chain_is_not_swept_in(nurse, patient):
    """The linking takes only its own transaction's events: a row slipped in with the
    recording trigger off stays unchained (audit_verify reports it) though later events
    of the same transaction are linked."""
    write_some(nurse, patient)
    behind_the_apps_back(
        "INSERT INTO audit_auditevent (occurred_at, actor_username, actor_role, action, "
        "detail, user_agent, content_hash, previous_hash, row_hash) "
        "VALUES (now(), '', '', 'forged', '{}', '', %s, '', '')",
        ["c" * 64],
    )
    audit_record(actor=nurse, action="after", patient=patient)
    chain_now()
    assert AuditEvent.objects.get(action="forged").chain_position is None
    assert AuditEvent.objects.get(action="after").chain_position == 6
    assert pending_rows() == 0
    with pytest.raises(CommandError, match="1 rows not chained"):
        verify()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_of_events_with_savepoints_is_chained_at_commit_in_id_order(nurse, patient):
    with transaction.atomic():
        audit_record(actor=nurse, action="first", patient=patient)
        audit_record_patient_reads(actor=nurse, patients=[patient] * 500, action="batch.1")
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint, rolled back
            audit_record_patient_reads(actor=nurse, patients=[patient] * 50, action="lost")
            raise RuntimeError
        with transaction.atomic():  # a savepoint, released
            audit_record_patient_reads(actor=nurse, patients=[patient] * 500, action="batch.2")
        audit_record(actor=nurse, action="last", patient=patient)
        assert AuditEvent.objects.filter(chain_position__isnull=False).count() == 0
    rows = stored()
    assert len(rows) == 1002
    assert [position for position, _, _ in rows] == list(range(1, 1003))  # in id order
    assert rows[0][1] == chain.GENESIS_HASH
    assert all(after[1] == before[2] for before, after in itertools.pairwise(rows))
    assert not AuditEvent.objects.filter(action="lost").exists()
    assert pending_rows() == 0
    assert verify().startswith("1002 rows, chain intact")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_of_many_events_each_keep_one_chain(nurse, patient):
    """Four writers commit large batches at the same moments: each transaction's events take
    consecutive places (one lock, one pass), and the chain neither forks nor breaks."""
    threads, transactions, batch = 4, 5, 300
    start = threading.Barrier(threads)

    def writer(number: int):
        def write() -> None:
            for i in range(transactions):
                start.wait(30)  # every writer commits its batch at about the same time
                with transaction.atomic():
                    audit_record(actor=nurse, action=f"w{number}.{i}", patient=patient)
                    audit_record_patient_reads(
                        actor=nurse, patients=[patient] * batch, action=f"w{number}.{i}"
                    )

        return write

    assert not in_thread(*(writer(n) for n in range(threads)))
    expected = threads * transactions * (batch + 1)
    events = list(AuditEvent.objects.order_by("chain_position").values_list("action", "id"))
    assert len(events) == expected
    previous = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(set(previous)) == len(previous)  # no fork
    positions = sorted(AuditEvent.objects.values_list("chain_position", flat=True))
    assert positions == list(range(1, expected + 1))
    # Each transaction's events form one run of places, in id order within it.
    runs = [list(group) for _, group in itertools.groupby(events, key=lambda event: event[0])]
    assert len(runs) == threads * transactions
    assert all([pk for _, pk in run] == sorted(pk for _, pk in run) for run in runs)
    assert verify().startswith(f"{expected} rows, chain intact")


CHAIN_IN_ONE_PASS = ("audit", "0006_chain_each_commit_in_one_pass")
CHAIN_A_ROW_AT_A_TIME = ("audit", "0005_commit_time_chain")


def _migrate_audit(target: tuple[str, str]) -> None:
    from django.db.migrations.executor import MigrationExecutor

    MigrationExecutor(connection).migrate([target])


def _triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'audit_%%'"
        )
        return set(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_to_a_row_at_a_time_and_forward_again(nurse, patient):
    """Back to 0005: its two row triggers, no pending table, events still chained. Forward
    to 0006: the statement trigger and the pending table, closed to a role that default
    privileges would have given it; the chain runs on across both without a break."""
    role = f"audit_default_{threading.get_ident() % 100000}"
    audit_record_patient_reads(actor=nurse, patients=[patient] * 3, action="on.0006")
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(f'ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO "{role}"')
    try:
        _migrate_audit(CHAIN_A_ROW_AT_A_TIME)
        assert _triggers() >= {
            ("audit_auditevent", "audit_auditevent_chain"),
            ("audit_auditevent", "audit_auditevent_chain_link"),
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('audit_chain_pending')")
            assert cursor.fetchone()[0] is None
        with transaction.atomic():
            audit_record_patient_reads(actor=nurse, patients=[patient] * 3, action="on.0005")
        assert verify().startswith("6 rows, chain intact")

        _migrate_audit(CHAIN_IN_ONE_PASS)
        triggers = _triggers()
        assert ("audit_auditevent", "audit_auditevent_chain_link") not in triggers
        assert triggers >= {
            ("audit_auditevent", "audit_auditevent_chain"),
            ("audit_chain_pending", "audit_chain_pending_queue"),
            ("audit_chain_pending", "audit_chain_pending_link"),
        }
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_table_privilege(%s, 'audit_chain_pending', "
                "'SELECT, INSERT, UPDATE, DELETE')",
                [role],
            )
            assert cursor.fetchone()[0] is False
        with transaction.atomic():
            audit_record_patient_reads(actor=nurse, patients=[patient] * 3, action="on.0006")
    finally:
        _migrate_audit(CHAIN_IN_ONE_PASS)
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM "{role}"')
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
    events = list(AuditEvent.objects.order_by("chain_position"))
    assert [(e.chain_position, e.action) for e in events] == [
        *((n, "on.0006") for n in (1, 2, 3)),
        *((n, "on.0005") for n in (4, 5, 6)),
        *((n, "on.0006") for n in (7, 8, 9)),
    ]
    assert {e.link_version for e in events} == {2}
    assert verify().startswith("9 rows, chain intact")


def test_a_read_of_many_patients_is_one_insert_whose_events_verify(nurse, patient, care_team):
    """audit_record_patient_reads writes one event a patient in one statement on PostgreSQL
    (issue 20: an export's 10,000 patients), each with the request's origin, the shared
    detail and a content hash the chain check recomputes from what was stored."""
    from django.test.utils import CaptureQueriesContext

    from backend.audit.context import _origin
    from tests.factories.accounts import PatientFactory

    others = PatientFactory.create_batch(3, care_team=care_team)
    token = _origin.set(("2001:db8::7", "ward-pc/3"))
    try:
        with CaptureQueriesContext(connection) as captured:
            written = audit_record_patient_reads(
                actor=nurse,
                patients=[patient, *others, patient],
                action="export.included",
                detail={"export": "x", "days": [1, 2.0]},
            )
    finally:
        _origin.reset(token)
    assert written == 5
    if connection.vendor == "postgresql":
        assert len(captured) == 1 and captured[0]["sql"].lstrip().startswith("INSERT")
    events = list(AuditEvent.objects.filter(action="export.included").order_by("id"))
    assert [event.patient_id for event in events] == [
        patient.pk,
        *(other.pk for other in others),
        patient.pk,
    ]
    for event in events:
        assert (event.actor_id, event.actor_username, event.actor_role) == (
            nurse.pk,
            nurse.username,
            nurse.role,
        )
        assert (event.ip_address, event.user_agent) == ("2001:db8::7", "ward-pc/3")
        assert event.detail == {"export": "x", "days": [1, 2]}
        assert event.content_hash == chain.content_hash(event.chain_values())
    chain_now()
    assert verify().startswith("5 rows, chain intact")

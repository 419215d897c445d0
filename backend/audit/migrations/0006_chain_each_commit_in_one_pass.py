"""Chain a committing transaction's audit events in one pass on PostgreSQL, not a row at a time
(backend/audit/chain.py).

Migration 0005's deferred trigger ran twice for every event at commit, each time updating the
row (a no-op update to queue the second pass, then the link) and taking the advisory lock:
an export that names 10,000 patients spent about a quarter of its time there
(docs/performance.md, "Dose CSV export"). Now a statement trigger records each INSERT's
event ids in `audit_chain_pending` (one row a statement), and a deferred trigger on that table
links all of the transaction's events at commit, in id order, with one lock and one UPDATE.
The chain's formulas, order and guarantees are those of 0005: link version 2, positions in
commit order, the lock taken only after the transaction's other deferred checks.

The append-only trigger's exception narrows to the link itself (the no-op update it also let
through was 0005's way of queueing its second pass).

Going back restores 0005's triggers and functions. Rows keep their hashes either way: both
write the same links. Nothing is pending outside a transaction, so the table goes empty.
"""

from importlib import import_module

from django.db import migrations

from backend.audit import chain

_0005 = import_module("backend.audit.migrations.0005_commit_time_chain")


def chain_in_one_pass(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the SQL goes as it is (its % are PL/pgSQL's, not placeholders).
        schema_editor.execute(_0005.DROP_CHAIN_FUNCTION_0005, params=None)
        schema_editor.execute(chain.PENDING_TABLE, params=None)
        schema_editor.execute(chain.CHAIN_FUNCTION, params=None)
        schema_editor.execute(chain.APPEND_ONLY_FUNCTION, params=None)


def chain_a_row_at_a_time(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(chain.DROP_CHAIN_FUNCTION, params=None)
        schema_editor.execute(_0005.APPEND_ONLY_FUNCTION_0005, params=None)
        schema_editor.execute(_0005.CHAIN_FUNCTION_0005, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_commit_time_chain")]

    operations = [migrations.RunPython(chain_in_one_pass, chain_a_row_at_a_time)]

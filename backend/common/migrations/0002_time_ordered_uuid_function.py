"""PostgreSQL's time_ordered_uuid(): the version 7 ids of backend/common/ids.py, for rows
written by SQL (the dose ledger's writer inserts with it). Nothing on other databases: their
rows get their ids in Python."""

from django.db import migrations

from backend.common.ids import DROP_TIME_ORDERED_UUID_FUNCTION, TIME_ORDERED_UUID_FUNCTION


def create_function(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TIME_ORDERED_UUID_FUNCTION, params=None)


def drop_function(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TIME_ORDERED_UUID_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    operations = [migrations.RunPython(create_function, drop_function)]

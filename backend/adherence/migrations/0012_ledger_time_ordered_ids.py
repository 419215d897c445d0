"""New ledger rows get time-ordered (version 7) ids, made in Python by the model's default and
in SQL by time_ordered_uuid() (migration common 0002), which the ledger writer's INSERT calls.
Rows already there keep their ids: nothing refers to an id's order, and rewriting the primary
key of every row (and of each DoseLogRevision pointing at one) would buy only the locality of
days already written. No SQL for the field itself: the default lives in Python."""

from django.db import migrations, models

import backend.common.ids


class Migration(migrations.Migration):
    dependencies = [
        ("adherence", "0011_revision_tablet_strengths"),
        ("common", "0002_time_ordered_uuid_function"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scheduleddose",
            name="id",
            field=models.UUIDField(
                default=backend.common.ids.time_ordered_uuid,
                editable=False,
                primary_key=True,
                serialize=False,
            ),
        ),
    ]

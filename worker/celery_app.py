"""The Celery app, configured from Django settings (the CELERY_ namespace).

Start a worker with `celery -A worker.celery_app worker`, beat with `celery -A worker.celery_app
beat`; the Makefile and docker-compose.yml use the same commands.
"""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

app = Celery("gist_adherence")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Imported after configuration: they need Django settings and define the routes and schedule.
from worker.beat_schedule import BEAT_SCHEDULE  # noqa: E402
from worker.queues import QUEUES, TASK_ROUTES  # noqa: E402


def _create_filesystem_broker_folders() -> None:
    """kombu's filesystem transport expects its folders to exist."""
    if str(app.conf.broker_url).startswith("filesystem://"):
        options = app.conf.broker_transport_options or {}
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


_create_filesystem_broker_folders()
app.conf.task_queues = QUEUES
app.conf.task_default_queue = "default"
app.conf.task_routes = TASK_ROUTES
app.conf.beat_schedule = BEAT_SCHEDULE
# Lazily, once Django is set up (the Django fix-up does that when a worker or beat starts).
app.autodiscover_tasks(["worker"], related_name="tasks")

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.reports.services import export_job_run, export_jobs_expire, export_jobs_waiting
from worker.base import task
from worker.queues import DEFAULT, REPORTS


@task(
    name="worker.reports.run_export",
    queue=REPORTS,
    transient_errors=(OperationalError, InterfaceError),
    # Large cohorts take minutes; kept under the broker's one-hour visibility timeout.
    time_limit=50 * 60,
)
def run_export(job_id: str) -> str | None:
    """Idempotent: a finished job is left alone; a half-written one starts again (its file
    and the patient set recorded with it)."""
    job = export_job_run(job_id)
    return job.status if job else None


@task(
    name="worker.reports.send_waiting_exports",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=60,
)
def send_waiting_exports() -> int:
    """Jobs still queued after a minute (their message lost, or the broker was down when they
    were asked for) are sent again; a job sent twice runs once (export_job_run locks it)."""
    waiting = export_jobs_waiting(timezone.now())
    for job_id in waiting:
        run_export.delay(job_id)
    return len(waiting)


@task(
    name="worker.reports.expire_exports",
    queue=DEFAULT,
    transient_errors=(OperationalError, InterfaceError),
    time_limit=300,
)
def expire_exports() -> int:
    """Idempotent: a file is deleted once its link expires; an expired job has none left."""
    return export_jobs_expire(timezone.now())

"""Large cohorts are exported by a worker: the job, its progress, the download and its 24-hour
expiry (the file is deleted then)."""

import csv
import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.reports import rows as report_rows
from backend.reports.models import ExportJob, ExportStatus
from backend.reports.services import export_job_run, export_jobs_expire, export_jobs_waiting
from tests.factories.accounts import StaffFactory, activated_patient
from tests.factories.clients import client_for
from worker.celery_app import app

QUERY = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def small_threshold(settings, tmp_path):
    """Three patients count as 'large' here (the real threshold is 4,800)."""
    settings.EXPORT_ASYNC_MIN_PATIENTS = 2
    settings.EXPORT_DIR = str(tmp_path / "exports")
    return settings


@pytest.fixture
def three_patients(care_team):
    return [activated_patient(care_team=care_team, display_name=f"P{n}") for n in range(3)]


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db
def test_a_cohort_over_the_threshold_is_refused_synchronously(
    small_threshold, three_patients, coordinator
):
    response = client_for(coordinator).get("/api/v1/exports/adherence.csv", QUERY)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "export_too_large"
    assert body["errors"][0]["field"] == "care_team"
    assert "3 patients" in body["errors"][0]["reason"]


@pytest.mark.django_db
def test_progress_is_counted_a_chunk_at_a_time(
    small_threshold, three_patients, coordinator, monkeypatch
):
    monkeypatch.setattr(report_rows, "CHUNK_SIZE", 1)
    api = client_for(coordinator)
    response = api.post("/api/v1/exports/jobs/", {**QUERY, "kind": "adherence_csv"}, format="json")
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued" and response.json()["progress_percent"] == 0

    seen = []
    real_cohort_rows = report_rows.cohort_rows

    def cohort_rows_noting_progress(*args, **kwargs):
        seen.append(api.get(f"/api/v1/exports/jobs/{job_id}/").json()["progress_percent"])
        return real_cohort_rows(*args, **kwargs)

    monkeypatch.setattr(report_rows, "cohort_rows", cohort_rows_noting_progress)
    job = export_job_run(job_id)
    assert seen == [0, 33, 66]
    assert job.status == ExportStatus.READY and job.row_count == 3
    detail = api.get(f"/api/v1/exports/jobs/{job_id}/").json()
    assert detail["progress_percent"] == 100
    assert detail["download_url"] == f"/api/v1/exports/jobs/{job_id}/download/"
    assert export_job_run(job_id).finished_at == job.finished_at  # a second run changes nothing


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_real_worker_writes_the_file_and_the_link_expires_after_a_day(
    small_threshold, three_patients, coordinator, care_team
):
    api = client_for(coordinator)
    response = api.post(
        "/api/v1/exports/jobs/",
        {**QUERY, "kind": "adherence_csv", "care_team": care_team.pk},
        format="json",
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert wait_for(lambda: ExportJob.objects.get(pk=job_id).status == ExportStatus.READY), (
            ExportJob.objects.get(pk=job_id).status
        )
    job = ExportJob.objects.get(pk=job_id)
    assert job.sent_at is not None
    assert job.expires_at == job.finished_at + timedelta(hours=24)
    path = Path(small_threshold.EXPORT_DIR) / job.file_name
    assert path.is_file()

    download = api.get(f"/api/v1/exports/jobs/{job_id}/download/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(row["patient_id"] for row in rows) == sorted(str(p.pk) for p in three_patients)
    assert AuditEvent.objects.filter(action="export.download").count() == 1
    finished = AuditEvent.objects.get(action="export.adherence_csv", detail__phase="finished")
    assert finished.detail["row_count"] == 3 and finished.detail["job"] == job_id

    with time_machine.travel(job.expires_at + timedelta(minutes=1), tick=False):
        assert export_jobs_expire(timezone.now()) == 1
        assert export_jobs_expire(timezone.now()) == 0  # idempotent
        gone = client_for(coordinator).get(f"/api/v1/exports/jobs/{job_id}/download/")
    assert gone.status_code == 410
    assert not path.exists()
    assert ExportJob.objects.get(pk=job_id).status == ExportStatus.EXPIRED


@pytest.mark.django_db
def test_a_job_whose_message_was_lost_is_sent_again_once(
    small_threshold, three_patients, coordinator
):
    job = ExportJob.objects.create(
        requested_by=coordinator, kind="doses_csv", first="2026-10-01", last="2026-10-31"
    )
    later = timezone.now() + timedelta(minutes=2)
    assert export_jobs_waiting(later) == [str(job.pk)]
    assert export_jobs_waiting(later) == []  # marked as sent
    assert export_jobs_waiting(later + timedelta(minutes=31)) == [str(job.pk)]


@pytest.mark.django_db
def test_jobs_are_private_to_who_asked_and_for_coordinators_only(
    small_threshold, three_patients, coordinator, nurse, care_team
):
    response = client_for(coordinator).post(
        "/api/v1/exports/jobs/", {**QUERY, "kind": "doses_csv"}, format="json"
    )
    job_id = response.json()["id"]
    colleague = StaffFactory(role="coordinator", care_teams=[care_team])
    assert client_for(colleague).get(f"/api/v1/exports/jobs/{job_id}/").status_code == 404
    assert client_for(colleague).get(f"/api/v1/exports/jobs/{job_id}/download/").status_code == 404
    assert client_for(nurse).get(f"/api/v1/exports/jobs/{job_id}/").status_code == 403
    not_ready = client_for(coordinator).get(f"/api/v1/exports/jobs/{job_id}/download/")
    assert not_ready.status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "pdf", **QUERY}, "kind"),
        ({"kind": "doses_csv", "from": "2026-10-31", "to": "2026-10-01"}, "from"),
        ({"kind": "doses_csv", "from": "2019-01-01", "to": "2026-10-01"}, "to"),
        ({"kind": "doses_csv", **QUERY, "care_team": 999999}, "care_team"),
        ({"kind": "doses_csv", **QUERY, "colour": "red"}, "colour"),
    ],
)
def test_bad_job_requests_are_400_naming_the_field(coordinator, body, field):
    response = client_for(coordinator).post("/api/v1/exports/jobs/", body, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["adherence_csv", "adherence_xlsx"])
def test_export_files_are_readable_by_their_owner_only(
    small_threshold, three_patients, coordinator, kind
):
    import os
    import stat
    from pathlib import Path

    from django.conf import settings

    os.umask(0o022)  # a usual umask would make a plain open() 0644
    api = client_for(coordinator)
    response = api.post("/api/v1/exports/jobs/", {**QUERY, "kind": kind}, format="json")
    job = export_job_run(response.json()["id"])
    path = Path(settings.EXPORT_DIR) / job.file_name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(settings.EXPORT_DIR).stat().st_mode) == 0o700

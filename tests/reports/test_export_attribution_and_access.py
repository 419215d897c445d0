"""Issue 18: every cohort export is attributed to each patient it contained (one audit row a
patient, in batches), a background job records its patient set as the worker writes the file,
and its download checks the requester's current access to every one of those patients."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from backend.accounts.models import CareTeamMembership
from backend.adherence.models import TreatmentPlan
from backend.audit.models import AuditEvent
from backend.reports import attribution, tabular
from backend.reports import rows as report_rows
from backend.reports.models import ExportJob, ExportJobPatient, ExportStatus
from backend.reports.services import (
    PATIENT_INCLUDED,
    export_job_download_refusal,
    export_job_run,
)
from tests.factories.accounts import StaffFactory, activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import HIGH_RISK_CASE, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

QUERY = {"from": "2026-10-01", "to": "2026-10-31"}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = str(tmp_path / "exports")
    return settings


@pytest.fixture
def team_patients(care_team, other_care_team):
    """Three patients of the coordinator's team, and one of another team (never exported)."""
    activated_patient(care_team=other_care_team, display_name="Elsewhere")
    return [activated_patient(care_team=care_team, display_name=f"P{n}") for n in range(3)]


def included(**detail: object) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(action=PATIENT_INCLUDED)
    for key, value in detail.items():
        events = events.filter(**{f"detail__{key}": value})
    return list(events)


def patient_ids(events: list[AuditEvent]) -> list[str]:
    return sorted(str(event.patient_id) for event in events)


def ids_of(patients) -> list[str]:
    return sorted(str(patient.pk) for patient in patients)


def ready_job(coordinator, kind: str = "adherence_csv", **extra: object) -> ExportJob:
    """A job asked for through the API and built as the worker builds it."""
    response = client_for(coordinator).post(
        "/api/v1/exports/jobs/", {**QUERY, "kind": kind, **extra}, format="json"
    )
    assert response.status_code == 202, response.json()
    job = export_job_run(response.json()["id"])
    assert job is not None and job.status == ExportStatus.READY
    return job


def download(user, job: ExportJob):
    """A fresh client each time: revoking access may also end the user's older tokens."""
    return client_for(user).get(f"/api/v1/exports/jobs/{job.pk}/download/")


def assert_refused(response, job: ExportJob, user) -> None:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "access_revoked"
    assert [error["field"] for error in body["errors"]] == ["job"]
    assert body["detail"] == body["errors"][0]["reason"]
    refused = AuditEvent.objects.get(action="export.download_refused")
    assert refused.actor_id == user.pk and refused.detail["job"] == str(job.pk)
    assert not AuditEvent.objects.filter(action="export.download").exists()


# ------------------------------------------------------------------ the download's check


def test_the_requester_with_access_to_every_patient_downloads(coordinator, team_patients):
    job = ready_job(coordinator)
    response = download(coordinator, job)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(row["patient_id"] for row in rows) == ids_of(team_patients)
    assert AuditEvent.objects.filter(action="export.download").count() == 1
    assert not AuditEvent.objects.filter(action="export.download_refused").exists()


def test_a_coordinator_removed_from_the_team_may_not_download(
    coordinator, care_team, team_patients
):
    job = ready_job(coordinator, care_team=care_team.pk)
    CareTeamMembership.objects.filter(user=coordinator, care_team=care_team).delete()
    response = download(coordinator, job)
    assert_refused(response, job, coordinator)
    assert "3 of the patients" in response.json()["detail"]
    assert (
        AuditEvent.objects.get(action="export.download_refused").detail["patients_not_visible"] == 3
    )
    # The job itself is still listed and shown: only the file is withheld.
    api = client_for(coordinator)
    assert api.get(f"/api/v1/exports/jobs/{job.pk}/").status_code == 200
    assert [item["id"] for item in api.get("/api/v1/exports/jobs/").json()] == [str(job.pk)]


def test_a_patient_moved_to_another_team_stops_the_download(
    coordinator, other_care_team, team_patients
):
    job = ready_job(coordinator)
    moved = team_patients[1]
    moved.care_team = other_care_team
    moved.save()
    response = download(coordinator, job)
    assert_refused(response, job, coordinator)
    assert "1 of the patients" in response.json()["detail"]


def test_a_patient_moved_to_another_of_the_requesters_teams_is_still_visible(
    coordinator, other_care_team, team_patients
):
    CareTeamMembership.objects.create(user=coordinator, care_team=other_care_team)
    job = ready_job(coordinator)
    moved = team_patients[0]
    moved.care_team = other_care_team
    moved.save()
    assert download(coordinator, job).status_code == 200


def test_patients_joining_the_team_after_the_build_do_not_matter(
    coordinator, care_team, other_care_team, team_patients
):
    """The check is of the file's patients (recorded at build time), not today's cohort."""
    job = ready_job(coordinator)
    activated_patient(care_team=care_team)
    assert download(coordinator, job).status_code == 200
    assert ExportJobPatient.objects.filter(job=job).count() == 3


def test_a_changed_role_is_checked_too(coordinator, team_patients):
    job = ready_job(coordinator)
    coordinator.role = "nurse"  # the endpoint is for coordinators and admins
    coordinator.save()
    assert download(coordinator, job).status_code == 403
    coordinator.role = "patient"  # sees no patient: the service's own rule refuses
    coordinator.save()
    assert export_job_download_refusal(user=coordinator, job=job) is not None
    coordinator.role = "admin"  # admins see every patient
    coordinator.save()
    CareTeamMembership.objects.filter(user=coordinator).delete()
    assert export_job_download_refusal(user=coordinator, job=job) is None
    assert download(coordinator, job).status_code == 200


def test_an_admins_job_survives_patients_moving(admin_user, other_care_team, team_patients):
    job = ready_job(admin_user)
    assert ExportJobPatient.objects.filter(job=job).count() == 4  # every team
    team_patients[0].care_team = other_care_team
    team_patients[0].save()
    assert download(admin_user, job).status_code == 200


def test_a_job_without_a_recorded_patient_set_is_not_given_out(coordinator, team_patients):
    """A file built before patients were recorded cannot be checked, so it is refused."""
    job = ready_job(coordinator)
    ExportJob.objects.filter(pk=job.pk).update(patients_recorded=False)
    ExportJobPatient.objects.filter(job=job).delete()
    assert_refused(download(coordinator, job), job, coordinator)


def test_the_check_is_one_query_whatever_the_number_of_patients(
    coordinator, care_team, team_patients
):
    job = ready_job(coordinator)
    with CaptureQueriesContext(connection) as three:
        assert export_job_download_refusal(user=coordinator, job=job) is None
    for n in range(20):
        activated_patient(care_team=care_team, display_name=f"More {n}")
    bigger = ready_job(coordinator)
    with CaptureQueriesContext(connection) as twenty_three:
        assert export_job_download_refusal(user=coordinator, job=bigger) is None
    assert len(three) == len(twenty_three) == 1


# ------------------------------------------------------------------ the job's patient set


@pytest.mark.parametrize("kind", ["adherence_csv", "adherence_xlsx"])
def test_the_jobs_recorded_patients_are_the_files_patients(
    coordinator, team_patients, monkeypatch, export_dir, kind
):
    monkeypatch.setattr(report_rows, "CHUNK_SIZE", 2)  # the set is written a chunk at a time
    job = ready_job(coordinator, kind)
    content = (Path(export_dir.EXPORT_DIR) / job.file_name).read_bytes()
    if kind == "adherence_csv":
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
        in_file = sorted(row["patient_id"] for row in rows)
    else:
        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        in_file = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    recorded = sorted(str(pk) for pk in job.patients.values_list("pk", flat=True))
    assert in_file == recorded == ids_of(team_patients)
    assert job.patients_recorded
    # ... and each is in the audit log, attributed to the requester and naming the job.
    events = included(job=str(job.pk))
    assert patient_ids(events) == recorded
    assert {(event.actor_id, event.detail["kind"], event.detail["export"]) for event in events} == {
        (coordinator.pk, kind, str(job.pk))
    }
    assert events[0].detail["filters"] == {**QUERY, "care_team": None}


def test_a_rerun_of_a_half_built_job_records_the_cohort_again(
    coordinator, care_team, team_patients
):
    job = ready_job(coordinator)
    late = activated_patient(care_team=care_team, display_name="Late")
    # As if the worker had died part-way: the job is picked up again and rebuilt.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    job = export_job_run(job.pk)
    recorded = sorted(str(pk) for pk in job.patients.values_list("pk", flat=True))
    assert recorded == ids_of([*team_patients, late])
    assert job.patients_recorded
    assert export_job_run(job.pk).finished_at == job.finished_at  # a finished job: untouched
    assert ExportJobPatient.objects.filter(job=job).count() == 4


def test_the_dose_job_records_patients_with_and_without_doses(coordinator, nurse, team_patients):
    """A patient with no plan has no rows in the dose CSV but was part of the export."""
    with time_machine.travel(NOW, tick=False):
        body = {"case": {**HIGH_RISK_CASE, "start_date": "2026-10-01"}, "dose_times": ["08:00"]}
        with_plan = team_patients[1]
        response = client_for(nurse).post(
            f"/api/v1/patients/{with_plan.pk}/plans/", body, format="json"
        )
        assert response.status_code == 201, response.json()
        assert TreatmentPlan.objects.filter(patient=with_plan).exists()
        job = ready_job(coordinator, "doses_csv")
    assert job.row_count == 31
    assert sorted(str(pk) for pk in job.patients.values_list("pk", flat=True)) == ids_of(
        team_patients
    )
    assert patient_ids(included(job=str(job.pk))) == ids_of(team_patients)


# ------------------------------------------------------------------ sync exports


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("adherence.csv", "adherence_csv"),
        ("adherence.xlsx", "adherence_xlsx"),
        ("doses.csv", "doses_csv"),
    ],
)
def test_every_sync_export_attributes_each_patient_it_contained(
    coordinator, team_patients, path, kind
):
    response = client_for(coordinator).get(f"/api/v1/exports/{path}", QUERY)
    assert response.status_code == 200
    b"".join(response.streaming_content) if response.streaming else response.content
    events = included(kind=kind)
    assert patient_ids(events) == ids_of(team_patients)  # the other team's patient: not in it
    export_ids = {event.detail["export"] for event in events}
    assert len(export_ids) == 1
    (export_id,) = export_ids
    # The export's started and finished rows carry the same id: one export, traceable.
    phases = AuditEvent.objects.filter(action=f"export.{kind}", detail__export=export_id)
    assert sorted(event.detail["phase"] for event in phases) == ["finished", "started"]
    assert {event.detail["job"] for event in events} == {None}
    assert {event.actor_id for event in events} == {coordinator.pk}
    assert events[0].detail["filters"] == {**QUERY, "care_team": None}

    # A second export is a second set of rows with its own id.
    again = client_for(coordinator).get(f"/api/v1/exports/{path}", QUERY)
    b"".join(again.streaming_content) if again.streaming else again.content
    assert len({event.detail["export"] for event in included(kind=kind)}) == 2
    assert len(included(kind=kind)) == 6


def test_patients_are_attributed_in_batches_not_one_insert_each(
    coordinator, care_team, team_patients, monkeypatch
):
    for n in range(4):
        activated_patient(care_team=care_team, display_name=f"Q{n}")
    monkeypatch.setattr(attribution, "RECORD_BATCH", 3)
    monkeypatch.setattr(report_rows, "CHUNK_SIZE", 2)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(coordinator).get("/api/v1/exports/adherence.csv", QUERY)
        b"".join(response.streaming_content)
    inserts = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('INSERT INTO "audit_auditevent"')
    ]
    # started + 7 patients in batches of 3 (3, 3, 1) + finished.
    assert len(inserts) == 5
    assert len(included(kind="adherence_csv")) == 7


@pytest.mark.parametrize(
    ("path", "kind"), [("adherence.csv", "adherence_csv"), ("doses.csv", "doses_csv")]
)
def test_a_client_that_goes_away_is_attributed_what_it_was_sent(
    coordinator, team_patients, monkeypatch, path, kind
):
    monkeypatch.setattr(tabular, "BLOCK_ROWS", 1)  # a block of the stream per row
    with time_machine.travel(NOW, tick=False):  # doses to export: each patient on a plan
        nurse = StaffFactory(role="nurse", care_teams=[team_patients[0].care_team])
        for patient in team_patients:
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date="2026-10-01")
    response = client_for(coordinator).get(f"/api/v1/exports/{path}", QUERY)
    stream = iter(response.streaming_content)
    next(stream)  # the header
    first_line = next(stream).decode()
    # The client went away: the server closes the response (its request_finished signal
    # would close the connection holding the test's transaction: kept open here).
    with monkeypatch.context() as keep:
        keep.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
        response.close()
    events = included(kind=kind)
    assert [str(event.patient_id) for event in events] == [first_line.split(",")[0]]
    finished = AuditEvent.objects.get(action=f"export.{kind}", detail__phase="finished")
    assert finished.detail["completed"] is False


def test_each_export_is_attributed_to_whoever_made_it(care_team, team_patients, admin_user):
    colleague = StaffFactory(role="coordinator", care_teams=[care_team])
    for user in (colleague, admin_user):
        response = client_for(user).get("/api/v1/exports/adherence.csv", QUERY)
        b"".join(response.streaming_content)
    events = included()
    assert patient_ids([e for e in events if e.actor_id == colleague.pk]) == ids_of(team_patients)
    assert len([e for e in events if e.actor_id == admin_user.pk]) == 4  # every team's

"""Export rules: who may export what, the limits on a request, the audit of every export, and
the background export of large cohorts (file, progress, 24-hour link)."""

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain, groupby
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.accounts.models import CareTeam, Patient, User
from backend.accounts.selectors import care_teams_of
from backend.audit.context import in_request_context
from backend.audit.services import audit_record, audit_record_patient_reads
from backend.common.errors import ServiceValidationError

from .attribution import PatientsPassed
from .columns import (
    COHORT_COLUMNS,
    COHORT_PSEUDONYMISED_COLUMNS,
    DOSE_COLUMNS,
    DOSE_PSEUDONYMISED_COLUMNS,
    Column,
)
from .models import ExportJob, ExportJobPatient, ExportKind, ExportStatus
from .pseudonyms import pseudonym_key_check
from .rows import cohort_summary_rows, dose_rows, patient_chunks, patient_key
from .selectors import export_job_patients_not_visible, export_patients
from .tabular import csv_lines, xlsx_file

logger = logging.getLogger(__name__)

MAX_RANGE_YEARS = 5


@dataclass(frozen=True)
class ExportRequest:
    first: date
    last: date
    care_team: CareTeam | None
    # Study ids in place of the patient's id, name and record number (pseudonyms.py).
    pseudonymised: bool = False

    def filters(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "care_team": self.care_team.pk if self.care_team else None,
        }


def export_request_check(
    *,
    user: User,
    first: date,
    last: date,
    care_team_id: int | None,
    pseudonymised: bool = False,
) -> ExportRequest:
    """The limits every export shares; each refusal names the parameter."""
    if first > last:
        raise ServiceValidationError("from", "Must not be after 'to'.")
    try:
        limit = first.replace(year=first.year + MAX_RANGE_YEARS)
    except ValueError:  # 29 February
        limit = first.replace(year=first.year + MAX_RANGE_YEARS, day=28)
    if last >= limit:
        raise ServiceValidationError("to", f"The range may span at most {MAX_RANGE_YEARS} years.")
    care_team = None
    if care_team_id is not None:
        care_team = care_teams_of(user).filter(pk=care_team_id).first()
        if care_team is None:
            raise ServiceValidationError("care_team", "Unknown care team.")
    if pseudonymised:
        pseudonym_key_check()
    return ExportRequest(first=first, last=last, care_team=care_team, pseudonymised=pseudonymised)


def export_size_check(*, user: User, request: ExportRequest) -> int:
    """Exports estimated to take more than about 10 seconds are made in the background, with
    a progress bar (a coordinator should not stare at a stalled download, and a web worker
    must not stream for minutes). Large is more than EXPORT_ASYNC_MIN_PATIENTS patients, or
    more than EXPORT_ASYNC_MIN_PATIENT_DAYS patients x days (the work grows with both; the
    arithmetic from the measured throughput is in the settings and docs/exports.md).
    Returns the number of patients."""
    count = export_patients(user, request.care_team).count()
    days = (request.last - request.first).days + 1
    if count > settings.EXPORT_ASYNC_MIN_PATIENTS:
        reason = f"{count} patients: cohorts over {settings.EXPORT_ASYNC_MIN_PATIENTS}"
    elif count * days > settings.EXPORT_ASYNC_MIN_PATIENT_DAYS:
        reason = (
            f"{count} patients over {days} days: more than "
            f"{settings.EXPORT_ASYNC_MIN_PATIENT_DAYS} patient-days"
        )
    else:
        return count
    raise ServiceValidationError(
        "care_team",
        f"{reason} are exported in the background (POST /api/v1/exports/jobs/).",
        code="export_too_large",
    )


def export_in_background(*, user: User, request: ExportRequest) -> bool:
    try:
        export_size_check(user=user, request=request)
    except ServiceValidationError:
        return True
    return False


# The audit action of each patient an export contained (one row each, the patient set).
PATIENT_INCLUDED = "export.patient_included"


def audited_rows(
    rows: Iterable[Sequence[Any]],
    *,
    user: User,
    kind: str,
    export: ExportRequest,
    patients: int,
    job: ExportJob | None = None,
    export_id: str | None = None,
    passed: PatientsPassed | None = None,
) -> Iterator[list[Sequence[Any]]]:
    """Every export is in the audit log: when it starts (who, what, filters) and when it ends
    (row count, and whether the client took it all), even if the client goes away. With
    `passed`, the patients whose rows were handed on are recorded as they go, and what was
    handed on before a client went away is recorded too (at most a block more than it read:
    the audit errs towards more, never fewer).

    The rows come back a patient at a time (a list of the rows that share their first value,
    as a patient's rows do), so that this step, and the request's context around it
    (export_rows), cost a few calls a patient rather than a row: a dose export has millions
    of rows. The row count includes a patient's rows once they are handed on."""
    filters = export.filters()
    detail = {
        "filters": filters,
        "patients": patients,
        "job": str(job.pk) if job else None,
        "export": export_id,
        "pseudonymised": export.pseudonymised,
    }
    audit_record(actor=user, action=f"export.{kind}", detail={**detail, "phase": "started"})
    count = 0
    completed = False
    try:
        # groupby compares each row's first value with the one before it in C (a dose
        # export's patient field is one object for all of a patient's rows).
        for _, patient_rows in groupby(rows, key=itemgetter(0)):
            block = list(patient_rows)
            # Rows handed on may reach the client even if it goes away now: their patient
            # is passed first.
            if passed is not None:
                passed.row(block[0])
            count += len(block)
            yield block
        completed = True
    finally:
        if passed is not None:
            passed.flush()
        audit_record(
            actor=user,
            action=f"export.{kind}",
            detail={**detail, "phase": "finished", "row_count": count, "completed": completed},
        )


# Keyed by str: a job's kind read back from the database is a plain string.
_MAKE_ROWS: dict[str, Callable[..., Iterator[Sequence[Any]]]] = {
    ExportKind.ADHERENCE_CSV: cohort_summary_rows,
    ExportKind.ADHERENCE_XLSX: cohort_summary_rows,
    ExportKind.DOSES_CSV: dose_rows,
}
# Kinds whose rows come as CSV fields already (rows.dose_rows: tabular.csv_field).
_AS_FIELDS = {ExportKind.DOSES_CSV}
_COLUMNS: dict[str, list[Column]] = {
    ExportKind.ADHERENCE_CSV: COHORT_COLUMNS,
    ExportKind.ADHERENCE_XLSX: COHORT_COLUMNS,
    ExportKind.DOSES_CSV: DOSE_COLUMNS,
}
_PSEUDONYMISED_COLUMNS: dict[str, list[Column]] = {
    ExportKind.ADHERENCE_CSV: COHORT_PSEUDONYMISED_COLUMNS,
    ExportKind.ADHERENCE_XLSX: COHORT_PSEUDONYMISED_COLUMNS,
    ExportKind.DOSES_CSV: DOSE_PSEUDONYMISED_COLUMNS,
}


def export_columns(kind: str, *, pseudonymised: bool = False) -> list[Column]:
    return (_PSEUDONYMISED_COLUMNS if pseudonymised else _COLUMNS)[kind]


def export_patients_attribute(
    patients: Sequence[Patient],
    *,
    user: User,
    kind: str,
    export_id: str,
    export: ExportRequest,
    job: ExportJob | None = None,
) -> int:
    """One audit row per patient an export contained (a batch in one insert), naming the
    export, so that a patient's own audit trail shows every cohort file they were in. A
    background job also records them as its patient set, which its download is checked
    against."""
    with transaction.atomic():
        if job is not None:
            ExportJobPatient.objects.bulk_create(
                [ExportJobPatient(job=job, patient=patient) for patient in patients],
                ignore_conflicts=True,  # a patient already recorded by this run
            )
        return audit_record_patient_reads(
            actor=user,
            patients=patients,
            action=PATIENT_INCLUDED,
            detail={
                "export": export_id,
                "kind": kind,
                "job": str(job.pk) if job else None,
                "filters": export.filters(),
                "pseudonymised": export.pseudonymised,
            },
        )


def export_rows(
    kind: str,
    *,
    user: User,
    export: ExportRequest,
    patients: int,
    job: ExportJob | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Iterator[Sequence[Any]]:
    """The rows of an export of this kind, audited (its start, its end, and each patient it
    contained), a chunk of patients at a time."""
    export_id = str(job.pk) if job else str(uuid.uuid4())

    def attribute(batch: list[Patient]) -> None:
        export_patients_attribute(
            batch,
            user=user,
            kind=kind,
            export_id=export_id,
            export=export,
            job=job,
        )

    pseudonymised = export.pseudonymised
    passed = PatientsPassed(
        attribute, key=lambda patient: patient_key(patient, pseudonymised=pseudonymised)
    )
    rows = _MAKE_ROWS[kind](
        passed.chunks(patient_chunks(export_patients(user, export.care_team))),
        export.first,
        export.last,
        on_chunk=on_chunk,
        pseudonymised=pseudonymised,
    )
    # Read after the view returns when streamed: its audit rows keep the request's origin.
    return chain.from_iterable(
        in_request_context(
            audited_rows(
                rows,
                user=user,
                kind=kind,
                export=export,
                patients=patients,
                job=job,
                export_id=export_id,
                passed=passed,
            )
        )
    )


def export_csv_lines(
    kind: str, rows: Iterable[Sequence[Any]], *, pseudonymised: bool = False
) -> Iterator[bytes]:
    return csv_lines(
        export_columns(kind, pseudonymised=pseudonymised), rows, fields=kind in _AS_FIELDS
    )


def export_xlsx(rows: Iterable[Sequence[Any]], *, pseudonymised: bool = False) -> IO[bytes]:
    columns = export_columns(ExportKind.ADHERENCE_XLSX, pseudonymised=pseudonymised)
    return xlsx_file(columns, rows, title="Adherence")


def export_download_name(kind: str, export: ExportRequest) -> str:
    """adherence_2026-01-01_2026-03-31.csv; ..._pseudonymised.csv for a pseudonymised file."""
    stem = "doses" if kind == ExportKind.DOSES_CSV else "adherence"
    tail = "_pseudonymised" if export.pseudonymised else ""
    return f"{stem}_{export.first.isoformat()}_{export.last.isoformat()}{tail}.{_SUFFIX[kind]}"


# ------------------------------------------------------------------ background exports


def export_dir() -> Path:
    """The folder of finished exports, readable by this system's user only (0700)."""
    path = Path(settings.EXPORT_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _private_file(path: Path) -> IO[bytes]:
    """A new file only this system's user may read (0600, whatever the umask): exports hold
    patients' data."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def export_job_request(*, user: User, kind: str, export: ExportRequest) -> ExportJob:
    """Record the job; a worker picks it up (the request never waits for the broker: the
    minute sweep finds a job whose message was lost)."""
    if kind not in ExportKind.values:
        raise ServiceValidationError("kind", f"Must be one of: {', '.join(ExportKind.values)}.")
    job = ExportJob.objects.create(
        requested_by=user,
        kind=kind,
        first=export.first,
        last=export.last,
        care_team=export.care_team,
        pseudonymised=export.pseudonymised,
        patients_total=export_patients(user, export.care_team).count(),
    )
    transaction.on_commit(lambda: _send_to_worker(job.pk))
    return job


def _send_to_worker(job_id: UUID | str) -> None:
    from worker.tasks.reports import run_export  # the web side only sends

    try:
        run_export.delay(str(job_id))
    except Exception:  # the broker is down: the minute sweep sends it later
        logger.warning("export %s: broker unreachable, left for the sweep", job_id, exc_info=True)
        return
    ExportJob.objects.filter(pk=job_id).update(sent_at=timezone.now())


# A queued job whose message went out this long ago and still has not started is sent again
# (its message was lost); longer than a large export takes, so a busy queue is not flooded.
RESEND_AFTER = timedelta(minutes=30)


def export_jobs_waiting(now: datetime) -> list[str]:
    """Queued jobs never sent (the broker was down) or sent long ago and not started; they
    are marked sent again. Running a job twice is harmless (export_job_run locks it)."""
    waiting = ExportJob.objects.filter(status=ExportStatus.QUEUED).filter(
        Q(sent_at__isnull=True, created_at__lte=now - timedelta(minutes=1))
        | Q(sent_at__lte=now - RESEND_AFTER)
    )
    job_ids = [str(pk) for pk in waiting.values_list("pk", flat=True)]
    ExportJob.objects.filter(pk__in=job_ids).update(sent_at=now)
    return job_ids


_SUFFIX: dict[str, str] = {
    ExportKind.ADHERENCE_CSV: "csv",
    ExportKind.ADHERENCE_XLSX: "xlsx",
    ExportKind.DOSES_CSV: "csv",
}


def export_file_name(job: ExportJob) -> str:
    tail = "_pseudonymised" if job.pseudonymised else ""
    first, last = job.first.isoformat(), job.last.isoformat()
    return f"{job.kind}_{first}_{last}{tail}.{_SUFFIX[job.kind]}"


def export_job_run(job_id: UUID | str) -> ExportJob | None:
    """Write the job's file. Idempotent: a finished job is left alone; a job whose worker died
    part-way starts again and overwrites its partial file (written under a temporary name and
    renamed, so a download never sees half a file)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (
            ExportStatus.READY,
            ExportStatus.EXPIRED,
            ExportStatus.FAILED,
        ):
            return job
        job.status = ExportStatus.RUNNING
        job.started_at = timezone.now()
        job.patients_done = 0
        job.patients_recorded = False
        job.save(
            update_fields=[
                "status",
                "started_at",
                "patients_done",
                "patients_recorded",
                "updated_at",
            ]
        )
        # A rerun writes the file again from the cohort as it is now: so is its patient set.
        ExportJobPatient.objects.filter(job=job).delete()
    user = job.requested_by
    export = ExportRequest(
        first=job.first,
        last=job.last,
        care_team=job.care_team,
        pseudonymised=job.pseudonymised,
    )
    patients = export_patients(user, job.care_team)
    job.patients_total = patients.count()
    job.save(update_fields=["patients_total", "updated_at"])

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(patients_done=F("patients_done") + done)

    audited = export_rows(
        job.kind,
        user=user,
        export=export,
        patients=job.patients_total,
        job=job,
        on_chunk=progress,
    )
    counted = _counting(audited)
    final = export_dir() / f"{job.pk}.{_SUFFIX[job.kind]}"
    partial = final.with_suffix(".partial")
    try:
        if job.kind == ExportKind.ADHERENCE_XLSX:
            with (
                export_xlsx(counted, pseudonymised=job.pseudonymised) as source,
                _private_file(partial) as target,
            ):
                for block in iter(lambda: source.read(1 << 16), b""):
                    target.write(block)
        else:
            with _private_file(partial) as target:
                for line in export_csv_lines(job.kind, counted, pseudonymised=job.pseudonymised):
                    target.write(line)
        os.replace(partial, final)
    except Exception as error:
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        raise
    finished = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.READY,
        row_count=counted.count,
        patients_done=job.patients_total,
        file_name=final.name,
        finished_at=finished,
        expires_at=finished + timedelta(hours=settings.EXPORT_LINK_HOURS),
        patients_recorded=True,
    )
    job.refresh_from_db()
    return job


class _counting:
    """Counts rows as they pass (the job's row count)."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._rows = iter(rows)
        self.count = 0

    def __iter__(self) -> "_counting":
        return self

    def __next__(self) -> Sequence[Any]:
        row = next(self._rows)
        self.count += 1
        return row


def export_job_file(job: ExportJob) -> Path | None:
    """The file of a ready, unexpired job, else None."""
    if job.status != ExportStatus.READY or job.expires_at is None:
        return None
    if job.expires_at <= timezone.now():
        return None
    path = export_dir() / job.file_name
    return path if path.is_file() else None


def export_job_download_refusal(*, user: User, job: ExportJob) -> str | None:
    """Why `user` may not have this job's file now, or None. The file holds the patients it
    was built with; its link lives a day, in which the requester may leave a care team, a
    patient may move to another team or the account's role may change. So the download
    checks the requester's current access (accounts.selectors.patients_visible_to) to every
    patient the file holds, in one query, and a refusal is audited."""
    if not job.patients_recorded:
        reason = "This export's patients were not recorded; ask for it again."
        hidden = None
    else:
        hidden = export_job_patients_not_visible(job, user)
        if not hidden:
            return None
        reason = (
            f"You no longer have access to {hidden} of the patients in this export; "
            "ask for it again."
        )
    audit_record(
        actor=user,
        action="export.download_refused",
        detail={"job": str(job.pk), "kind": job.kind, "patients_not_visible": hidden},
    )
    return reason


def export_jobs_expire(now: datetime) -> int:
    """Delete files whose link has expired. Idempotent: an expired job has no file left."""
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.READY, expires_at__lte=now):
        if job.file_name:
            (export_dir() / job.file_name).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.READY).update(
            status=ExportStatus.EXPIRED, file_name=""
        )
        expired += 1
    return expired

"""Which patients an export covers, and reads of export jobs. Scoping starts from
accounts.selectors.patients_visible_to, like every read of patient data."""

from django.db.models import QuerySet

from backend.accounts.models import CareTeam, Patient, User
from backend.accounts.selectors import patients_visible_to

from .models import ExportJob, ExportJobPatient


def export_patients(user: User, care_team: CareTeam | None) -> QuerySet[Patient]:
    patients = patients_visible_to(user)
    if care_team is not None:
        patients = patients.filter(care_team=care_team)
    return patients


def export_job_patients_not_visible(job: ExportJob, user: User) -> int:
    """How many of the job's recorded patients `user` may not see now (one query)."""
    visible = patients_visible_to(user).order_by().values("pk")
    return ExportJobPatient.objects.filter(job=job).exclude(patient_id__in=visible).count()


def export_jobs_of(user: User) -> QuerySet[ExportJob]:
    """A user sees only the exports they asked for."""
    return ExportJob.objects.filter(requested_by=user).select_related("care_team")

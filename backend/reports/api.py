"""HTTP edge for exports: parse and check the parameters, authorise, call a service."""

from datetime import timedelta
from typing import Any

from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.selectors import patient_local_today
from backend.api.exceptions import error_response
from backend.api.patient_lookups import visible_patient_or_404
from backend.api.permissions import IsCoordinatorOrAdmin, IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.schema import ErrorDocumentingAutoSchema
from backend.api.serializers import DateRangeInput
from backend.audit.services import audit_record
from backend.common.downloads import set_download_name

from . import services
from .data import patient_report_data
from .models import ExportJob, ExportKind
from .selectors import export_jobs_of

RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day"),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day (inclusive)"),
    OpenApiParameter("care_team", int, description="One of your care teams (default: all)"),
    OpenApiParameter(
        "pseudonymised",
        bool,
        description=(
            "true: a stable study id (study_id) in place of the patient's id, name and record "
            "number (default: false)"
        ),
    ),
]


class CohortRangeInput(DateRangeInput):
    """A cohort export's range, and one of the user's care teams (default: all of them)."""

    care_team = serializers.IntegerField(required=False, min_value=1)
    pseudonymised = serializers.BooleanField(required=False, default=False)


class ExportView(APIView):
    """Answers errors in JSON whatever the client accepts (a browser asking for text/csv
    still gets the reason)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    def export_request(self, request: AuthenticatedRequest) -> services.ExportRequest:
        data = CohortRangeInput(data=request.query_params.dict())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return services.export_request_check(
            user=request.user,
            first=values["from"],
            last=values["to"],
            care_team_id=values.get("care_team"),
            pseudonymised=values["pseudonymised"],
        )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Each cohort file: the media type the schema names, and its body there.
_COHORT_FILES: dict[str, tuple[str, Any]] = {
    ExportKind.ADHERENCE_CSV: ("text/csv", OpenApiTypes.STR),
    ExportKind.ADHERENCE_XLSX: (XLSX, OpenApiTypes.BINARY),
    ExportKind.DOSES_CSV: ("text/csv", OpenApiTypes.STR),
}


class CohortExportSchema(ErrorDocumentingAutoSchema):
    """One view serves the three cohort files: each kind stays its own operation, with its id
    (export_<kind>) and its file's media type."""

    def _kind(self) -> str:
        kind: str = getattr(self.view, "kind", "")
        return kind

    def get_operation_id(self) -> str:
        return f"export_{self._kind()}"

    def get_override_parameters(self) -> list[Any]:
        return RANGE_PARAMETERS

    def get_response_serializers(self) -> Any:
        media_type, body = _COHORT_FILES[self._kind()]
        return {(200, media_type): OpenApiResponse(body)}


class CohortExportView(ExportView):
    # A cohort file of the kind its URL names (urls.py). No docstring of its own: the schema
    # describes each operation with ExportView's.
    permission_classes = [IsCoordinatorOrAdmin]
    schema = CohortExportSchema()
    kind: str = ""

    def get(self, request: AuthenticatedRequest) -> HttpResponseBase:
        export = self.export_request(request)
        patients = services.export_size_check(user=request.user, request=export)
        rows = services.export_rows(self.kind, user=request.user, export=export, patients=patients)
        response: HttpResponseBase
        if self.kind == ExportKind.ADHERENCE_XLSX:
            workbook = services.export_xlsx(rows, pseudonymised=export.pseudonymised)
            response = FileResponse(workbook, content_type=XLSX)
        else:
            lines = services.export_csv_lines(self.kind, rows, pseudonymised=export.pseudonymised)
            response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        return set_download_name(response, services.export_download_name(self.kind, export))


# ------------------------------------------------------------------ background exports


class ExportJobOutput(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "first",
            "last",
            "care_team",
            "pseudonymised",
            "status",
            "progress_percent",
            "patients_total",
            "patients_done",
            "row_count",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]

    def get_download_url(self, job: ExportJob) -> str | None:
        if services.export_job_file(job) is None:
            return None
        return f"/api/v1/exports/jobs/{job.pk}/download/"


class ExportJobInput(DateRangeInput):
    kind = serializers.ChoiceField(choices=ExportKind.values)
    care_team = serializers.IntegerField(required=False, min_value=1)
    pseudonymised = serializers.BooleanField(required=False, default=False)


class ExportJobListView(ExportView):
    permission_classes = [IsCoordinatorOrAdmin]

    @extend_schema(responses={200: ExportJobOutput(many=True)}, operation_id="export_jobs_list")
    def get(self, request: AuthenticatedRequest) -> Response:
        jobs = export_jobs_of(request.user)[:50]
        return Response(ExportJobOutput(jobs, many=True).data)

    @extend_schema(
        request=ExportJobInput,
        responses={202: ExportJobOutput},
        operation_id="export_job_create",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = ExportJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        export = services.export_request_check(
            user=request.user,
            first=values["from"],
            last=values["to"],
            care_team_id=values.get("care_team"),
            pseudonymised=values["pseudonymised"],
        )
        job = services.export_job_request(user=request.user, kind=values["kind"], export=export)
        return Response(ExportJobOutput(job).data, status=202)


def _own_job(request: AuthenticatedRequest, job_id: Any) -> ExportJob:
    job = export_jobs_of(request.user).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


class ExportJobDetailView(ExportView):
    permission_classes = [IsCoordinatorOrAdmin]

    @extend_schema(responses={200: ExportJobOutput}, operation_id="export_job_detail")
    def get(self, request: AuthenticatedRequest, job_id: Any) -> Response:
        return Response(ExportJobOutput(_own_job(request, job_id)).data)


class ExportJobDownloadView(ExportView):
    permission_classes = [IsCoordinatorOrAdmin]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
        operation_id="export_job_download",
        description=(
            "The file of a ready job, for who asked for it while they may still see every "
            "patient in it (403 `access_revoked` otherwise)."
        ),
    )
    def get(self, request: AuthenticatedRequest, job_id: Any) -> HttpResponseBase:
        job = _own_job(request, job_id)
        path = services.export_job_file(job)
        if path is None:
            return JsonResponse(
                {
                    "code": "gone",
                    "detail": "This export is not ready, or its link has expired.",
                    "errors": [{"field": "job", "reason": f"Status: {job.status}."}],
                },
                status=410 if job.status == "expired" else 409,
            )
        refusal = services.export_job_download_refusal(user=request.user, job=job)
        if refusal is not None:
            # Answered, not raised: raising would roll back the refusal's audit row.
            return error_response(403, "access_revoked", refusal, field="job")
        audit_record(
            actor=request.user,
            action="export.download",
            detail={
                "job": str(job.pk),
                "kind": job.kind,
                "row_count": job.row_count,
                "pseudonymised": job.pseudonymised,
            },
        )
        return set_download_name(FileResponse(path.open("rb")), services.export_file_name(job))


# ------------------------------------------------------------------ one patient


PATIENT_RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 89 days ago)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: today)"),
]


class PatientExportView(ExportView):
    """Nurses, coordinators and admins, for patients they may see (another team's: 404)."""

    permission_classes = [IsStaffMember]
    audit_action = ""

    def patient_range(self, request: AuthenticatedRequest, patient_id: Any) -> tuple[Any, Any, Any]:
        patient = visible_patient_or_404(request, patient_id)
        data = DateRangeInput(data=request.query_params.dict(), dates_required=False)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        last = values.get("to") or patient_local_today(patient)
        first = values.get("from") or last - timedelta(days=89)
        services.export_request_check(user=request.user, first=first, last=last, care_team_id=None)
        audit_record(
            actor=request.user,
            action=self.audit_action,
            patient=patient,
            detail={"from": first.isoformat(), "to": last.isoformat()},
        )
        return patient, first, last


class PatientReportPdfView(PatientExportView):
    audit_action = "export.patient_pdf"

    @extend_schema(
        parameters=PATIENT_RANGE_PARAMETERS,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        operation_id="patient_report_pdf",
    )
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> HttpResponse:
        from .pdf import patient_report_pdf

        patient, first, last = self.patient_range(request, patient_id)
        pdf = patient_report_pdf(patient_report_data(patient, first, last))
        response = HttpResponse(pdf, content_type="application/pdf")
        set_download_name(
            response,
            f"report_{patient.medical_record_number}_{first.isoformat()}_{last.isoformat()}.pdf",
        )
        return response


class PatientFhirView(PatientExportView):
    audit_action = "export.patient_fhir"

    @extend_schema(
        parameters=PATIENT_RANGE_PARAMETERS,
        responses={(200, "application/fhir+json"): OpenApiResponse(OpenApiTypes.OBJECT)},
        operation_id="patient_fhir_bundle",
    )
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> HttpResponse:
        from .fhir import patient_fhir_bundle

        patient, first, last = self.patient_range(request, patient_id)
        bundle = patient_fhir_bundle(
            patient_report_data(patient, first, last),
            base_url=request.build_absolute_uri("/api/v1/fhir").rstrip("/"),
        )
        response = JsonResponse(bundle, content_type="application/fhir+json")
        return set_download_name(
            response,
            f"fhir_{patient.medical_record_number}_{first.isoformat()}_{last.isoformat()}.json",
        )

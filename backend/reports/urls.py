from django.urls import path

from . import api
from .models import ExportKind

urlpatterns = [
    path(
        "exports/adherence.csv",
        api.CohortExportView.as_view(kind=ExportKind.ADHERENCE_CSV),
        name="export-adherence-csv",
    ),
    path(
        "exports/adherence.xlsx",
        api.CohortExportView.as_view(kind=ExportKind.ADHERENCE_XLSX),
        name="export-adherence-xlsx",
    ),
    path(
        "exports/doses.csv",
        api.CohortExportView.as_view(kind=ExportKind.DOSES_CSV),
        name="export-doses-csv",
    ),
    path("exports/jobs/", api.ExportJobListView.as_view(), name="export-jobs"),
    path("exports/jobs/<uuid:job_id>/", api.ExportJobDetailView.as_view(), name="export-job"),
    path(
        "exports/jobs/<uuid:job_id>/download/",
        api.ExportJobDownloadView.as_view(),
        name="export-job-download",
    ),
    path(
        "patients/<uuid:patient_id>/report.pdf",
        api.PatientReportPdfView.as_view(),
        name="patient-report-pdf",
    ),
    path("patients/<uuid:patient_id>/fhir/", api.PatientFhirView.as_view(), name="patient-fhir"),
]

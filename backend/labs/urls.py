from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view

from . import api


@extend_schema_view(post=extend_schema(exclude=True))
class PatientFhirObservationSlashView(api.PatientFhirObservationView):
    """FHIR clients differ on the trailing slash; both reach the same view (one in the
    schema)."""


urlpatterns = [
    path("patients/<uuid:patient_id>/labs/", api.PatientLabsView.as_view()),
    path("patients/<uuid:patient_id>/fhir/Observation", api.PatientFhirObservationView.as_view()),
    path(
        "patients/<uuid:patient_id>/fhir/Observation/",
        PatientFhirObservationSlashView.as_view(),
    ),
]

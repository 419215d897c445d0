from django.urls import path

from . import api

urlpatterns = [
    path("patients/<uuid:patient_id>/labs/", api.PatientLabsView.as_view()),
    path("patients/<uuid:patient_id>/fhir/Observation", api.PatientFhirObservationView.as_view()),
]

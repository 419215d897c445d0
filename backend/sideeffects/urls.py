from django.urls import path

from . import api

urlpatterns = [
    path("symptoms/", api.SymptomCatalogueView.as_view()),
    path("me/side-effects/", api.MySideEffectsView.as_view()),
    path("patients/<uuid:patient_id>/side-effects/", api.PatientSideEffectsView.as_view()),
    path("side-effects/<uuid:report_id>/assessment/", api.AssessmentView.as_view()),
    path("me/weights/", api.MyWeightsView.as_view()),
    path("patients/<uuid:patient_id>/weights/", api.PatientWeightsView.as_view()),
]

from django.urls import path

from . import api

urlpatterns = [
    path("me/supply/", api.MySupplyView.as_view()),
    path("patients/<uuid:patient_id>/supply/", api.PatientSupplyView.as_view()),
]

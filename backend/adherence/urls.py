from django.urls import path

from . import api

urlpatterns = [
    path("guidelines/recommendation/", api.GuidelineRecommendationView.as_view()),
    path("patients/<uuid:patient_id>/plans/", api.PatientPlansView.as_view()),
    path("patients/<uuid:patient_id>/plan/", api.PatientPlanView.as_view()),
    path("patients/<uuid:patient_id>/plan/holds/", api.PlanHoldsView.as_view()),
    path("patients/<uuid:patient_id>/plan/holds/<int:hold_id>/end/", api.PlanHoldEndView.as_view()),
    path("patients/<uuid:patient_id>/plan/revisions/", api.PlanRevisionsView.as_view()),
    path("patients/<uuid:patient_id>/plan/stop/", api.PlanStopView.as_view()),
    path("me/plan/", api.MyPlanView.as_view()),
]

from django.urls import path

from .api import doses, plans, reminders

urlpatterns = [
    path("guidelines/recommendation/", plans.GuidelineRecommendationView.as_view()),
    path("patients/<uuid:patient_id>/plans/", plans.PatientPlansView.as_view()),
    path("patients/<uuid:patient_id>/plan/", plans.PatientPlanView.as_view()),
    path("patients/<uuid:patient_id>/plan/holds/", plans.PlanHoldsView.as_view()),
    path(
        "patients/<uuid:patient_id>/plan/holds/<int:hold_id>/end/", plans.PlanHoldEndView.as_view()
    ),
    path("patients/<uuid:patient_id>/plan/revisions/", plans.PlanRevisionsView.as_view()),
    path("patients/<uuid:patient_id>/plan/case/", plans.PlanCaseView.as_view()),
    path("patients/<uuid:patient_id>/plan/stop/", plans.PlanStopView.as_view()),
    path("me/plan/", plans.MyPlanView.as_view()),
    path("me/today/", doses.MyTodayView.as_view()),
    path("me/doses/", doses.MyDosesView.as_view()),
    path("me/doses/<uuid:log_id>/", doses.MyDoseLogView.as_view()),
    path("me/doses/<str:day>/<int:slot>/snooze/", reminders.MyDoseSnoozeView.as_view()),
    path("me/reminders/", reminders.MyRemindersView.as_view()),
    path("me/reminders/<str:day>/<int:slot>/seen/", reminders.MyReminderSeenView.as_view()),
    path("me/adherence/", doses.MyAdherenceView.as_view()),
    path("me/time-zone/", doses.MyTimeZoneView.as_view()),
    path("patients/<uuid:patient_id>/adherence/", doses.PatientAdherenceView.as_view()),
]

from django.urls import path

from . import api

urlpatterns = [
    path("auth/login/", api.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-everywhere/", api.LogoutEverywhereView.as_view(), name="auth-logout-all"),
    path("auth/activate/", api.ActivateView.as_view(), name="auth-activate"),
    path("me/", api.MeView.as_view(), name="me"),
    path("care-teams/", api.CareTeamListView.as_view(), name="care-team-list"),
    path("patients/", api.PatientListView.as_view(), name="patient-list"),
    path("patients/<uuid:patient_id>/", api.PatientDetailView.as_view(), name="patient-detail"),
    path(
        "patients/<uuid:patient_id>/invitation/",
        api.PatientInvitationView.as_view(),
        name="patient-invitation",
    ),
]

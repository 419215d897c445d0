from django.urls import path

from . import api

urlpatterns = [
    path("me/caregivers/", api.MyCaregiversView.as_view(), name="me-caregivers"),
    path(
        "me/caregivers/invitation/",
        api.MyCaregiverInvitationView.as_view(),
        name="me-caregiver-invitation",
    ),
    path("me/caregivers/<int:link_id>/", api.MyCaregiverView.as_view(), name="me-caregiver"),
    path("caregiver/accept/", api.CaregiverAcceptView.as_view(), name="caregiver-accept"),
    path("caregiver/patients/", api.CaregiverPatientsView.as_view(), name="caregiver-patients"),
    path(
        "caregiver/patients/<uuid:patient_id>/today/",
        api.CaregiverTodayView.as_view(),
        name="caregiver-today",
    ),
]

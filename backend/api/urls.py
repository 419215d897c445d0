"""/api/v1 routing: each app contributes its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.accounts.urls")),
    path("", include("backend.adherence.urls")),
    path("", include("backend.sideeffects.urls")),
    path("", include("backend.alerts.urls")),
    path("", include("backend.notifications.urls")),
    path("", include("backend.reports.urls")),
]

"""/api/v1 routing: each app contributes its own urls module."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("backend.accounts.urls")),
    path("", include("backend.adherence.urls")),
    path("", include("backend.sideeffects.urls")),
    path("", include("backend.labs.urls")),
    path("", include("backend.refills.urls")),
    path("", include("backend.alerts.urls")),
    path("", include("backend.notifications.urls")),
    path("", include("backend.caregivers.urls")),
    path("", include("backend.reports.urls")),
]

if settings.BENCH_ENDPOINTS:
    from .bench import ConstantView

    urlpatterns.append(path("bench/constant/", ConstantView.as_view()))

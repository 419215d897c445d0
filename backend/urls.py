from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.api.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("backend.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("dashboard/", include("backend.dashboard.urls")),
    path("app/", include("backend.patientapp.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "backend.api.exceptions.not_found"
handler500 = "backend.api.exceptions.server_error"

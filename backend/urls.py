from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from backend.api.health import healthz
from backend.api.permissions import IsStaffMember

# The API's description is for care staff only unless API_DOCS_PUBLIC (off in production).
_docs_permissions = [AllowAny] if settings.API_DOCS_PUBLIC else [IsStaffMember]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("backend.api.urls")),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=_docs_permissions),
        name="api-schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=_docs_permissions),
        name="api-docs",
    ),
    path("dashboard/", include("backend.dashboard.urls")),
    path("app/", include("backend.patientapp.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "backend.api.exceptions.not_found"
handler500 = "backend.api.exceptions.server_error"

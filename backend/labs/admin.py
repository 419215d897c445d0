from django.contrib import admin

from backend.audit.admin_mixins import ViewOnlyAuditedModelAdmin

from .models import LabResult, OverdueReviewPoint


@admin.register(LabResult)
class LabResultAdmin(ViewOnlyAuditedModelAdmin):
    """Read-only: results are recorded through the API, the dashboard or FHIR."""

    list_display = ("patient", "test", "taken_on", "value", "unit", "source", "recorded_at")
    list_filter = ("test", "source")
    readonly_fields = [field.name for field in LabResult._meta.fields]


@admin.register(OverdueReviewPoint)
class OverdueReviewPointAdmin(ViewOnlyAuditedModelAdmin):
    """Read-only: the worker writes one row per review point that went overdue and alerted."""

    list_display = ("patient", "kind", "date", "overdue_since", "alert", "alerted_at")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in OverdueReviewPoint._meta.fields]

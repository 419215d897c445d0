from django.contrib import admin

from backend.audit.admin_mixins import ViewOnlyAuditedModelAdmin

from .models import TabletSupply


@admin.register(TabletSupply)
class TabletSupplyAdmin(ViewOnlyAuditedModelAdmin):
    """Read-only: counts are recorded by the patient's phone or on the dashboard."""

    list_display = ("patient", "counted_at", "counts", "source", "recorded_by")
    list_filter = ("source",)
    readonly_fields = [field.name for field in TabletSupply._meta.fields]

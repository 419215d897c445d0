from django.contrib import admin

from backend.audit.admin_mixins import AuditedModelAdmin

from .models import PlanHold, PlanRevision, TreatmentPlan


class RevisionInline(admin.TabularInline):
    model = PlanRevision
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in PlanRevision._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class HoldInline(admin.TabularInline):
    model = PlanHold
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in PlanHold._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(AuditedModelAdmin):
    """Read-only here: plans change through the API's services, which keep history and audit."""

    list_display = ["patient", "setting", "status", "start_date", "planned_end_date"]
    list_filter = ["status", "setting"]
    inlines = [RevisionInline, HoldInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TreatmentPlan._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

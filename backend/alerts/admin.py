from django.contrib import admin

from backend.audit.admin_mixins import AuditedModelAdmin, ViewOnlyAuditedModelAdmin

from .models import Alert, CareTeamAlertSettings


@admin.register(CareTeamAlertSettings)
class CareTeamAlertSettingsAdmin(AuditedModelAdmin):
    list_display = ["care_team", "severe_score", "worsening_rise", "missed_streak_days"]


@admin.register(Alert)
class AlertAdmin(ViewOnlyAuditedModelAdmin):
    """Read-only, and never deleted, by anyone (superusers too): an alert is acknowledged and
    resolved on the dashboard or through the API, which keep who did what and when."""

    list_display = ["kind", "priority", "status", "patient", "opened_at"]
    list_filter = ["kind", "priority", "status"]
    readonly_fields = [f.name for f in Alert._meta.fields]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

from django.contrib import admin

from .models import Alert, CareTeamAlertSettings


@admin.register(CareTeamAlertSettings)
class CareTeamAlertSettingsAdmin(admin.ModelAdmin):
    list_display = ["care_team", "severe_score", "worsening_rise", "missed_streak_days"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["kind", "priority", "status", "patient", "opened_at"]
    list_filter = ["kind", "priority", "status"]
    readonly_fields = [f.name for f in Alert._meta.fields]

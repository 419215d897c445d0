from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is evidence."""

    list_display = [
        "occurred_at",
        "actor_username",
        "actor_role",
        "action",
        "patient",
        "ip_address",
    ]
    list_filter = ["action", "actor_role"]
    search_fields = ["actor_username", "action"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

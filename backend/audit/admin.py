from django.contrib import admin

from .admin_mixins import ViewOnlyAuditedModelAdmin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAuditedModelAdmin):
    """Read-only: the log is evidence. Reading it is audited too (it says whose records
    were opened)."""

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

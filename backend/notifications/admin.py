from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Failed messages are visible here to admins."""

    list_display = ["kind", "recipient", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

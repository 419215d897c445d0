from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .models import Device, NotificationPreference, OutboxMessage, OutboxStatus
from .services import outbox_retry_failed


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Failed messages are visible here to admins (filter by status), and can be sent again."""

    list_display = [
        "kind",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_failed"]

    @admin.action(description="Send the selected failed messages again")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = outbox_retry_failed(
            messages=list(queryset.filter(status=OutboxStatus.FAILED)), now=timezone.now()
        )
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "platform", "active", "last_seen_at", "deactivation_reason"]
    list_filter = ["active", "platform", "deactivation_reason"]
    readonly_fields = [f.name for f in Device._meta.fields]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "show_medication_name_on_lock_screen", "language"]

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from backend.audit.admin_mixins import AuditedModelAdmin

from .models import Device, NotificationPreference, OutboxMessage, OutboxStatus
from .services import outbox_retry_failed


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditedModelAdmin):
    """Failed messages are visible here to admins (filter by status), and can be sent again."""

    audit_patient_user_field = "recipient"
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
class DeviceAdmin(AuditedModelAdmin):
    """Read-only, and the registration token is never shown (only its last characters): a
    token is a push address, known only to the phone and the server."""

    audit_patient_user_field = "user"
    list_display = [
        "user",
        "platform",
        "token_ending",
        "active",
        "last_seen_at",
        "deactivation_reason",
    ]
    list_filter = ["active", "platform", "deactivation_reason"]
    exclude = ["token"]
    readonly_fields = [
        *(f.name for f in Device._meta.fields if f.name != "token"),
        "token_ending",
    ]

    @admin.display(description="token ends")
    def token_ending(self, device: Device) -> str:
        return f"…{device.token[-6:]}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(AuditedModelAdmin):
    audit_patient_user_field = "user"
    list_display = ["user", "show_medication_name_on_lock_screen", "language"]

from django.contrib import admin

from .models import CaregiverInvitation, CaregiverLink


@admin.register(CaregiverLink)
class CaregiverLinkAdmin(admin.ModelAdmin):
    """Read-only: a patient adds and removes their caregivers in the app."""

    list_display = ["display_name", "patient", "created_at", "removed_at"]
    list_filter = ["removed_at"]
    readonly_fields = [f.name for f in CaregiverLink._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CaregiverInvitation)
class CaregiverInvitationAdmin(admin.ModelAdmin):
    list_display = ["patient", "created_at", "expires_at", "used_at", "revoked_at"]
    readonly_fields = [f.name for f in CaregiverInvitation._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

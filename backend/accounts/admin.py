from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import services
from .models import CareTeam, CareTeamMembership, Patient, PatientInvitation, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = [*DjangoUserAdmin.fieldsets, ("Role", {"fields": ["role"]})]  # type: ignore[misc]
    add_fieldsets = [*DjangoUserAdmin.add_fieldsets, ("Role", {"fields": ["role"]})]  # type: ignore[misc]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_tokens_revoke(user=obj)


class MembershipInline(admin.TabularInline):
    model = CareTeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["display_name", "medical_record_number", "care_team", "time_zone"]
    list_filter = ["care_team"]
    search_fields = ["display_name", "medical_record_number"]
    readonly_fields = ["user", "enrolled_by"]


@admin.register(PatientInvitation)
class PatientInvitationAdmin(admin.ModelAdmin):
    list_display = ["patient", "expires_at", "used_at", "revoked_at"]
    readonly_fields = ["patient", "code_hash", "expires_at", "used_at", "revoked_at", "issued_by"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

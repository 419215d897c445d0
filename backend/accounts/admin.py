from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from backend.audit.admin_mixins import AuditedModelAdmin, ViewOnlyAuditedModelAdmin
from backend.common.time import is_valid_time_zone

from . import services
from .models import (
    CareTeam,
    CareTeamMembership,
    Patient,
    PatientInvitation,
    PatientTimeZoneChange,
    User,
)


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = [*DjangoUserAdmin.fieldsets, ("Role", {"fields": ["role"]})]  # type: ignore[misc]
    add_fieldsets = [*DjangoUserAdmin.add_fieldsets, ("Role", {"fields": ["role"]})]
    # A deactivation, password or role change here ends the user's sessions and tokens
    # (accounts/signals.py).


class MembershipInline(admin.TabularInline):
    model = CareTeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(CareTeam)
class CareTeamAdmin(AuditedModelAdmin):
    search_fields = ["name"]
    inlines = [MembershipInline]


TIME_ZONE_CHANGE_FIELDS = (
    "previous_time_zone",
    "time_zone",
    "effective_date",
    "changed_by",
    "created_at",
)


class TimeZoneHistoryInline(admin.TabularInline):
    """The patient's zone changes, as patient_time_zone_change kept them (read-only)."""

    model = PatientTimeZoneChange
    extra = 0
    can_delete = False
    fields = TIME_ZONE_CHANGE_FIELDS
    readonly_fields = TIME_ZONE_CHANGE_FIELDS
    verbose_name = "time zone change"
    verbose_name_plural = "Time zone history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PatientAdminForm(forms.ModelForm):
    new_time_zone = forms.CharField(
        required=False,
        max_length=64,
        label="Move to time zone",
        help_text="An IANA time zone, e.g. America/New_York. It applies from the patient's "
        "next local day and is kept in the time zone history below (and audited), exactly as "
        "when the patient's phone reports a new zone (PATCH /api/v1/me/time-zone/). Leave "
        "blank to keep the current zone.",
    )

    class Meta:
        model = Patient
        fields = ["display_name", "medical_record_number", "language"]

    def clean_new_time_zone(self) -> str:
        value = (self.cleaned_data.get("new_time_zone") or "").strip()
        if value and not is_valid_time_zone(value):
            raise ValidationError(f"'{value}' is not an IANA time zone (e.g. Europe/Madrid).")
        return value


@admin.register(Patient)
class PatientAdmin(AuditedModelAdmin):
    """Patients are enrolled through the dashboard or the API (which audit it and invite), never
    added or deleted here. The care team and the time zone cannot be edited in place: a zone
    change goes through patient_time_zone_change (the "Move to time zone" field), which keeps
    the history the dose calendar needs; moving a patient to another care team has no service
    that keeps its history yet, so it is not possible here (docs/security.md)."""

    form = PatientAdminForm
    list_display = ["display_name", "medical_record_number", "care_team", "time_zone"]
    list_filter = ["care_team"]
    search_fields = ["display_name", "medical_record_number"]
    readonly_fields = ["user", "enrolled_by", "care_team", "time_zone"]
    fieldsets = [
        (None, {"fields": ["display_name", "medical_record_number", "language"]}),
        (
            "Care team and time zone (kept with their history)",
            {
                "fields": ["care_team", "time_zone", "new_time_zone"],
                "description": "The care team cannot be changed here: moving a patient to "
                "another team has no path that keeps its history yet. The time zone changes "
                "only through “Move to time zone”, which records when and by whom.",
            },
        ),
        ("Account", {"fields": ["user", "enrolled_by"]}),
    ]
    inlines = [TimeZoneHistoryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        new_zone = form.cleaned_data.get("new_time_zone")
        if new_zone:
            services.patient_time_zone_change(
                patient=obj, time_zone=new_zone, changed_by=request.user
            )
            obj.refresh_from_db()


@admin.register(PatientInvitation)
class PatientInvitationAdmin(ViewOnlyAuditedModelAdmin):
    """Read-only: invitations are issued and revoked through the dashboard or the API. The code's
    hash is not shown."""

    list_display = ["patient", "expires_at", "used_at", "revoked_at"]
    exclude = ["code_hash"]
    readonly_fields = ["patient", "expires_at", "used_at", "revoked_at", "issued_by"]


# django-axes' failed-attempt records: deleting them is an administrator's unlock, so its admin
# is audited like the rest (admin.delete names the rows; manage.py signin_unlock is the other
# way, audited as auth.unlocked).
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AuditedModelAdmin, AxesAccessAttemptAdmin):
    pass

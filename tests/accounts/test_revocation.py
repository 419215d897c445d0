"""Issue 18, revocation: access ends with its reason. A password change or reset, a
deactivation, a role change and a removal from a care team each end every session (dashboard,
admin, API session) and every bearer token of that user at once, whichever way the change is
made (a service, the admin's forms, a plain save)."""

import pytest
from django.test import Client

from backend.accounts.models import CareTeamMembership
from backend.accounts.services import auth_token_issue, user_deactivate
from backend.audit.models import AuditEvent
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def bearer_status(token: str, path: str = "/api/v1/patients/") -> int:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(path).status_code


def api_login(username: str, password: str) -> int:
    response = Client().post(
        "/api/v1/auth/login/",
        {"username": username, "password": password},
        content_type="application/json",
    )
    return response.status_code


def signed_in_browser(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/patients/").status_code == 200
    return client


def session_ended(client: Client) -> bool:
    return client.get("/api/v1/patients/").status_code in (401, 403)


def revocations(user) -> list[str]:
    return [
        event.detail["reason"]
        for event in AuditEvent.objects.filter(action="auth.access_revoked").order_by("id")
        if event.detail.get("user") == user.pk
    ]


def test_a_password_change_ends_every_token_and_session(nurse, patient):
    _, phone = auth_token_issue(user=nurse)
    _, tablet = auth_token_issue(user=nurse)
    ward_pc, ward_laptop = signed_in_browser(nurse), signed_in_browser(nurse)
    assert bearer_status(phone) == 200

    nurse.set_password("another-long-passphrase-2026")
    nurse.save()

    assert bearer_status(phone) == 401
    assert bearer_status(tablet) == 401
    assert session_ended(ward_pc) and session_ended(ward_laptop)
    assert revocations(nurse) == ["password_changed"]
    # The new password signs in again as usual.
    assert api_login(nurse.username, "another-long-passphrase-2026") == 200


def test_a_patients_tokens_end_when_the_password_is_reset(patient):
    user = patient.user
    _, token = auth_token_issue(user=user)
    assert bearer_status(token, "/api/v1/me/today/") == 200
    # The reset path of Django's SetPasswordForm (what a password-reset link ends in).
    from django.contrib.auth.forms import SetPasswordForm

    form = SetPasswordForm(
        user, {"new_password1": "reset-passphrase-2026!", "new_password2": "reset-passphrase-2026!"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert bearer_status(token, "/api/v1/me/today/") == 401


def test_the_admins_password_form_ends_the_users_access(nurse, admin_user):
    _, token = auth_token_issue(user=nurse)
    nurse_pc = signed_in_browser(nurse)
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(
        f"/admin/accounts/user/{nurse.pk}/password/",
        {"password1": "admin-set-passphrase-2026", "password2": "admin-set-passphrase-2026"},
    )
    assert response.status_code == 302, response.content[:500]
    assert bearer_status(token) == 401
    assert session_ended(nurse_pc)
    event = AuditEvent.objects.get(action="auth.access_revoked")
    assert event.detail["reason"] == "password_changed"
    assert event.actor == admin_user  # who did it, seen through the request
    # The administrator's own session is untouched.
    assert admin.get("/admin/").status_code == 200


def test_deactivation_ends_every_session_too(nurse):
    _, token = auth_token_issue(user=nurse)
    browser = signed_in_browser(nurse)
    user_deactivate(user=nurse)
    assert bearer_status(token) == 401
    assert session_ended(browser)
    assert revocations(nurse) == ["deactivated"]


def test_deactivation_in_the_admin_ends_sessions(nurse, admin_user):
    _, token = auth_token_issue(user=nurse)
    browser = signed_in_browser(nurse)
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get(f"/admin/accounts/user/{nurse.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "is_active": "",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        }
    )
    data.pop("is_active")
    response = admin.post(f"/admin/accounts/user/{nurse.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert bearer_status(token) == 401
    assert session_ended(browser)


def test_removal_from_the_care_team_ends_every_session_and_token(coordinator, care_team):
    _, token = auth_token_issue(user=coordinator)
    dashboard = signed_in_browser(coordinator)
    CareTeamMembership.objects.filter(user=coordinator, care_team=care_team).delete()
    assert bearer_status(token) == 401
    assert session_ended(dashboard)
    event = AuditEvent.objects.get(action="auth.access_revoked")
    assert event.detail["reason"] == "care_team_removed"
    assert event.detail["care_team"] == care_team.pk


def test_removal_through_the_admins_care_team_page(nurse, care_team, admin_user):
    _, token = auth_token_issue(user=nurse)
    membership = CareTeamMembership.objects.get(user=nurse, care_team=care_team)
    admin = Client()
    admin.force_login(admin_user)
    prefix = "careteammembership_set"
    response = admin.post(
        f"/admin/accounts/careteam/{care_team.pk}/change/",
        {
            "name": care_team.name,
            "phone": care_team.phone,
            "emergency_number": care_team.emergency_number,
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-id": str(membership.pk),
            f"{prefix}-0-care_team": str(care_team.pk),
            f"{prefix}-0-user": str(nurse.pk),
            f"{prefix}-0-DELETE": "on",
        },
    )
    assert response.status_code == 302
    assert not CareTeamMembership.objects.filter(pk=membership.pk).exists()
    assert bearer_status(token) == 401
    assert revocations(nurse) == ["care_team_removed"]


def test_a_role_change_ends_access(nurse):
    _, token = auth_token_issue(user=nurse)
    nurse.role = "coordinator"
    nurse.save()
    assert bearer_status(token) == 401
    assert revocations(nurse) == ["role_changed"]


def test_other_users_keep_their_access(nurse, coordinator, care_team):
    _, kept = auth_token_issue(user=coordinator)
    kept_browser = signed_in_browser(coordinator)
    CareTeamMembership.objects.filter(user=nurse).delete()
    assert bearer_status(kept) == 200
    assert not session_ended(kept_browser)


def test_a_sign_in_does_not_end_anything(nurse):
    """last_login is written at each sign-in: that save must not look like a change."""
    _, token = auth_token_issue(user=nurse)
    assert api_login(nurse.username, TEST_PASSWORD) == 200
    assert bearer_status(token) == 200
    assert revocations(nurse) == []


def test_sign_out_everywhere_ends_sessions_as_well_as_tokens(nurse):
    _, token = auth_token_issue(user=nurse)
    browser = signed_in_browser(nurse)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post("/api/v1/auth/logout-everywhere/").status_code == 204
    assert bearer_status(token) == 401
    assert session_ended(browser)
    assert revocations(nurse) == ["signed_out_everywhere"]

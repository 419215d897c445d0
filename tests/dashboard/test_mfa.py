"""The staff second factor (issue 18) on the dashboard and the admin, with STAFF_MFA_REQUIRED
on: the password leads to a code page (or, on the first sign-in, to enrolment with the secret,
the otpauth:// URI and one-time recovery codes); only a verified session opens dashboard pages
or /admin/. The test settings keep it off, and then the password alone still signs in."""

import base64
import re
from html import unescape

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts import mfa
from backend.audit.models import AuditEvent
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/dashboard/sign-in/"
CODE = "/dashboard/sign-in/code/"
ENROL = "/dashboard/sign-in/enrol/"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret: str = SECRET, steps_ahead: int = 0) -> str:
    return f"{totp(base64.b32decode(secret), drift=steps_ahead):06d}"


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    return settings


def password_step(client: Client, user, next_url: str = ""):
    url = f"{SIGN_IN}?next={next_url}" if next_url else SIGN_IN
    return client.post(url, {"username": user.username, "password": TEST_PASSWORD})


def signed_in(client: Client) -> bool:
    return client.get("/dashboard/").status_code == 200


def assert_csp_clean(body: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", body), "inline script"
    assert "<style" not in body and " style=" not in body, "inline style"


# ---------------------------------------------------------------- code step


@pytest.mark.parametrize("role", ["nurse", "coordinator", "admin"])
def test_the_password_alone_does_not_sign_staff_in(mfa_on, role, nurse, coordinator, admin_user):
    user = {"nurse": nurse, "coordinator": coordinator, "admin": admin_user}[role]
    mfa.totp_device_provision(user=user, secret=SECRET, via="test")
    client = Client()
    response = password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == CODE
    assert not signed_in(client)
    page = client.get(CODE)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'autocomplete="one-time-code"' in body
    assert '<label for="id_code">' in body
    assert_csp_clean(body)


def test_a_wrong_code_is_refused_and_audited(mfa_on, nurse):
    mfa.totp_device_provision(user=nurse, secret=SECRET, via="test")
    client = Client()
    password_step(client, nurse)
    wrong = f"{(int(code()) + 1) % 1_000_000:06d}"
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not signed_in(client)
    failed = AuditEvent.objects.get(actor=nurse, action="mfa.failed")
    assert failed.detail == {"surface": "dashboard", "reason": "wrong"}


def test_the_right_code_signs_in_verified_and_goes_on(mfa_on, nurse):
    mfa.totp_device_provision(user=nurse, secret=SECRET, via="test")
    client = Client()
    password_step(client, nurse, next_url="/dashboard/cohort/")
    response = client.post(CODE, {"code": code()})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/cohort/"
    assert signed_in(client)
    # Already signed in and verified: the sign-in page sends them on.
    assert client.get(SIGN_IN).status_code == 302


def test_too_many_wrong_codes_ask_for_the_password_again(mfa_on, nurse):
    mfa.totp_device_provision(user=nurse, secret=SECRET, via="test")
    client = Client()
    password_step(client, nurse)
    for _ in range(mfa_on.STAFF_MFA_MAX_ATTEMPTS - 1):
        assert client.post(CODE, {"code": "000000"}).status_code == 400
    last = client.post(CODE, {"code": "000000"})
    assert last.status_code == 302 and last["Location"] == SIGN_IN
    # The right code no longer helps: the password step starts again.
    assert client.post(CODE, {"code": code()})["Location"] == SIGN_IN
    assert not signed_in(client)


def test_the_code_page_needs_the_password_first(mfa_on, nurse):
    mfa.totp_device_provision(user=nurse, secret=SECRET, via="test")
    client = Client()
    assert client.post(CODE, {"code": code()})["Location"] == SIGN_IN
    assert client.get(ENROL)["Location"] == SIGN_IN
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(mfa_on, nurse):
    mfa.totp_device_provision(user=nurse, secret=SECRET, via="test")
    codes = mfa.recovery_codes_issue(user=nurse)
    first = Client()
    password_step(first, nurse)
    assert first.post(CODE, {"code": codes[0]}).status_code == 302
    assert signed_in(first)
    again = Client()
    password_step(again, nurse)
    assert again.post(CODE, {"code": codes[0]}).status_code == 400
    assert not signed_in(again)
    assert AuditEvent.objects.filter(actor=nurse, action="mfa.recovery_code_used").count() == 1


# ---------------------------------------------------------------- enrolment


def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes_once(mfa_on, nurse):
    client = Client()
    response = password_step(client, nurse)
    assert response["Location"] == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    body = page.content.decode()
    assert_csp_clean(body)
    secret = re.search(r'id="totp-secret"><code>([A-Z2-7 ]+)</code>', body).group(1)
    secret = secret.replace(" ", "")
    uri = unescape(re.search(r'href="(otpauth://totp/[^"]+)"', body).group(1))
    assert f"secret={secret}" in uri and nurse.username in uri
    # The same secret on a reload (the app may already hold it); nothing confirmed yet.
    assert secret in client.get(ENROL).content.decode().replace(" ", "")
    assert not TOTPDevice.objects.filter(user=nurse, confirmed=True).exists()
    assert not signed_in(client)

    assert (
        client.post(ENROL, {"code": "000000" if code(secret) != "000000" else "111111"}).status_code
        == 400
    )
    done = client.post(ENROL, {"code": code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == mfa_on.STAFF_MFA_RECOVERY_CODES
    assert set(
        StaticToken.objects.filter(device__user=nurse).values_list("token", flat=True)
    ) == set(codes)
    assert_csp_clean(done.content.decode())
    assert signed_in(client)
    assert TOTPDevice.objects.get(user=nurse).confirmed
    assert list(
        AuditEvent.objects.filter(actor=nurse).order_by("pk").values_list("action", flat=True)
    ) == ["mfa.failed", "mfa.enrolled"]

    # The next sign-in asks for a code; enrolment is not offered again.
    later = Client()
    assert password_step(later, nurse)["Location"] == CODE
    assert later.get(ENROL)["Location"] == CODE
    assert later.post(CODE, {"code": code(secret, steps_ahead=1)}).status_code == 302
    assert signed_in(later)


# ---------------------------------------------------------------- every page, and the admin


@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/cohort/", "/dashboard/exports/", "/dashboard/alerts/rows/"]
)
def test_every_dashboard_page_needs_a_verified_session(mfa_on, nurse, url):
    client = Client()
    client.force_login(nurse)  # a password-only session (from before the setting, say)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    # And the session is over, not just turned away once.
    assert "_auth_user_id" not in client.session


def test_patients_are_still_sent_to_their_app(mfa_on, patient):
    response = Client().post(
        SIGN_IN, {"username": patient.user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert "/app/" in response.content.decode()


def test_admin_needs_the_second_factor(mfa_on, admin_user):
    mfa.totp_device_provision(user=admin_user, secret=SECRET, via="test")
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 302
    # /admin/login/ sends to the dashboard's sign-in, which asks for the code and comes back.
    login_page = client.get("/admin/login/?next=/admin/")
    assert login_page.status_code == 302
    assert login_page["Location"] == f"{SIGN_IN}?next=%2Fadmin%2F"
    # The admin's own form, with a password only, does not open it.
    client.post("/admin/login/", {"username": admin_user.username, "password": TEST_PASSWORD})
    assert client.get("/admin/").status_code == 302

    password_step(client, admin_user, next_url="/admin/")
    response = client.post(CODE, {"code": code()})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_refuses_an_offsite_next(mfa_on) -> None:
    response = Client().get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == f"{SIGN_IN}?next=%2Fadmin%2F"


# ---------------------------------------------------------------- setting off (test settings)


def test_setting_off_the_password_alone_signs_in(settings, nurse, admin_user):
    assert settings.STAFF_MFA_REQUIRED is False
    client = Client()
    response = password_step(client, nurse)
    assert response.status_code == 302 and response["Location"] == "/dashboard/home/"
    assert signed_in(client)
    admin = Client()
    admin.post("/admin/login/", {"username": admin_user.username, "password": TEST_PASSWORD})
    assert admin.get("/admin/").status_code == 200

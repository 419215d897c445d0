"""The staff second factor (issue 18) on the API's login and in provisioning: with
STAFF_MFA_REQUIRED on, a staff token needs `otp` (a TOTP from the staff member's secret, or a
recovery code once); patients sign in as before; create_staff --totp-secret enrols a factor.
The test settings keep it off, and then nothing changes."""

import base64
import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts import mfa
from backend.accounts.models import User
from backend.audit.models import AuditEvent
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
# A test secret (160 bits); codes are computed from it the way an authenticator app does.
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret: str = SECRET, steps_ahead: int = 0) -> str:
    """The TOTP an authenticator app shows now (or `steps_ahead` 30-second steps later: the
    server accepts one step either way, and never the same step twice)."""
    key = base64.b32decode(secret)
    return f"{totp(key, drift=steps_ahead):06d}"


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_MFA_REQUIRED = True
    # django-otp waits 1, 2, 4... s after each wrong code; the tests send the next one at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    return settings


def enrol(user: User, secret: str = SECRET) -> TOTPDevice:
    return mfa.totp_device_provision(user=user, secret=secret, via="test")


def login(client, username, otp=None, password=TEST_PASSWORD):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post(LOGIN, body, format="json")


def actions(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(actor=user).order_by("pk").values_list("action", flat=True)
    )


# ---------------------------------------------------------------- API login


@pytest.mark.parametrize("role", ["nurse", "coordinator", "admin"])
def test_staff_login_without_otp_gets_no_token(
    mfa_on, api_client, role, nurse, coordinator, admin_user
):
    user = {"nurse": nurse, "coordinator": coordinator, "admin": admin_user}[role]
    enrol(user)
    response = login(api_client, user.username)
    assert response.status_code == 400
    body = response.json()
    assert "token" not in body
    assert body["code"] == "invalid_otp"
    assert [error["field"] for error in body["errors"]] == ["otp"]
    assert actions(user)[-1] == "mfa.failed"


def test_staff_login_with_a_wrong_otp_gets_no_token(mfa_on, api_client, nurse):
    enrol(nurse)
    wrong = f"{(int(code()) + 1) % 1_000_000:06d}"
    response = login(api_client, nurse.username, otp=wrong)
    assert response.status_code == 400
    assert "token" not in response.json()
    failed = AuditEvent.objects.filter(actor=nurse, action="mfa.failed").get()
    assert failed.detail == {"surface": "api", "reason": "wrong"}


def test_staff_login_with_the_right_otp_gets_a_token(mfa_on, api_client, nurse):
    enrol(nurse)
    response = login(api_client, nurse.username, otp=code())
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/me/").json()["role"] == "nurse"


def test_a_code_works_once(mfa_on, api_client, nurse):
    enrol(nurse)
    now = code()
    assert login(api_client, nurse.username, otp=now).status_code == 200
    assert login(api_client, nurse.username, otp=now).status_code == 400
    assert login(api_client, nurse.username, otp=code(steps_ahead=1)).status_code == 200


def test_staff_without_a_factor_gets_no_token(mfa_on, api_client, nurse):
    response = login(api_client, nurse.username, otp="123456")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_otp"


def test_wrong_password_says_no_more_than_before(mfa_on, api_client, nurse):
    """A wrong password with or without a code: the usual answer, nothing about the factor."""
    enrol(nurse)
    for otp in (None, code()):
        response = login(api_client, nurse.username, otp=otp, password="not-the-password")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"
        assert "otp" not in response.content.decode()


def test_a_recovery_code_works_once_as_otp(mfa_on, api_client, nurse):
    enrol(nurse)
    codes = mfa.recovery_codes_issue(user=nurse)
    assert len(codes) == mfa_on.STAFF_MFA_RECOVERY_CODES
    assert login(api_client, nurse.username, otp=codes[0]).status_code == 200
    assert login(api_client, nurse.username, otp=codes[0]).status_code == 400
    assert login(api_client, nurse.username, otp=codes[1].upper()).status_code == 200
    used = AuditEvent.objects.filter(actor=nurse, action="mfa.recovery_code_used")
    assert used.count() == 2
    assert used.order_by("pk").last().detail["remaining"] == len(codes) - 2


def test_patients_need_no_otp(mfa_on, api_client, patient):
    response = login(api_client, patient.user.username)
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "patient"
    assert not AuditEvent.objects.filter(action__startswith="mfa.").exists()


def test_setting_off_staff_sign_in_with_a_password_only(api_client, nurse, settings):
    assert settings.STAFF_MFA_REQUIRED is False  # backend/settings/test.py
    assert login(api_client, nurse.username).status_code == 200


def test_an_unverified_staff_session_is_ended_on_the_api(mfa_on, api_client, nurse):
    """A session made without the factor (before the setting was on, say) reaches nothing."""
    api_client.force_login(nurse)
    assert api_client.get("/api/v1/me/").status_code in (401, 403)


# ---------------------------------------------------------------- secrets and provisioning


def test_base32_secrets_are_read_as_people_type_them() -> None:
    expected = base64.b32decode(SECRET).hex()
    assert mfa.totp_secret_to_hex(SECRET) == expected
    assert mfa.totp_secret_to_hex("jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk 3pxp") == expected


@pytest.mark.parametrize(
    "secret", ["", "not base32!", "JBSWY3DP0000", "JBSWY3DP", "A" * 100, "JBSWY3DP=JBSWY3DP"]
)
def test_bad_secrets_are_refused(secret: str) -> None:
    from backend.common.errors import ServiceValidationError

    with pytest.raises(ServiceValidationError) as error:
        mfa.totp_secret_to_hex(secret)
    assert error.value.field == "totp_secret"


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    original = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = original
    return out.getvalue()


def test_create_staff_with_a_totp_secret_enrols_a_confirmed_device(mfa_on, api_client) -> None:
    run("create_care_team", "Oncology A")
    output = run(
        "create_staff",
        "n.jones",
        "--role",
        "nurse",
        "--care-team",
        "Oncology A",
        "--totp-secret",
        SECRET.lower(),
        "--password-stdin",
        stdin="lilac-harbour-31-tide\n",
    )
    assert "with a TOTP second factor" in output
    user = User.objects.get(username="n.jones")
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert mfa.totp_secret_base32(device) == SECRET
    assert actions(user) == ["mfa.enrolled"]
    response = login(api_client, "n.jones", otp=code(), password="lilac-harbour-31-tide")
    assert response.status_code == 200


@pytest.mark.parametrize("secret", ["not-base32-at-all!", "ABC", "JBSWY3DP1"])
def test_create_staff_refuses_a_bad_secret_with_exit_2(secret: str) -> None:
    run("create_care_team", "Oncology A")
    with pytest.raises(CommandError) as error:
        run(
            "create_staff",
            "n.jones",
            "--role",
            "admin",
            "--totp-secret",
            secret,
            "--password-stdin",
            stdin="lilac-harbour-31-tide\n",
        )
    assert error.value.returncode == 2
    assert "totp_secret" in str(error.value)
    assert not User.objects.filter(username="n.jones").exists()
    assert not TOTPDevice.objects.exists()


def test_create_staff_without_a_secret_leaves_enrolment_to_the_first_sign_in() -> None:
    run(
        "create_staff",
        "a.admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin="lilac-harbour-31-tide\n",
    )
    assert not TOTPDevice.objects.exists()


# ---------------------------------------------------------------- make run's demo staff


def test_seed_demo_enrols_the_demo_staff_and_prints_how_to_sign_in(mfa_on, api_client) -> None:
    mfa_on.DEBUG = True
    mfa_on.DEMO_TOTP_SECRET = "DEMOGISTDEMOGISTDEMOGISTDEMOGIST"
    output = run("seed_demo")
    assert "http://127.0.0.1:8000/dashboard/sign-in/" in output
    for username in ("nurse.demo", "coordinator.demo"):
        line = next(line for line in output.splitlines() if f"username {username}" in line)
        assert "password imatinib-demo-2026" in line
        assert "TOTP secret DEMOGISTDEMOGISTDEMOGISTDEMOGIST" in line
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert mfa.totp_secret_base32(device) == "DEMOGISTDEMOGISTDEMOGISTDEMOGIST"
    assert "otpauth://totp/GIST%20adherence%3Anurse.demo?secret=DEMOGIST" in output
    assert "oathtool --totp -b DEMOGISTDEMOGISTDEMOGISTDEMOGIST" in output
    # The printed secret works, and a second run changes nothing.
    response = login(
        api_client,
        "nurse.demo",
        otp=code("DEMOGISTDEMOGISTDEMOGISTDEMOGIST"),
        password="imatinib-demo-2026",
    )
    assert response.status_code == 200
    assert run("seed_demo") == output
    assert TOTPDevice.objects.count() == 2

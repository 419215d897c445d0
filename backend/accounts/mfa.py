"""Staff second factor (issue 18): TOTP devices and one-time recovery codes, from django-otp.

Who needs one: every nurse, coordinator and administrator while `STAFF_MFA_REQUIRED` is on.
Patients never do. The dashboard signs a staff member in only after a code (views/auth.py);
the API's login issues a staff token only with `otp` (api.py); /admin/ asks for a verified
session (admin_site.py). Enrolment, every refused code and every recovery code used are
written to the audit log with the user as actor.
"""

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.audit.services import audit_record
from backend.common.errors import ServiceValidationError

from .models import User

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# RFC 4226 asks for at least 128 bits of shared secret; django-otp stores up to 40 bytes.
SECRET_MIN_BYTES = 16
SECRET_MAX_BYTES = 40
_BASE32 = re.compile(r"^[A-Z2-7]+=*$")


def mfa_required_for(user: Any) -> bool:
    """True for an active staff member while STAFF_MFA_REQUIRED is on."""
    return bool(getattr(settings, "STAFF_MFA_REQUIRED", False)) and bool(
        getattr(user, "is_care_staff", False)
    )


def totp_secret_to_hex(secret: str) -> str:
    """A base32 secret as people type it (any case, spaces or dashes in groups, padding left
    out) -> the hex key django-otp stores. ServiceValidationError on anything else."""
    cleaned = re.sub(r"[\s-]", "", secret or "").upper()
    if not cleaned or not _BASE32.match(cleaned):
        raise ServiceValidationError(
            "totp_secret", "Not a base32 secret: use the letters A-Z and digits 2-7 only."
        )
    cleaned = cleaned.rstrip("=")
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise ServiceValidationError("totp_secret", "Not a valid base32 secret.") from None
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise ServiceValidationError(
            "totp_secret",
            f"A TOTP secret must hold {SECRET_MIN_BYTES}-{SECRET_MAX_BYTES} bytes "
            f"({(SECRET_MIN_BYTES * 8 + 4) // 5}-{SECRET_MAX_BYTES * 8 // 5} base32 characters).",
        )
    return key.hex()


def totp_secret_base32(device: TOTPDevice) -> str:
    """The device's secret as an authenticator app takes it (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def totp_secret_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, easier to copy by hand."""
    secret = totp_secret_base32(device)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_otpauth_uri(device: TOTPDevice) -> str:
    """otpauth://totp/... for an authenticator app (issuer from OTP_TOTP_ISSUER)."""
    return str(device.config_url)


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def has_confirmed_totp_device(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def totp_device_provision(*, user: User, secret: str, via: str = "create_staff") -> TOTPDevice:
    """A confirmed TOTP device with a secret chosen by whoever provisions the account (the
    user's other TOTP devices are replaced). Audited as an enrolment."""
    key = totp_secret_to_hex(secret)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True
        )
        audit_record(
            actor=user,
            action="mfa.enrolled",
            detail={"device": "totp", "via": via},
        )
    return device


def totp_enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device a staff member is enrolling on first sign-in (kept across page
    loads, so the secret they already scanned stays valid)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device being enrolled with a code it produced. Returns the new recovery
    codes (shown once, never stored in the clear anywhere else), or None when the code is
    wrong (audited as a failed code)."""
    token = _normalise(token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not token.isdigit() or not device.verify_token(token):
            audit_record(
                actor=user,
                action="mfa.failed",
                detail={"device": "totp", "stage": "enrolment"},
            )
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = recovery_codes_issue(user=user)
        audit_record(
            actor=user,
            action="mfa.enrolled",
            detail={"device": "totp", "via": "first_sign_in", "recovery_codes": len(codes)},
        )
    return codes


def recovery_codes_issue(*, user: User, count: int | None = None) -> list[str]:
    """New one-time recovery codes; any earlier ones stop working."""
    count = count or settings.STAFF_MFA_RECOVERY_CODES
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def otp_verify(*, user: User, token: str, surface: str) -> Device | None:
    """The confirmed device that accepts `token` (a TOTP code, or a recovery code, which is
    then used up), or None. A refusal and a recovery code's use are audited."""
    token = _normalise(token)
    matched: Device | None = None
    with transaction.atomic():
        if token:
            candidates: Iterable[Device] = (
                TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update()
                if token.isdigit()
                else StaticDevice.objects.devices_for_user(user, confirmed=True)
                .select_for_update()
                .order_by("pk")
            )
            for device in candidates:
                if device.verify_token(token.lower() if not token.isdigit() else token):
                    matched = device
                    break
        if matched is None:
            audit_record(
                actor=user,
                action="mfa.failed",
                detail={"surface": surface, "reason": "missing" if not token else "wrong"},
            )
        elif isinstance(matched, StaticDevice):
            audit_record(
                actor=user,
                action="mfa.recovery_code_used",
                detail={"surface": surface, "remaining": matched.token_set.count()},
            )
    return matched


def _normalise(token: str) -> str:
    """Codes are typed with spaces or dashes now and then ("123 456")."""
    return re.sub(r"[\s-]", "", token or "")[:64]

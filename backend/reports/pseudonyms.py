"""Stable study ids for pseudonymised exports.

A study id is `S-` and the first 12 base32 characters (60 bits) of the HMAC-SHA256 of the
patient's id under EXPORT_PSEUDONYM_KEY: the same patient has the same id in every export made
with the same key, two patients collide with odds of about n^2 / 2^61, and without the key the
id says nothing about the patient (not even their UUID, which the service's API would answer
to). A plan's id is pseudonymised the same way (`P-`), so a dose file does not carry the
service's own plan ids either. Rotating the key changes every id (old files no longer link).
"""

import base64
import hashlib
import hmac
from typing import Any

from django.conf import settings

from backend.common.errors import ServiceValidationError

STUDY_ID_LENGTH = 12


def pseudonym_key_check() -> None:
    """Refuse a pseudonymised export on a server without a key (production leaves it unset
    rather than fall back to the public development default)."""
    if not settings.EXPORT_PSEUDONYM_KEY:
        raise ServiceValidationError(
            "pseudonymised",
            "Pseudonymised exports need EXPORT_PSEUDONYM_KEY set on the server; ask an "
            "administrator.",
        )


def _pseudonym(prefix: str, value: Any) -> str:
    key = settings.EXPORT_PSEUDONYM_KEY.encode()
    digest = hmac.new(key, f"{prefix}:{value}".encode(), hashlib.sha256).digest()
    return prefix + "-" + base64.b32encode(digest).decode("ascii")[:STUDY_ID_LENGTH]


def study_id(patient_id: Any) -> str:
    """`S-` + 12 base32 characters, the same for a patient in every export."""
    return _pseudonym("S", patient_id)


def study_plan_id(plan_id: Any) -> str:
    """`P-` + 12 base32 characters, the same for a plan in every export."""
    return _pseudonym("P", plan_id)

"""The one way to write to the audit log."""

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request

from backend.accounts.models import Patient, User

from .context import current_origin, request_origin
from .models import AuditEvent


def _request_origin(request: HttpRequest | Request | None) -> tuple[str | None, str]:
    if request is None:
        return current_origin()
    return request_origin(request._request if isinstance(request, Request) else request)


def audit_record(
    *,
    actor: User | None,
    action: str,
    patient: Patient | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | Request | None = None,
) -> AuditEvent:
    address, user_agent = _request_origin(request)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_username=getattr(actor, "username", "") or "",
        actor_role=getattr(actor, "role", "") or "",
        action=action,
        patient=patient,
        detail=detail or {},
        ip_address=address,
        user_agent=user_agent,
    )


def audit_record_patient_reads(
    *,
    actor: User,
    patients: Iterable[Patient],
    action: str,
    request: HttpRequest | Request | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Record a staff member's read of each patient's data (a patient reading their own data is
    not audited). Returns how many events were written."""
    if not getattr(actor, "is_care_staff", False):
        return 0
    address, user_agent = _request_origin(request)
    events = [
        AuditEvent(
            actor=actor,
            actor_username=actor.username,
            actor_role=actor.role,
            action=action,
            patient=patient,
            detail=detail or {},
            ip_address=address,
            user_agent=user_agent,
        )
        for patient in patients
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)

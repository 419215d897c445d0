"""The one way to write to the audit log. Where a change came from (client address and user
agent) is read from the request being served (context.current_origin), never passed in."""

from collections.abc import Iterable
from typing import Any

from backend.accounts.models import Patient, User

from .context import current_origin
from .models import AuditEvent


def audit_record(
    *,
    actor: User | None,
    action: str,
    patient: Patient | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    address, user_agent = current_origin()
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
    detail: dict[str, Any] | None = None,
) -> int:
    """Record a staff member's read of each patient's data (a patient reading their own data is
    not audited). Returns how many events were written."""
    if not getattr(actor, "is_care_staff", False):
        return 0
    address, user_agent = current_origin()
    return AuditEvent.objects.add_patient_reads(
        patient_ids=[patient.pk for patient in patients],
        actor=actor,
        action=action,
        detail=detail or {},
        ip_address=address,
        user_agent=user_agent,
    )

"""The two patient lookups every view starts from, answering 404 (never 403) when the user may
not see the patient, so another team's patients look exactly like patients that do not exist."""

from typing import Any

from rest_framework.exceptions import NotFound

from backend.accounts.models import Patient
from backend.accounts.selectors import patient_of_user, patient_visible_to
from backend.api.requests import AuthenticatedRequest


def visible_patient_or_404(request: AuthenticatedRequest, patient_id: Any) -> Patient:
    patient = patient_visible_to(request.user, patient_id)
    if patient is None:
        raise NotFound()
    return patient


def own_patient_or_404(request: AuthenticatedRequest) -> Patient:
    """The signed-in patient's own record."""
    patient = patient_of_user(request.user)
    if patient is None:
        raise NotFound("No patient record for this account.")
    return patient

"""Tablet supply on the nurse's patient page (issue 22): the last count (when, by whom), the
tablets left and days left as the patient's phone shows them, and a form for nurses to record
a count (through backend.refills, which audits it)."""

import uuid
from typing import Any
from uuid import UUID

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from backend.accounts.models import Patient
from backend.common.errors import ServiceValidationError
from backend.refills.models import SupplySource
from backend.refills.selectors import SupplyStatus, supply_status
from backend.refills.services import MAX_TABLETS, tablet_supply_record

from ..access import StaffRequest, may_record_clinical_changes, staff_required


class SupplyCountForm(forms.Form):
    """Tablets on hand, one field per strength of the regimen in force. ``client_id`` is made
    when the form is shown, so sending the same form twice stores one count."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, strengths_mg: tuple[int, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for strength in strengths_mg:
            self.fields[f"count_{strength}"] = forms.IntegerField(
                label=f"{strength} mg tablets on hand",
                min_value=0,
                max_value=MAX_TABLETS,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
            )

    def counts(self) -> dict[str, int]:
        return {
            name.removeprefix("count_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("count_")
        }


def supply_form(status: SupplyStatus, data: Any = None) -> SupplyCountForm | None:
    if status.regimen is None:
        return None
    return SupplyCountForm(
        data, initial={"client_id": uuid.uuid4()}, strengths_mg=status.regimen.strengths_mg
    )


def supply_context(
    patient: Patient, user: object, form: SupplyCountForm | None = None
) -> dict[str, Any]:
    """What the page's "Tablet supply" section shows (its form for nurses and admins only)."""
    status = supply_status(patient)
    if not may_record_clinical_changes(user):
        return {"supply": status, "supply_form": None}
    return {"supply": status, "supply_form": form or supply_form(status)}


@require_POST
@staff_required
def supply_record_view(request: StaffRequest, patient_id: UUID) -> HttpResponse:
    # Imported here: the patient page's module imports this one for supply_context.
    from .patients import _page_or_404, _render_page

    page = _page_or_404(request, patient_id)
    if not may_record_clinical_changes(request.user):
        raise PermissionDenied("Only nurses and admins record tablet counts.")
    form = supply_form(supply_status(page.patient), request.POST)
    if form is None:
        raise PermissionDenied("The patient has no active plan to count tablets for.")
    if form.is_valid():
        try:
            tablet_supply_record(
                patient=page.patient,
                recorded_by=request.user,
                source=SupplySource.NURSE,
                counts=form.counts(),
                client_id=form.cleaned_data["client_id"],
            )
        except ServiceValidationError as error:
            field = f"count_{error.field.removeprefix('counts.')}" if error.field else None
            form.add_error(field if field in form.fields else None, error.reason)
        else:
            url = reverse("dashboard:patient", kwargs={"patient_id": page.patient.pk})
            return redirect(f"{url}#supply-heading")
    return _render_page(request, page, supply_form=form, status=400)

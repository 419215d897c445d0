"""Tablet supply over the API: the patient's own (/me/supply/) and a visible patient's for
their care team (/patients/<id>/supply/). Reads by staff are audited."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Patient
from backend.api.patient_lookups import own_patient_or_404, visible_patient_or_404
from backend.api.permissions import IsNurseOrAdmin, IsPatient, IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import AwareDateTimeField, StrictInputSerializer
from backend.audit.services import audit_record_patient_reads

from .models import SupplySource
from .selectors import SupplyStatus, supply_status
from .services import SupplyRecordResult, tablet_supply_record


class SupplyInput(StrictInputSerializer):
    client_id = serializers.UUIDField(
        required=False, help_text="Made on the phone for this count; a resend is recognised."
    )
    counted_at = AwareDateTimeField(
        required=False, help_text="When the tablets were counted (default: now)."
    )
    counts = serializers.DictField(
        child=serializers.JSONField(),
        help_text='Tablets on hand per strength in mg, e.g. {"100": 20, "400": 56}.',
    )


class SupplyTabletCountOutput(serializers.Serializer):
    strength_mg = serializers.IntegerField()
    count = serializers.IntegerField()


class StrengthSupplyOutput(serializers.Serializer):
    strength_mg = serializers.IntegerField()
    counted = serializers.IntegerField(allow_null=True)
    taken_since = serializers.IntegerField()
    left = serializers.IntegerField(allow_null=True)
    per_dose = serializers.IntegerField()
    per_day = serializers.IntegerField()
    days_left = serializers.IntegerField(allow_null=True)


class SupplyOutput(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    client_id = serializers.UUIDField(allow_null=True)
    counted_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField(), allow_null=True)
    counted_by = serializers.CharField(
        allow_null=True, help_text="patient or nurse: who recorded the count"
    )
    strengths = StrengthSupplyOutput(many=True)
    tablets_per_dose = SupplyTabletCountOutput(many=True)
    doses_per_day = serializers.IntegerField(allow_null=True)
    days_left = serializers.IntegerField(
        allow_null=True, help_text="Whole days of full doses left (rounded down)."
    )
    running_low = serializers.BooleanField()
    reminder_days = serializers.IntegerField()


def supply_output(status_: SupplyStatus) -> dict[str, Any]:
    supply, regimen = status_.supply, status_.regimen
    return SupplyOutput(
        {
            "id": supply.pk if supply else None,
            "client_id": supply.client_id if supply else None,
            "counted_at": supply.counted_at if supply else None,
            "counts": supply.counts if supply else None,
            "counted_by": supply.source if supply else None,
            "strengths": status_.strengths,
            "tablets_per_dose": regimen.tablets_per_dose if regimen else [],
            "doses_per_day": regimen.doses_per_day if regimen else None,
            "days_left": status_.days_left,
            "running_low": status_.running_low,
            "reminder_days": status_.reminder_days,
        }
    ).data


def _record(request: AuthenticatedRequest, patient: Patient, source: str) -> SupplyRecordResult:
    data = SupplyInput(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    return tablet_supply_record(
        patient=patient,
        recorded_by=request.user,
        source=source,
        counts=values["counts"],
        counted_at=values.get("counted_at"),
        client_id=values.get("client_id"),
    )


def _answer(patient: Patient, result: SupplyRecordResult) -> Response:
    return Response(
        supply_output(supply_status(patient)),
        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )


class MySupplyView(APIView):
    """The patient's tablets on hand: read what is left, record a count."""

    permission_classes = [IsPatient]

    @extend_schema(responses={200: SupplyOutput}, operation_id="me_supply")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(supply_output(supply_status(own_patient_or_404(request))))

    @extend_schema(
        request=SupplyInput,
        responses={201: SupplyOutput, 200: SupplyOutput},
        operation_id="me_supply_record",
        description="201: recorded. 200: this client_id was already recorded (stored once).",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        return _answer(patient, _record(request, patient, SupplySource.PATIENT))


class PatientSupplyView(APIView):
    """A visible patient's tablets on hand, for their care team; nurses record a count."""

    def get_permissions(self) -> list[Any]:
        return [IsStaffMember()] if self.request.method == "GET" else [IsNurseOrAdmin()]

    @extend_schema(responses={200: SupplyOutput}, operation_id="patient_supply")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        audit_record_patient_reads(actor=request.user, patients=[patient], action="supply.view")
        return Response(supply_output(supply_status(patient)))

    @extend_schema(
        request=SupplyInput,
        responses={201: SupplyOutput, 200: SupplyOutput},
        operation_id="patient_supply_record",
    )
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        return _answer(patient, _record(request, patient, SupplySource.NURSE))

"""HTTP edge for lab results: a nurse records results, staff list them, a lab system sends FHIR
R4 Observations."""

import codecs
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.utils import json
from rest_framework.views import APIView

from backend.accounts.selectors import local_today_in, patient_zone_periods
from backend.alerts.models import Alert
from backend.api.exceptions import NON_FIELD_KEYS
from backend.api.patient_lookups import visible_patient_or_404
from backend.api.permissions import IsNurseOrAdmin, IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer
from backend.audit.services import audit_record_patient_reads
from backend.common.errors import ServiceValidationError
from backend.guidelines.labs import TESTS

from . import fhir, services
from .models import LabResult, LabSource
from .selectors import lab_results_of_patient, reading_of


class LabResultOutput(serializers.ModelSerializer):
    value = serializers.FloatField(help_text="In the test's canonical unit (`unit`)")
    upper_limit_of_normal = serializers.FloatField(
        allow_null=True, help_text="Upper limit of normal, canonical unit; null when not given"
    )
    x_uln = serializers.SerializerMethodField(
        help_text="The value as a multiple of the upper limit of normal; null without one"
    )
    value_entered = serializers.FloatField()
    upper_limit_of_normal_entered = serializers.FloatField(allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = LabResult
        fields = [
            "id",
            "taken_on",
            "test",
            "value",
            "unit",
            "upper_limit_of_normal",
            "x_uln",
            "value_entered",
            "unit_entered",
            "upper_limit_of_normal_entered",
            "source",
            "external_id",
            "external_identifier",
            "client_id",
            "recorded_by",
            "recorded_at",
        ]
        extra_kwargs = {"unit": {"help_text": "The test's canonical unit"}}

    def get_x_uln(self, result: LabResult) -> float | None:
        return reading_of(result).x_uln


class LabAlertOutput(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="liver_hold or blood_count_hold")
    priority = serializers.CharField()
    status = serializers.CharField()

    class Meta:
        model = Alert
        fields = ["id", "kind", "priority", "status", "summary", "occurrences", "details"]


class LabRecordOutput(serializers.Serializer):
    results = LabResultOutput(many=True, help_text="The stored results, in the request's order")
    alerts = LabAlertOutput(
        many=True, help_text="Hold alerts these results raised or updated (urgent)"
    )


class LabItemInput(StrictInputSerializer):
    test = serializers.ChoiceField(choices=TESTS)
    value = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        help_text="A number in `unit` (more than 0; an ANC may be 0)",
    )
    unit = serializers.CharField(
        max_length=40,
        help_text="e.g. U/L, µkat/L (ALT, AST, ALP); µmol/L, mg/dL (bilirubin, creatinine); "
        "10^9/L, /µL (ANC, platelets); g/dL, g/L, mmol/L (haemoglobin); mL/min, mL/s (CrCl)",
    )
    upper_limit_of_normal = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text="In the same unit as the value; required for alt, ast and bilirubin_total",
    )


class LabRecordInput(StrictInputSerializer):
    client_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Optional: a resend with it stores nothing"
    )
    taken_on = serializers.DateField(help_text="The day the sample was taken (patient's date)")
    # With many=True, DRF hands min_length and max_length to the ListSerializer; the stub's
    # Serializer() does not list them.
    results = LabItemInput(  # type: ignore[call-arg]
        many=True, min_length=1, max_length=services.MAX_RESULTS_PER_REQUEST
    )


def _bracketed(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors with list items as ``results[1].unit`` (the FHIR path style)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            if key in NON_FIELD_KEYS:
                path = prefix
            elif key.isdigit():
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else key
            for field, reasons in _bracketed(value, path).items():
                out.setdefault(field, []).extend(reasons)
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, value in enumerate(detail):
            if value in ({}, [], None):
                continue
            for field, reasons in _bracketed(value, f"{prefix}[{index}]").items():
                out.setdefault(field, []).extend(reasons)
    elif isinstance(detail, list):
        out[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _record_response(result: services.LabRecordResult) -> Response:
    body = LabRecordOutput({"results": result.results, "alerts": result.alerts}).data
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return Response(body, status=code)


class PatientLabsView(APIView):
    """A patient's lab results for the care team; a nurse or admin records them."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsNurseOrAdmin()]
        return [IsStaffMember()]

    @extend_schema(responses={200: LabResultOutput(many=True)}, operation_id="patient_labs_list")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        audit_record_patient_reads(actor=request.user, patients=[patient], action="labs.view")
        return Response(LabResultOutput(lab_results_of_patient(patient), many=True).data)

    @extend_schema(
        request=LabRecordInput,
        responses={201: LabRecordOutput, 200: LabRecordOutput},
        operation_id="patient_labs_record",
        description="Results of one day, each converted to its test's canonical unit. 201 when "
        "something was stored, 200 when every result was already stored (a resend). A result "
        "beyond the label's hold thresholds raises an urgent hold alert; later results meeting "
        "the resume rule update it. Errors name the field as `results[i].unit`.",
    )
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        data = LabRecordInput(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(_bracketed(data.errors))
        values = data.validated_data
        result = services.lab_results_record(
            patient=patient,
            recorded_by=request.user,
            items=services.panel_inputs(values["taken_on"], values["results"]),
            source=LabSource.MANUAL,
            client_id=values.get("client_id"),
        )
        return _record_response(result)


# ---------------------------------------------------------------------------------- FHIR


class _DecimalJSONParser(JSONParser):
    """JSON with numbers kept as decimals (a FHIR decimal keeps its digits)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            decoded = codecs.getreader(encoding)(stream)
            # A StreamReader reads str, all json.load needs; the stub asks for IO[str].
            return json.load(decoded, parse_float=Decimal)  # type: ignore[arg-type]
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None


class FhirJSONParser(_DecimalJSONParser):
    media_type = "application/fhir+json"


class PlainJSONParser(_DecimalJSONParser):
    media_type = "application/json"


_OBSERVATION_EXAMPLE = {
    "resourceType": "Observation",
    "id": "lab-123",
    "identifier": [{"system": "urn:oid:1.2.3.4", "value": "123"}],
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6", "display": "ALT"}]},
    "subject": {"reference": "Patient/<patient id>"},
    "effectiveDateTime": "2026-05-04T08:30:00+02:00",
    "valueQuantity": {
        "value": 250,
        "unit": "U/L",
        "system": "http://unitsofmeasure.org",
        "code": "U/L",
    },
    "referenceRange": [{"high": {"value": 40, "unit": "U/L"}}],
}


class PatientFhirObservationView(APIView):
    """FHIR R4 Observations from a lab system (one, or a Bundle of them)."""

    permission_classes = [IsNurseOrAdmin]
    parser_classes = [FhirJSONParser, PlainJSONParser]

    @extend_schema(
        request={
            "application/fhir+json": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={
            201: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A FHIR Bundle of type batch-response (transaction-response for "
                "a transaction), one entry per Observation in order, each with "
                "`response.status` `201 Created` (stored now) or `200 OK` (already stored) "
                "and `response.location` `urn:uuid:<lab result id>`.",
            ),
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="The same Bundle when every one was stored."
            ),
        },
        examples=[OpenApiExample("ALT", value=_OBSERVATION_EXAMPLE, request_only=True)],
        operation_id="patient_fhir_observation",
        description="One R4 Observation, or a Bundle (batch, transaction or collection) of "
        "them, with LOINC codes, valueQuantity, effectiveDateTime (or effectivePeriod.start, "
        "or issued) and referenceRange[0].high as the upper limit of normal; status final, "
        "amended or corrected. All or nothing: a malformed element is a 400 whose error "
        "`field` is the element's path (e.g. `entry[2].resource.valueQuantity.value`) and "
        "nothing is stored. See docs/subsystems/labs.md.",
    )
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        periods = patient_zone_periods(patient)
        try:
            parsed = fhir.observations_from(
                request.data,
                patient_id=str(patient.pk),
                local_date=lambda instant: local_today_in(periods, instant),
            )
        except fhir.FhirInvalid as error:
            raise ServiceValidationError(error.path, error.reason) from None
        result = services.lab_results_record(
            patient=patient,
            recorded_by=request.user,
            items=parsed.inputs,
            source=LabSource.FHIR,
        )
        response_type = "transaction-response" if parsed.kind == "transaction" else "batch-response"
        bundle = {
            "resourceType": "Bundle",
            "type": response_type,
            "entry": [
                {
                    "response": {
                        "status": "201 Created" if created else "200 OK",
                        "location": f"urn:uuid:{stored.pk}",
                    }
                }
                for stored, created in result.items
            ],
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(bundle, status=code)

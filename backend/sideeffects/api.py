"""HTTP edge for side effects: the catalogue, patients' reports, nurses' grades."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.alerts.selectors import care_team_responses
from backend.api.patient_lookups import own_patient_or_404, visible_patient_or_404
from backend.api.permissions import IsNurseOrAdmin, IsPatient, IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer
from backend.audit.services import audit_record_patient_reads
from backend.guidelines import ATTRIBUTES, RECALL_PERIOD, symptom_catalogue

from . import services
from .models import ClinicianAssessment, SideEffectReport, WeightMeasurement
from .selectors import (
    report_visible_to,
    report_with_assessments,
    reports_of_patient,
    weight_baseline,
    weights_of_patient,
)


class SymptomCatalogueView(APIView):
    """What to ask for each symptom, with the answer words (recall: the last 7 days)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="symptoms_catalogue")
    def get(self, request: Request) -> Response:
        return Response({"recall_period": RECALL_PERIOD, "symptoms": symptom_catalogue()})


class AssessmentOutput(serializers.ModelSerializer):
    assessed_by = serializers.CharField(source="assessed_by.username")

    class Meta:
        model = ClinicianAssessment
        fields = ["ctcae_grade", "ctcae_term", "note", "assessed_by", "created_at"]


class ReportOutput(serializers.ModelSerializer):
    """Patient-reported scores and clinician grades side by side, never merged."""

    clinician_grade = serializers.SerializerMethodField(
        help_text="Latest CTCAE v5.0 grade given by a clinician, or null"
    )
    assessments = AssessmentOutput(many=True, read_only=True)
    red_flag = serializers.SerializerMethodField(
        help_text="True when the report raised a red flag (an urgent alert)"
    )
    care_team_response = serializers.SerializerMethodField(
        help_text="How far the care team has got with the alerts this report fed, or null when "
        "it fed none: {status: told | seen | resolved, seen_at, resolved_at, outcome (the "
        "resolving nurse's outcome code, when resolved), call_requested_at (a nurse asked the "
        "patient to phone)}."
    )

    class Meta:
        model = SideEffectReport
        fields = [
            "id",
            "client_id",
            "symptom",
            "patient_scores",
            "patient_level",
            "composite_grade",
            "red_flag",
            "red_flags",
            "onset_date",
            "note",
            "weight_kg",
            "reported_at",
            "care_team_alerted",
            "care_team_response",
            "patient_instruction",
            "clinician_grade",
            "assessments",
        ]
        extra_kwargs = {
            "patient_level": {
                "help_text": "The highest PRO-CTCAE answer (0-4), patient-reported; not a CTCAE "
                "grade."
            },
            "composite_grade": {
                "help_text": "PRO-CTCAE composite grade 0-3 (Basch 2021), patient-reported; "
                "null for yes/no items; not a CTCAE grade."
            },
            "patient_instruction": {
                "help_text": "What the patient is told to do: {level: emergency | call_now | "
                "contact_soon | self_care, text, phone, emergency_number}."
            },
            "care_team_alerted": {
                "help_text": "True when this report opened or added to an alert for the care "
                "team (the same answer on a resend)."
            },
        }

    def get_red_flag(self, report: SideEffectReport) -> bool:
        return bool(report.red_flags)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "status": {"type": "string", "enum": ["told", "seen", "resolved"]},
                "seen_at": {"type": "string", "format": "date-time", "nullable": True},
                "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
                "outcome": {"type": "string", "nullable": True},
                "call_requested_at": {"type": "string", "format": "date-time", "nullable": True},
            },
        }
    )
    def get_care_team_response(self, report: SideEffectReport) -> dict | None:
        return self.context.get("care_team_responses", {}).get(str(report.pk))

    def get_clinician_grade(self, report: SideEffectReport) -> int | None:
        assessments = list(report.assessments.all())
        return assessments[-1].ctcae_grade if assessments else None


def _with_responses(patient: Any, reports: list[SideEffectReport]) -> dict[str, Any]:
    """The serializer context carrying the care team's responses to these reports."""
    since = min((report.reported_at for report in reports), default=None)
    return {
        "care_team_responses": care_team_responses(
            patient, [report.pk for report in reports], since
        )
    }


class AnswersInput(StrictInputSerializer):
    frequency = serializers.JSONField(required=False)
    severity = serializers.JSONField(required=False)
    interference = serializers.JSONField(required=False)
    present = serializers.JSONField(required=False, help_text="Same as presence")
    presence = serializers.JSONField(required=False, help_text="The catalogue's name for it")
    body_area = serializers.JSONField(required=False, help_text="Rash: 0 <10%, 1 10-30%, 2 >30%")
    blisters = serializers.JSONField(required=False, help_text="Rash: blisters or peeling skin")
    mouth_eye_sores = serializers.JSONField(required=False, help_text="Rash: mouth or eye sores")
    fever = serializers.JSONField(required=False, help_text="Rash: fever of 38 °C or more")


class ReportInput(StrictInputSerializer):
    client_id = serializers.UUIDField()
    symptom = serializers.CharField(max_length=40)
    answers = AnswersInput()
    onset_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    weight_kg = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=20,
        max_value=400,
        required=False,
        allow_null=True,
    )


def _answers(raw: dict[str, Any]) -> dict[str, Any]:
    # The API says "present" (as the product issue does); the catalogue says "presence".
    if "present" in raw and "presence" in raw:
        raise serializers.ValidationError(
            {"answers.present": ["Give either present or presence, not both."]}
        )
    return {("presence" if key == "present" else key): value for key, value in raw.items()}


class MySideEffectsView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(responses={200: ReportOutput(many=True)}, operation_id="me_side_effects_list")
    def get(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        reports = list(reports_of_patient(patient))
        context = _with_responses(patient, reports)
        return Response(ReportOutput(reports, many=True, context=context).data)

    @extend_schema(
        request=ReportInput,
        responses={201: ReportOutput, 200: ReportOutput},
        operation_id="me_side_effects_report",
        description=f"Answers use 0-4 scores for {', '.join(ATTRIBUTES)}; see /api/v1/symptoms/.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.side_effect_report_record(
            patient=patient,
            reported_by=request.user,
            client_id=values["client_id"],
            symptom=values["symptom"],
            answers=_answers(dict(values["answers"])),
            onset_date=values.get("onset_date"),
            note=values.get("note") or "",
            weight_kg=values.get("weight_kg"),
        )
        report = report_with_assessments(result.report.pk)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        context = _with_responses(patient, [report])
        return Response(ReportOutput(report, context=context).data, status=code)


class PatientSideEffectsView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses={200: ReportOutput(many=True)}, operation_id="patient_side_effects")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        audit_record_patient_reads(
            actor=request.user, patients=[patient], action="side_effects.view"
        )
        return Response(ReportOutput(reports_of_patient(patient), many=True).data)


class AssessmentInput(StrictInputSerializer):
    grade = serializers.JSONField(help_text="CTCAE v5.0 grade, 1-5")
    ctcae_term = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text="The CTCAE v5.0 term graded (see ctcae_terms in /api/v1/symptoms/); blank: "
        "the symptom's usual term when the grade is one it defines",
    )
    term = serializers.CharField(
        max_length=80, required=False, allow_blank=True, help_text="Same as ctcae_term"
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("term") and attrs.get("ctcae_term"):
            raise serializers.ValidationError({"term": ["Give either term or ctcae_term."]})
        if "term" in attrs:
            attrs["ctcae_term"] = attrs.pop("term")
        return attrs


class AssessedReportOutput(ReportOutput):
    advice = serializers.JSONField(
        help_text="The advice now on the patient's alerts about this symptom, based on the grade"
    )

    class Meta(ReportOutput.Meta):
        fields = [*ReportOutput.Meta.fields, "advice"]


class AssessmentView(APIView):
    """A nurse grades a report (CTCAE v5.0); a grade of 3 or more raises an alert, and the
    advice on the patient's alerts about the symptom then rests on the grade."""

    permission_classes = [IsNurseOrAdmin]

    @extend_schema(
        request=AssessmentInput,
        responses={201: AssessedReportOutput},
        operation_id="side_effect_assess",
    )
    def post(self, request: AuthenticatedRequest, report_id: Any) -> Response:
        report = report_visible_to(request.user, report_id)
        if report is None:
            raise NotFound()
        data = AssessmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.clinician_assessment_record(
            report=report,
            assessed_by=request.user,
            grade=data.validated_data["grade"],
            ctcae_term=data.validated_data.get("ctcae_term") or None,
            note=data.validated_data.get("note") or "",
        )
        report = report_with_assessments(report.pk)
        return Response(
            {**ReportOutput(report).data, "advice": result.advice},
            status=status.HTTP_201_CREATED,
        )


# ---------------------------------------------------------------------------------- weights


class WeightOutput(serializers.ModelSerializer):
    change_from_baseline_kg = serializers.SerializerMethodField()
    change_from_baseline_percent = serializers.SerializerMethodField()

    class Meta:
        model = WeightMeasurement
        fields = [
            "id",
            "client_id",
            "weight_kg",
            "measured_on",
            "measured_at",
            "source",
            "is_baseline",
            "change_from_baseline_kg",
            "change_from_baseline_percent",
        ]

    def _baseline(self) -> WeightMeasurement | None:
        return self.context.get("baseline")

    def get_change_from_baseline_kg(self, weight: WeightMeasurement) -> str | None:
        baseline = self._baseline()
        if baseline is None:
            return None
        return str(weight.weight_kg - baseline.weight_kg)

    def get_change_from_baseline_percent(self, weight: WeightMeasurement) -> float | None:
        baseline = self._baseline()
        if baseline is None:
            return None
        return round(float((weight.weight_kg - baseline.weight_kg) / baseline.weight_kg * 100), 1)


class WeightInput(StrictInputSerializer):
    client_id = serializers.UUIDField()
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=20, max_value=400
    )
    measured_on = serializers.DateField(required=False, allow_null=True)


class StaffWeightInput(WeightInput):
    baseline = serializers.BooleanField(
        required=False, default=False, help_text="Make this weight the new baseline"
    )


def _weights_response(patient: Any) -> Response:
    baseline = weight_baseline(patient)
    weights = weights_of_patient(patient)[:500]
    return Response(WeightOutput(weights, many=True, context={"baseline": baseline}).data)


def _weight_post(request: AuthenticatedRequest, patient: Any, data: WeightInput) -> Response:
    data.is_valid(raise_exception=True)
    values = data.validated_data
    result = services.weight_record(
        patient=patient,
        recorded_by=request.user,
        client_id=values["client_id"],
        weight_kg=values["weight_kg"],
        measured_on=values.get("measured_on"),
        baseline=values.get("baseline", False),
    )
    output = WeightOutput(result.weight, context={"baseline": weight_baseline(patient)})
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return Response(output.data, status=code)


class MyWeightsView(APIView):
    """The patient's weights, newest first; the first one is the baseline."""

    permission_classes = [IsPatient]

    @extend_schema(responses={200: WeightOutput(many=True)}, operation_id="me_weights_list")
    def get(self, request: AuthenticatedRequest) -> Response:
        return _weights_response(own_patient_or_404(request))

    @extend_schema(
        request=WeightInput,
        responses={201: WeightOutput, 200: WeightOutput},
        operation_id="me_weights_record",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        return _weight_post(request, patient, WeightInput(data=request.data))


class PatientWeightsView(APIView):
    """A patient's weights for the care team; a nurse may record one (and set the baseline)."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsNurseOrAdmin()]
        return [IsStaffMember()]

    @extend_schema(responses={200: WeightOutput(many=True)}, operation_id="patient_weights_list")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        audit_record_patient_reads(actor=request.user, patients=[patient], action="weights.view")
        return _weights_response(patient)

    @extend_schema(
        request=StaffWeightInput,
        responses={201: WeightOutput, 200: WeightOutput},
        operation_id="patient_weights_record",
    )
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        return _weight_post(request, patient, StaffWeightInput(data=request.data))

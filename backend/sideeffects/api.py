"""HTTP edge for side effects: the catalogue, patients' reports, nurses' grades."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.selectors import patients_visible_to
from backend.api.lookups import own_patient_or_404, visible_patient_or_404
from backend.api.permissions import IsNurseOrAdmin, IsPatient, IsStaffMember
from backend.api.serializers import StrictInputSerializer
from backend.audit.services import audit_record_patient_reads
from backend.guidelines import ATTRIBUTES, RECALL_PERIOD, symptom_catalogue

from . import services
from .models import ClinicianAssessment, SideEffectReport
from .selectors import reports_of_patient


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
        fields = ["ctcae_grade", "note", "assessed_by", "created_at"]


class ReportOutput(serializers.ModelSerializer):
    """Patient-reported scores and clinician grades side by side, never merged."""

    clinician_grade = serializers.SerializerMethodField(
        help_text="Latest CTCAE v5.0 grade given by a clinician, or null"
    )
    assessments = AssessmentOutput(many=True, read_only=True)

    class Meta:
        model = SideEffectReport
        fields = [
            "id",
            "client_id",
            "symptom",
            "patient_scores",
            "patient_level",
            "onset_date",
            "note",
            "weight_kg",
            "reported_at",
            "care_team_alerted",
            "clinician_grade",
            "assessments",
        ]
        extra_kwargs = {
            "care_team_alerted": {
                "help_text": "True when this report opened or added to an alert for the care "
                "team (the same answer on a resend)."
            }
        }

    def get_clinician_grade(self, report: SideEffectReport) -> int | None:
        assessments = list(report.assessments.all())
        return assessments[-1].ctcae_grade if assessments else None


class AnswersInput(StrictInputSerializer):
    frequency = serializers.JSONField(required=False)
    severity = serializers.JSONField(required=False)
    interference = serializers.JSONField(required=False)
    present = serializers.JSONField(required=False, help_text="Same as presence")
    presence = serializers.JSONField(required=False, help_text="The catalogue's name for it")


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
    def get(self, request: Request) -> Response:
        patient = own_patient_or_404(request)
        return Response(ReportOutput(reports_of_patient(patient), many=True).data)

    @extend_schema(
        request=ReportInput,
        responses={201: ReportOutput, 200: ReportOutput},
        operation_id="me_side_effects_report",
        description=f"Answers use 0-4 scores for {', '.join(ATTRIBUTES)}; see /api/v1/symptoms/.",
    )
    def post(self, request: Request) -> Response:
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
        report = SideEffectReport.objects.prefetch_related("assessments").get(pk=result.report.pk)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ReportOutput(report).data, status=code)


class PatientSideEffectsView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses={200: ReportOutput(many=True)}, operation_id="patient_side_effects")
    def get(self, request: Request, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        audit_record_patient_reads(
            actor=request.user, patients=[patient], action="side_effects.view", request=request
        )
        return Response(ReportOutput(reports_of_patient(patient), many=True).data)


class AssessmentInput(StrictInputSerializer):
    grade = serializers.JSONField(help_text="CTCAE v5.0 grade, 1-5")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class AssessmentView(APIView):
    """A nurse grades a report (CTCAE v5.0); a grade of 3 or more raises an alert."""

    permission_classes = [IsNurseOrAdmin]

    @extend_schema(
        request=AssessmentInput, responses={201: ReportOutput}, operation_id="side_effect_assess"
    )
    def post(self, request: Request, report_id: Any) -> Response:
        report = (
            SideEffectReport.objects.filter(
                pk=report_id, patient__in=patients_visible_to(request.user)
            )
            .select_related("patient__care_team")
            .first()
        )
        if report is None:
            raise NotFound()
        data = AssessmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.clinician_assessment_record(
            report=report,
            assessed_by=request.user,
            grade=data.validated_data["grade"],
            note=data.validated_data.get("note") or "",
        )
        report = SideEffectReport.objects.prefetch_related("assessments").get(pk=report.pk)
        return Response(ReportOutput(report).data, status=status.HTTP_201_CREATED)

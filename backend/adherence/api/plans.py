"""HTTP edge for treatment plans and for the guideline recommendation they start from."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Patient
from backend.api.patient_lookups import own_patient_or_404, visible_patient_or_404
from backend.api.permissions import IsNurseOrAdmin, IsPatient, IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer
from backend.audit.services import audit_record_patient_reads
from backend.guidelines import CaseInvalid

from ..guideline import guideline_recommendation
from ..models import PlanRevision, TreatmentPlan
from ..selectors.plans import (
    PlanSummary,
    plan_current,
    plan_hold_of_plan,
    plan_summary,
    plans_of_patient,
    revision_tablets_per_dose,
)
from ..services import plans as plan_services

# ---------------------------------------------------------------- guideline recommendation


class GuidelineRecommendationView(APIView):
    """The guideline module's suggestion for a clinical case (the same function as
    `manage.py guideline`). Only suggests: a clinician confirms or overrides every plan."""

    permission_classes = [IsStaffMember]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        operation_id="guidelines_recommendation",
        description="Body: the case object (setting, site, size_cm, mitoses_per_50hpf, rupture, "
        "mutation, age_years, start_date, profile; optional plan-time safety fields "
        "creatinine_clearance_ml_min, hepatic_impairment, comedications, surgery_date, "
        "resection_margin, thyroidectomy, hbv_status, pregnant_or_planning). See "
        "docs/guidelines.md.",
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"case": ["Send the case as a JSON object."]})
        try:
            return Response(guideline_recommendation(request.data))
        except CaseInvalid as error:
            raise ValidationError({error.field: [error.reason]}) from None


def tablet_strengths_input() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=2,
        required=False,
        help_text="The tablet strengths the patient has, in mg (100, 400); default: those the "
        "fewest tablets of a dose use.",
    )


# ---------------------------------------------------------------- plan output


class TabletCountOutput(serializers.Serializer):
    strength_mg = serializers.IntegerField()
    count = serializers.IntegerField()


class RevisionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    effective_date = serializers.DateField()
    dose_mg_per_day = serializers.IntegerField()
    doses_per_day = serializers.IntegerField()
    dose_times = serializers.ListField(child=serializers.CharField())
    tablet_strengths_mg = serializers.ListField(child=serializers.IntegerField())
    tablets_per_dose = serializers.SerializerMethodField(
        help_text="One dose as tablets of the regimen's strengths (empty if they cannot make it)."
    )
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()

    @extend_schema_field(TabletCountOutput(many=True))
    def get_tablets_per_dose(self, revision: PlanRevision) -> list[dict[str, int]]:
        return revision_tablets_per_dose(revision)


class HoldOutput(serializers.Serializer):
    id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()


class GuidelineOutput(serializers.Serializer):
    version = serializers.CharField(source="guideline_version")
    decision = serializers.CharField(source="recommendation.decision")
    risk = serializers.JSONField(source="recommendation.risk")
    dose_mg_per_day = serializers.IntegerField(
        source="recommendation.dose_mg_per_day", allow_null=True
    )
    doses_per_day = serializers.IntegerField(source="recommendation.doses_per_day", allow_null=True)
    duration_months = serializers.IntegerField(
        source="recommendation.duration_months", allow_null=True
    )
    planned_end_date = serializers.DateField(
        source="recommendation.planned_end_date", allow_null=True
    )
    review_points = serializers.JSONField(source="recommendation.review_points")
    reasons = serializers.JSONField(source="recommendation.reasons")
    case = serializers.JSONField()


class PlanOutput(serializers.Serializer):
    id = serializers.UUIDField(source="plan.id")
    patient_id = serializers.UUIDField(source="plan.patient_id")
    state = serializers.ChoiceField(choices=["active", "on_hold", "completed", "stopped"])
    setting = serializers.CharField(source="plan.setting")
    start_date = serializers.DateField(source="plan.start_date")
    duration_months = serializers.IntegerField(source="plan.duration_months", allow_null=True)
    planned_end_date = serializers.DateField(source="plan.planned_end_date", allow_null=True)
    today = serializers.DateField(help_text="The patient's local date the figures are for.")
    day_of_plan = serializers.IntegerField(allow_null=True, help_text="Day X of Y")
    total_days = serializers.IntegerField(allow_null=True, help_text="Y; null when indefinite")
    days_remaining = serializers.IntegerField(source="exposure.days_remaining", allow_null=True)
    days_on_drug = serializers.IntegerField(source="exposure.days_on_drug")
    held_days = serializers.IntegerField(source="exposure.held_days_so_far")
    dose_mg_per_day = serializers.IntegerField(source="current_revision.dose_mg_per_day")
    doses_per_day = serializers.IntegerField(source="current_revision.doses_per_day")
    dose_times = serializers.ListField(
        source="current_revision.dose_times", child=serializers.CharField()
    )
    flags = serializers.ListField(child=serializers.CharField())
    guideline = GuidelineOutput(source="plan")
    override = serializers.JSONField(source="plan.override", allow_null=True)
    revisions = RevisionOutput(many=True)
    holds = HoldOutput(many=True)
    created_by = serializers.CharField(source="plan.created_by.username")
    created_at = serializers.DateTimeField(source="plan.created_at")
    stopped_at = serializers.DateTimeField(source="plan.stopped_at", allow_null=True)
    stop_reason = serializers.CharField(source="plan.stop_reason")


def _plan_response(plan: TreatmentPlan, status_code: int = status.HTTP_200_OK) -> Response:
    fresh = TreatmentPlan.objects.select_related("patient", "created_by").get(pk=plan.pk)
    summary: PlanSummary = plan_summary(fresh)
    return Response(PlanOutput(summary).data, status=status_code)


def _active_plan(patient: Patient) -> TreatmentPlan:
    plan = plan_current(patient)
    if plan is None:
        raise NotFound("This patient has no treatment plan.")
    return plan


# ---------------------------------------------------------------- plan input


class OverrideInput(StrictInputSerializer):
    dose_mg_per_day = serializers.IntegerField(required=False)
    doses_per_day = serializers.IntegerField(required=False)
    duration_months = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class PlanCreateInput(StrictInputSerializer):
    case = serializers.JSONField(help_text="The guideline case object.")
    dose_times = serializers.ListField(
        child=serializers.CharField(max_length=5),
        min_length=1,
        max_length=2,
        help_text='Local times, one per daily dose, e.g. ["08:00"] or ["08:00", "20:00"].',
    )
    override = OverrideInput(required=False, allow_null=True)
    tablet_strengths_mg = tablet_strengths_input()

    def validate_case(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class HoldInput(StrictInputSerializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class HoldEndInput(StrictInputSerializer):
    end_date = serializers.DateField()


class RevisionInput(StrictInputSerializer):
    dose_mg_per_day = serializers.IntegerField()
    doses_per_day = serializers.IntegerField(required=False)
    dose_times = serializers.ListField(
        child=serializers.CharField(max_length=5), min_length=1, max_length=2
    )
    effective_date = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=2000)
    tablet_strengths_mg = tablet_strengths_input()


class CaseUpdateInput(StrictInputSerializer):
    case = serializers.JSONField(
        help_text="The case fields to add or change (null removes one); not setting or start_date."
    )
    reason = serializers.CharField(max_length=2000)

    def validate_case(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class StopInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------- plan views


class PatientPlansView(APIView):
    """A patient's plans (history); nurses and admins create a new plan from a case."""

    def get_permissions(self):
        return [IsNurseOrAdmin()] if self.request.method == "POST" else [IsStaffMember()]

    @extend_schema(responses={200: PlanOutput(many=True)}, operation_id="patient_plans_list")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        audit_record_patient_reads(actor=request.user, patients=[patient], action="plan.list")
        plans = [plan_summary(plan) for plan in plans_of_patient(patient)]
        return Response(PlanOutput(plans, many=True).data)

    @extend_schema(
        request=PlanCreateInput,
        responses={201: PlanOutput, 409: None},
        operation_id="patient_plans_create",
    )
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        data = _valid(PlanCreateInput, request.data)
        plan = plan_services.plan_create(
            patient=patient,
            created_by=request.user,
            case=data["case"],
            dose_times=data["dose_times"],
            override=dict(data["override"]) if data.get("override") else None,
            tablet_strengths_mg=data.get("tablet_strengths_mg"),
        )
        return _plan_response(plan, status.HTTP_201_CREATED)


class PatientPlanView(APIView):
    """The patient's current plan: the active one, else the latest."""

    permission_classes = [IsStaffMember]

    @extend_schema(responses={200: PlanOutput}, operation_id="patient_plan_current")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        plan = _active_plan(patient)
        audit_record_patient_reads(actor=request.user, patients=[patient], action="plan.view")
        return _plan_response(plan)


class PlanHoldsView(APIView):
    permission_classes = [IsNurseOrAdmin]

    @extend_schema(request=HoldInput, responses={201: PlanOutput}, operation_id="plan_hold_add")
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        plan = _active_plan(visible_patient_or_404(request, patient_id))
        data = _valid(HoldInput, request.data)
        plan_services.plan_hold_add(
            plan=plan,
            created_by=request.user,
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            reason=data["reason"],
        )
        return _plan_response(plan, status.HTTP_201_CREATED)


class PlanHoldEndView(APIView):
    permission_classes = [IsNurseOrAdmin]

    @extend_schema(request=HoldEndInput, responses={200: PlanOutput}, operation_id="plan_hold_end")
    def post(self, request: AuthenticatedRequest, patient_id: Any, hold_id: int) -> Response:
        plan = _active_plan(visible_patient_or_404(request, patient_id))
        hold = plan_hold_of_plan(plan, hold_id)
        if hold is None:
            raise NotFound()
        data = _valid(HoldEndInput, request.data)
        plan_services.plan_hold_end(hold=hold, ended_by=request.user, end_date=data["end_date"])
        return _plan_response(plan)


class PlanRevisionsView(APIView):
    permission_classes = [IsNurseOrAdmin]

    @extend_schema(request=RevisionInput, responses={201: PlanOutput}, operation_id="plan_revise")
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        plan = _active_plan(visible_patient_or_404(request, patient_id))
        data = _valid(RevisionInput, request.data)
        plan_services.plan_revise(
            plan=plan,
            created_by=request.user,
            dose_mg_per_day=data["dose_mg_per_day"],
            doses_per_day_count=data.get("doses_per_day"),
            dose_times=data["dose_times"],
            effective_date=data.get("effective_date"),
            reason=data["reason"],
            tablet_strengths_mg=data.get("tablet_strengths_mg"),
        )
        return _plan_response(plan, status.HTTP_201_CREATED)


class PlanCaseView(APIView):
    """Complete or correct the active plan's case (after a neoadjuvant resection: surgery_date,
    resection_margin, mitoses_per_50hpf; or kidney and liver function, comedications...): the
    guideline's recommendation is recomputed and kept; the duration follows it unless the
    clinician overrode it. The dose changes only through a revision."""

    permission_classes = [IsNurseOrAdmin]

    @extend_schema(request=CaseUpdateInput, responses={200: PlanOutput}, operation_id="plan_case")
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        plan = _active_plan(visible_patient_or_404(request, patient_id))
        data = _valid(CaseUpdateInput, request.data)
        plan_services.plan_case_update(
            plan=plan, changed_by=request.user, changes=data["case"], reason=data["reason"]
        )
        return _plan_response(plan)


class PlanStopView(APIView):
    permission_classes = [IsNurseOrAdmin]

    @extend_schema(request=StopInput, responses={200: PlanOutput}, operation_id="plan_stop")
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        plan = _active_plan(visible_patient_or_404(request, patient_id))
        data = _valid(StopInput, request.data)
        plan_services.plan_stop(plan=plan, stopped_by=request.user, reason=data["reason"])
        return _plan_response(plan)


class MyPlanView(APIView):
    """The signed-in patient's own plan."""

    permission_classes = [IsPatient]

    @extend_schema(responses={200: PlanOutput}, operation_id="me_plan")
    def get(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        return _plan_response(_active_plan(patient))

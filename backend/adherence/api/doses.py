"""HTTP edge for doses: the patient's schedule and logs, and adherence metrics."""

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.selectors import (
    patient_local_today,
    patient_time_zone_at,
)
from backend.accounts.services import patient_time_zone_change
from backend.api.patient_lookups import own_patient_or_404, visible_patient_or_404
from backend.api.permissions import IsPatient, IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import AwareDateTimeField, DateRangeInput, StrictInputSerializer
from backend.audit.services import audit_record_patient_reads

from ..metrics import AdherenceMetrics
from ..models import DoseState, DoseStatus, ScheduledDose, SkipReason
from ..selectors.doses import (
    MAX_RANGE_DAYS,
    CalendarDose,
    dose_calendar,
    patient_adherence,
    patient_dose_row,
)
from ..selectors.plans import plan_current, plan_summary, revision_tablets_per_dose
from ..services import dose_logs
from .plans import TabletCountOutput

# ---------------------------------------------------------------- shapes


class DoseLogOutput(serializers.ModelSerializer):
    """A dose's log: its ledger row once logged. `created_at` is when it was first logged;
    `updated_at` changes with every change to the log: a correction sends it back as
    `based_on`. After an undo the row is `pending` (or `missed`) with no client_id."""

    date = serializers.DateField(source="local_date")
    status = serializers.SerializerMethodField(
        help_text="taken, taken_late, skipped or missed (pending after an undo)"
    )
    created_at = serializers.DateTimeField(source="logged_at")
    updated_at = serializers.DateTimeField(
        help_text="The log as this answer has it: send it as `based_on` to correct or undo."
    )

    class Meta:
        model = ScheduledDose
        fields = [
            "id",
            "client_id",
            "date",
            "slot",
            "status",
            "taken_at",
            "late",
            "skip_reason",
            "note",
            "created_at",
            "updated_at",
        ]

    def get_status(self, log: ScheduledDose) -> str:
        if log.state == DoseState.TAKEN and log.late:
            return "taken_late"
        return log.state


class ScheduledDoseOutput(serializers.Serializer):
    date = serializers.DateField(source="dose.date")
    slot = serializers.IntegerField(source="dose.slot")
    local_time = serializers.TimeField(source="dose.local_time", format="%H:%M")
    time_zone = serializers.CharField(source="dose.time_zone")
    due_at = serializers.DateTimeField(source="dose.due_at")
    status = serializers.ChoiceField(
        choices=["taken", "taken_late", "skipped", "missed", "pending", "on_hold"]
    )
    log = DoseLogOutput(allow_null=True)


class RatioOutput(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)
    band = serializers.CharField(
        allow_null=True, help_text="non_adherent (<80 %), suboptimal (80 to <90 %), adherent"
    )


class AdherenceOutput(serializers.Serializer):
    first = serializers.DateField(source="metrics.first")
    last = serializers.DateField(source="metrics.last")
    scheduled_days = serializers.IntegerField(source="metrics.scheduled_days")
    scheduled_doses = serializers.IntegerField(source="metrics.scheduled_doses")
    pdc = RatioOutput(source="metrics.pdc", help_text="Days with every dose taken / days")
    dose_adherence = RatioOutput(source="metrics.dose_adherence")
    on_time = RatioOutput(source="metrics.on_time")
    taken = serializers.IntegerField(source="metrics.taken")
    taken_late = serializers.IntegerField(source="metrics.taken_late")
    skipped = serializers.IntegerField(source="metrics.skipped")
    skipped_by_reason = serializers.DictField(
        source="metrics.skipped_by_reason", child=serializers.IntegerField()
    )
    missed = serializers.IntegerField(source="metrics.missed")
    pending = serializers.IntegerField(source="metrics.pending")
    on_hold = serializers.IntegerField(source="metrics.on_hold")
    current_missed_streak = serializers.IntegerField(source="metrics.current_missed_streak")
    longest_missed_streak = serializers.IntegerField(source="metrics.longest_missed_streak")
    days_on_drug = serializers.IntegerField(source="metrics.days_on_drug")


class TodayPlanOutput(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    day_of_plan = serializers.IntegerField(allow_null=True)
    total_days = serializers.IntegerField(allow_null=True)
    planned_end_date = serializers.DateField(allow_null=True)
    dose_mg_per_day = serializers.IntegerField()
    dose_mg_per_dose = serializers.IntegerField()
    tablet_strengths_mg = serializers.ListField(child=serializers.IntegerField())
    tablets_per_dose = TabletCountOutput(
        many=True,
        help_text="One dose as tablets of the regimen's strengths, largest first (empty if "
        "they cannot make it): what the due card shows (docs/clinical-facts.md §2.6).",
    )


class TodayOutput(serializers.Serializer):
    date = serializers.DateField()
    time_zone = serializers.CharField()
    plan = TodayPlanOutput(allow_null=True)
    doses = ScheduledDoseOutput(many=True)


def _adherence_response(metrics: AdherenceMetrics) -> Response:
    return Response(AdherenceOutput({"metrics": metrics}).data)


# ---------------------------------------------------------------- inputs


def _date_range(request: Request, today: date) -> tuple[date, date]:
    """?from=&to= (inclusive), at most MAX_RANGE_DAYS days; default: the last 30 days."""
    data = DateRangeInput(data=request.query_params.dict(), dates_required=False)
    data.is_valid(raise_exception=True)
    last = data.validated_data.get("to") or today
    first = data.validated_data.get("from") or last - timedelta(days=29)
    if first > last:
        raise serializers.ValidationError({"from": ["Must not be after 'to'."]})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise serializers.ValidationError({"to": [f"At most {MAX_RANGE_DAYS} days per request."]})
    return first, last


_RANGE_PARAMETERS = [
    OpenApiParameter("from", date, description="First day (inclusive); default 29 days before to"),
    OpenApiParameter("to", date, description="Last day (inclusive); default the patient's today"),
]


class DoseLogInput(StrictInputSerializer):
    client_id = serializers.UUIDField(help_text="Made on the phone; a resend is recognised.")
    date = serializers.DateField(help_text="The dose day, in the patient's own time zone.")
    slot = serializers.IntegerField(min_value=1, max_value=4)
    status = serializers.ChoiceField(choices=[DoseStatus.TAKEN, DoseStatus.SKIPPED])
    taken_at = AwareDateTimeField(required=False, allow_null=True)
    skip_reason = serializers.ChoiceField(
        choices=SkipReason.choices, required=False, allow_blank=True
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DoseLogCorrectionInput(StrictInputSerializer):
    change_id = serializers.UUIDField(
        required=False,
        help_text="Made on the phone for this change; a resend is recognised. The patient app "
        "always sends it (optional only for older apps; required to undo).",
    )
    based_on = AwareDateTimeField(
        required=False,
        help_text="The log's `updated_at` as the phone last got it; if the log changed since, "
        "409 with the log as it is (`existing`). The app always sends it (required to undo).",
    )
    status = serializers.ChoiceField(
        choices=[DoseStatus.TAKEN, DoseStatus.SKIPPED, dose_logs.NOT_LOGGED],
        required=False,
        help_text="'not_logged' undoes the log: the dose is pending again (missed once its "
        "grace time has passed) and may be logged with a new client_id.",
    )
    taken_at = AwareDateTimeField(required=False)
    skip_reason = serializers.ChoiceField(choices=SkipReason.choices, required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    reason = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Why, kept with the change (default: 'corrected by patient' or "
        "'undone by the patient').",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("status") == dose_logs.NOT_LOGGED:
            for name in ("taken_at", "skip_reason", "note"):
                if name in attrs:
                    raise serializers.ValidationError({name: ["An undo takes no log values."]})
            for name in ("change_id", "based_on"):
                if name not in attrs:
                    raise serializers.ValidationError({name: ["Required to undo a log."]})
        return attrs


class TimeZoneInput(StrictInputSerializer):
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Asia/Tokyo")


# ---------------------------------------------------------------- patient views


class MyTodayView(APIView):
    """Today's doses (in the patient's zone) with their status, and the plan's day X of Y."""

    permission_classes = [IsPatient]

    @extend_schema(responses={200: TodayOutput}, operation_id="me_today")
    def get(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        today = patient_local_today(patient)
        plan = plan_current(patient)
        summary = plan_summary(plan, today) if plan is not None else None
        doses = dose_calendar(patient, today, today)
        plan_part = None
        if summary is not None:
            plan_part = {
                "id": summary.plan.pk,
                "state": summary.state,
                "day_of_plan": summary.day_of_plan,
                "total_days": summary.total_days,
                "planned_end_date": summary.plan.planned_end_date,
                "dose_mg_per_day": summary.current_revision.dose_mg_per_day,
                "dose_mg_per_dose": summary.current_revision.dose_mg_per_dose,
                "tablet_strengths_mg": list(summary.current_revision.tablet_strengths_mg),
                "tablets_per_dose": revision_tablets_per_dose(summary.current_revision),
            }
        body = {
            "date": today,
            "time_zone": patient_time_zone_at(patient),
            "plan": plan_part,
            "doses": doses,
        }
        return Response(TodayOutput(body).data)


# No request transaction: the dose POST's common case is one UPDATE, which is its own
# transaction; every other path opens the one it needs in the service (issue 20).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class MyDosesView(APIView):
    """The patient's scheduled doses with status in a date range; log a dose."""

    permission_classes = [IsPatient]

    @extend_schema(
        parameters=_RANGE_PARAMETERS,
        responses={200: ScheduledDoseOutput(many=True)},
        operation_id="me_doses_list",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        first, last = _date_range(request, patient_local_today(patient))
        calendar: list[CalendarDose] = dose_calendar(patient, first, last)
        return Response(ScheduledDoseOutput(calendar, many=True).data)

    @extend_schema(
        request=DoseLogInput,
        responses={201: DoseLogOutput, 200: DoseLogOutput, 409: DoseLogOutput},
        operation_id="me_doses_log",
        description="201: logged. 200: this client_id was already logged (the stored log). "
        "409: the dose already has another log, or this client_id's log was undone "
        "(the dose as stored is returned under `existing`).",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        data = DoseLogInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = dose_logs.dose_log_record(
            patient=patient,
            recorded_by=request.user,
            client_id=values["client_id"],
            scheduled_date=values["date"],
            slot=values["slot"],
            status=values["status"],
            taken_at=values.get("taken_at"),
            skip_reason=values.get("skip_reason") or "",
            note=values.get("note") or "",
        )
        if result.outcome == dose_logs.CONFLICT:
            reason = "This dose already has a log; correct it instead of logging it again."
            return _conflict_response("date", reason, result.log)
        if result.outcome == dose_logs.UNDONE:
            reason = (
                "This log was undone (on this or another phone); log the dose again, "
                "with a new client_id, if it was taken or skipped."
            )
            return _conflict_response("client_id", reason, result.log)
        body = DoseLogOutput(result.log).data
        code = (
            status.HTTP_201_CREATED if result.outcome == dose_logs.CREATED else status.HTTP_200_OK
        )
        return Response(body, status=code)


def _conflict_response(field: str, reason: str, log: ScheduledDose) -> Response:
    """409 with the dose's log as it is stored, for the phone to show (and the person to
    decide)."""
    return Response(
        {
            "code": "conflict",
            "detail": reason,
            "errors": [{"field": field, "reason": reason}],
            "existing": DoseLogOutput(log).data,
        },
        status=status.HTTP_409_CONFLICT,
    )


class MyDoseLogView(APIView):
    """Correct or undo one of the patient's own logs (within the backfill window; every
    change kept as a revision with its reason)."""

    permission_classes = [IsPatient]

    @extend_schema(
        request=DoseLogCorrectionInput,
        responses={200: DoseLogOutput, 409: DoseLogOutput},
        operation_id="me_doses_fix",
        description="Correct the log (status, taken_at, skip_reason, note) or undo it "
        "(`status: not_logged`). 200: the log as stored, also for a resend of the same "
        "change_id (stored once). 409 (`existing`: the log as stored): the log changed since "
        "`based_on`, or the change_id was used for another change. 404: not the patient's "
        "log, or the dose has no log.",
    )
    def patch(self, request: AuthenticatedRequest, log_id: Any) -> Response:
        patient = own_patient_or_404(request)
        log = patient_dose_row(patient, log_id)
        if log is None:
            raise NotFound()
        data = DoseLogCorrectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            log = dose_logs.dose_log_correct(
                log=log, changed_by=request.user, **data.validated_data
            )
        except dose_logs.NotLogged:
            raise NotFound() from None
        except dose_logs.DoseLogChangeConflict as conflict:
            return _conflict_response(conflict.field or "", conflict.reason, conflict.log)
        return Response(DoseLogOutput(log).data)


class MyAdherenceView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(
        parameters=_RANGE_PARAMETERS, responses={200: AdherenceOutput}, operation_id="me_adherence"
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        first, last = _date_range(request, patient_local_today(patient))
        return _adherence_response(patient_adherence(patient, first, last))


class MyTimeZoneView(APIView):
    """The phone reports a new zone (travel, a move): it applies from the next local day."""

    permission_classes = [IsPatient]

    @extend_schema(request=TimeZoneInput, responses={200: None}, operation_id="me_time_zone")
    def patch(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        data = TimeZoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = patient_time_zone_change(
            patient=patient, time_zone=data.validated_data["time_zone"], changed_by=request.user
        )
        return Response(
            {
                "time_zone": data.validated_data["time_zone"],
                "effective_date": change.effective_date if change else None,
            }
        )


# ---------------------------------------------------------------- staff views


class PatientAdherenceView(APIView):
    """A patient's adherence metrics, for their care team (audited)."""

    permission_classes = [IsStaffMember]

    @extend_schema(
        parameters=_RANGE_PARAMETERS,
        responses={200: AdherenceOutput},
        operation_id="patient_adherence",
    )
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = visible_patient_or_404(request, patient_id)
        first, last = _date_range(request, patient_local_today(patient))
        audit_record_patient_reads(
            actor=request.user,
            patients=[patient],
            action="adherence.view",
            detail={"from": first.isoformat(), "to": last.isoformat()},
        )
        return _adherence_response(patient_adherence(patient, first, last))

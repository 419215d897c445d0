"""HTTP edge for alerts (staff of the patient's care team)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.permissions import IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer
from backend.audit.services import audit_record_patient_reads

from . import services
from .models import STAFF_RESOLUTION_OUTCOMES, Alert, AlertKind, AlertPriority, AlertStatus
from .selectors import alerts_filtered, alerts_visible_to


class AlertOutput(serializers.ModelSerializer):
    patient = serializers.SerializerMethodField()
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True)
    seconds_to_acknowledge = serializers.SerializerMethodField()
    seconds_to_resolve = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "kind",
            "symptom",
            "priority",
            "status",
            "rule",
            "summary",
            "sources",
            "advice",
            "details",
            "occurrences",
            "opened_at",
            "last_seen_at",
            "acknowledged_at",
            "acknowledged_by",
            "seconds_to_acknowledge",
            "escalated_at",
            "resolved_at",
            "resolved_by",
            "seconds_to_resolve",
            "resolution_outcome",
            "resolution_note",
            "call_requested_at",
        ]

    def get_patient(self, alert: Alert) -> dict[str, str]:
        return {"id": str(alert.patient_id), "display_name": alert.patient.display_name}

    def get_seconds_to_acknowledge(self, alert: Alert) -> int | None:
        if alert.acknowledged_at is None:
            return None
        return int((alert.acknowledged_at - alert.opened_at).total_seconds())

    def get_seconds_to_resolve(self, alert: Alert) -> int | None:
        if alert.resolved_at is None:
            return None
        return int((alert.resolved_at - alert.opened_at).total_seconds())


class AlertFilterInput(StrictInputSerializer):
    status = serializers.ChoiceField(choices=["unresolved", *AlertStatus.values], required=False)
    kind = serializers.ChoiceField(choices=AlertKind.values, required=False)
    priority = serializers.ChoiceField(choices=AlertPriority.values, required=False)
    patient = serializers.UUIDField(required=False)
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=200, required=False)


class AlertListView(ListAPIView):
    """The care team's alerts, urgent first, then high, then oldest first."""

    permission_classes = [IsStaffMember]
    serializer_class = AlertOutput
    request: AuthenticatedRequest

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["unresolved", *AlertStatus.values]),
            OpenApiParameter("kind", str, enum=AlertKind.values),
            OpenApiParameter("priority", str, enum=AlertPriority.values),
            OpenApiParameter("patient", str),
        ],
        operation_id="alerts_list",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is set
        patients = {alert.patient_id: alert.patient for alert in page}.values()
        audit_record_patient_reads(actor=self.request.user, patients=patients, action="alerts.list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_queryset(self):
        data = AlertFilterInput(data=self.request.query_params.dict())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return alerts_filtered(
            self.request.user,
            status=values.get("status"),
            kind=values.get("kind"),
            priority=values.get("priority"),
            patient_id=values.get("patient"),
        )


def _visible_alert(request: AuthenticatedRequest, alert_id: Any) -> Alert:
    alert = alerts_visible_to(request.user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    return alert


class AlertAcknowledgeView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=None, responses={200: AlertOutput}, operation_id="alert_acknowledge")
    def post(self, request: AuthenticatedRequest, alert_id: Any) -> Response:
        alert = services.alert_acknowledge(
            alert=_visible_alert(request, alert_id), user=request.user
        )
        return Response(AlertOutput(_visible_alert(request, alert.pk)).data)


class AlertAskToCallView(APIView):
    """Ask the patient to phone the care team: a push to their phones (no clinical detail),
    and a line on their report in the app. 409 when resolved or the app is not activated."""

    permission_classes = [IsStaffMember]

    @extend_schema(request=None, responses={200: AlertOutput}, operation_id="alert_ask_to_call")
    def post(self, request: AuthenticatedRequest, alert_id: Any) -> Response:
        alert = services.alert_ask_patient_to_call(
            alert=_visible_alert(request, alert_id), user=request.user
        )
        return Response(AlertOutput(_visible_alert(request, alert.pk)).data)


class ResolveInput(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=[value for value, _ in STAFF_RESOLUTION_OUTCOMES])
    note = serializers.CharField(max_length=2000)


class AlertResolveView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=ResolveInput, responses={200: AlertOutput}, operation_id="alert_resolve")
    def post(self, request: AuthenticatedRequest, alert_id: Any) -> Response:
        alert = _visible_alert(request, alert_id)
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.alert_resolve(
            alert=alert,
            user=request.user,
            outcome=data.validated_data["outcome"],
            note=data.validated_data["note"],
        )
        return Response(AlertOutput(_visible_alert(request, alert.pk)).data)

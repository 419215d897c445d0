"""HTTP edge for a patient's dose reminders: snooze one ("Remind me in 30 min", from the
notification or the in-app banner), and the reminders the job has produced that the app shows
as its banner (so they can be seen without Firebase, e.g. under `make run`)."""

from datetime import date

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.patient_lookups import own_patient_or_404
from backend.api.permissions import IsPatient
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer
from backend.notifications.services import reminders_mark_seen

from ..reminder_rules import remindable_span
from ..selectors.reminders import reminders_for_banner
from ..services import reminders
from ..services.reminders import DoseNotFound


class SnoozeInput(StrictInputSerializer):
    minutes = serializers.IntegerField(
        help_text="Remind again this many minutes from now (the app sends 30)."
    )

    def validate_minutes(self, value: int) -> int:
        if not reminders.snooze_minutes_valid(value):
            span = int(remindable_span().total_seconds() // 60)
            raise serializers.ValidationError(f"Between 1 and {span} minutes.")
        return value


class SnoozeOutput(serializers.Serializer):
    date = serializers.DateField()
    slot = serializers.IntegerField()
    next_reminder_at = serializers.DateTimeField()


class BannerReminderOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The reminder's id (to close it: .../seen/).")
    date = serializers.DateField()
    slot = serializers.IntegerField()
    local_time = serializers.CharField()
    attempt = serializers.IntegerField(help_text="0: the first reminder; more: a follow-up.")
    created_at = serializers.DateTimeField()


class MyDoseSnoozeView(APIView):
    """ "Remind me in N minutes" for one of the patient's own doses not yet logged."""

    permission_classes = [IsPatient]

    @extend_schema(
        request=SnoozeInput,
        responses={200: SnoozeOutput, 409: None},
        operation_id="me_dose_snooze",
        description="200: the dose's next reminder is now + minutes (calling it again sets the "
        "same single reminder; it never queues two). 404: no such dose. 409: the dose is "
        "already logged, not reminded (on hold, plan stopped), or past its reminder window.",
    )
    def post(self, request: AuthenticatedRequest, day: str, slot: int) -> Response:
        patient = own_patient_or_404(request)
        try:
            local_date = date.fromisoformat(day)
        except ValueError:
            raise NotFound() from None
        data = SnoozeInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            row = reminders.dose_reminder_snooze(
                patient=patient,
                local_date=local_date,
                slot=slot,
                minutes=data.validated_data["minutes"],
            )
        except DoseNotFound:
            raise NotFound("No such dose.") from None
        body = {"date": row.local_date, "slot": row.slot, "next_reminder_at": row.next_reminder_at}
        return Response(SnoozeOutput(body).data)


class MyRemindersView(APIView):
    """The patient's dose reminders the job has queued (push or not) for doses still not
    logged, not yet closed in the app: the app's in-app reminder banner."""

    permission_classes = [IsPatient]

    @extend_schema(
        responses={200: BannerReminderOutput(many=True)}, operation_id="me_reminders_list"
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        patient = own_patient_or_404(request)
        found = reminders_for_banner(patient, timezone.now())
        return Response(BannerReminderOutput(found, many=True).data)


class MyReminderSeenView(APIView):
    """Close a reminder in the app (it is not listed again)."""

    permission_classes = [IsPatient]

    @extend_schema(request=None, responses={204: None}, operation_id="me_reminder_seen")
    def post(self, request: AuthenticatedRequest, day: str, slot: int) -> Response:
        own_patient_or_404(request)
        try:
            local_date = date.fromisoformat(day)
        except ValueError:
            raise NotFound() from None
        reminders_mark_seen(user_id=request.user.pk, date=local_date, slot=slot)
        return Response(status=status.HTTP_204_NO_CONTENT)

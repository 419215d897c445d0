"""HTTP edge for caregivers: the patient's invite, list and remove (/me/caregivers/...), the
family member's acceptance (anonymous, throttled like a patient's activation) and their
minimal view (/caregiver/...). Every view a caregiver may use says so (caregiver_may_use);
every other view of the API refuses them (api/permissions.py)."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.api import AuthThrottle, TokenOutput
from backend.accounts.selectors import patient_of_user
from backend.accounts.services import auth_token_issue
from backend.api.permissions import IsCaregiver, IsPatient
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer

from . import services
from .selectors import caregiver_day, caregiver_link_for, caregiver_links_of, caregivers_of_patient

# ---------------------------------------------------------------- the patient's side


class CaregiverOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField(help_text="The name the caregiver gave")
    since = serializers.DateTimeField(source="created_at")
    show_medication_name = serializers.BooleanField()


class MyCaregiversOutput(serializers.Serializer):
    caregivers = CaregiverOutput(many=True)
    limit = serializers.IntegerField(help_text="CAREGIVERS_PER_PATIENT_MAX")
    alert_after_minutes = serializers.IntegerField(help_text="CAREGIVER_ALERT_AFTER_MINUTES")
    invitation_valid_hours = serializers.IntegerField(help_text="CAREGIVER_INVITATION_VALID_HOURS")


def _rules() -> dict[str, int]:
    """What the app tells the patient and the caregiver about how this works."""
    return {
        "limit": settings.CAREGIVERS_PER_PATIENT_MAX,
        "alert_after_minutes": settings.CAREGIVER_ALERT_AFTER_MINUTES,
        "invitation_valid_hours": settings.CAREGIVER_INVITATION_VALID_HOURS,
    }


class CaregiverInvitationInput(StrictInputSerializer):
    patient_name = serializers.CharField(
        max_length=60,
        required=False,
        help_text="How the caregiver sees the patient's name (in the app and in the push); "
        "default the first word of the patient's name.",
    )
    show_medication_name = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Whether the drug's name may appear to this caregiver (default no).",
    )


class CaregiverInvitationOutput(serializers.Serializer):
    invitation_code = serializers.CharField(help_text="Shown once; never retrievable again")
    expires_at = serializers.DateTimeField()
    expires_in_hours = serializers.IntegerField()
    patient_name = serializers.CharField()
    show_medication_name = serializers.BooleanField()


def _own_patient(request: AuthenticatedRequest) -> Any:
    patient = patient_of_user(request.user)
    if patient is None:
        raise NotFound()
    return patient


class MyCaregiversView(APIView):
    """The patient's current caregivers (the name each gave, since when), with the rules the
    app explains (how many, after how long a caregiver hears of a dose not logged)."""

    permission_classes = [IsPatient]

    @extend_schema(responses={200: MyCaregiversOutput}, operation_id="me_caregivers")
    def get(self, request: AuthenticatedRequest) -> Response:
        links = list(caregivers_of_patient(_own_patient(request)))
        return Response(MyCaregiversOutput({"caregivers": links, **_rules()}).data)


class MyCaregiverInvitationView(APIView):
    """A one-time code for a family member, shown once, valid for
    CAREGIVER_INVITATION_VALID_HOURS; an earlier unused code stops working. 409 when the
    patient already has CAREGIVERS_PER_PATIENT_MAX caregivers."""

    permission_classes = [IsPatient]

    @extend_schema(
        request=CaregiverInvitationInput,
        responses={201: CaregiverInvitationOutput},
        operation_id="me_caregivers_invite",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        patient = _own_patient(request)
        data = CaregiverInvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient_name = (
            data.validated_data.get("patient_name") or (patient.display_name.split() or ["-"])[0]
        )
        invitation, code = services.caregiver_invitation_issue(
            patient=patient,
            patient_name=patient_name,
            show_medication_name=data.validated_data["show_medication_name"],
        )
        body = {
            "invitation_code": code,
            "expires_at": invitation.expires_at,
            "expires_in_hours": settings.CAREGIVER_INVITATION_VALID_HOURS,
            "patient_name": invitation.patient_name,
            "show_medication_name": invitation.show_medication_name,
        }
        return Response(CaregiverInvitationOutput(body).data, status=status.HTTP_201_CREATED)


class MyCaregiverView(APIView):
    """Remove a caregiver, effective at once: their sign-ins end and no push goes to them."""

    permission_classes = [IsPatient]

    @extend_schema(request=None, responses={204: None}, operation_id="me_caregivers_remove")
    def delete(self, request: AuthenticatedRequest, link_id: int) -> Response:
        removed = services.caregiver_remove(
            patient=_own_patient(request), link_id=link_id, removed_by=request.user
        )
        if not removed:
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- the caregiver's side


class CaregiverAcceptInput(StrictInputSerializer):
    invitation_code = serializers.CharField(max_length=40)
    username = serializers.RegexField(
        r"^[\w.@+-]{3,150}$", help_text="Letters, digits and . @ + - _ (3 to 150)"
    )
    password = serializers.CharField(max_length=512, trim_whitespace=False)
    display_name = serializers.CharField(
        max_length=60, help_text="Your name, as the patient will see it"
    )
    language = serializers.CharField(
        max_length=10, required=False, default="en", help_text="Of your pushes: en or es..."
    )


class CaregiverAcceptView(APIView):
    """A family member turns the patient's code into their own caregiver account and a token.
    Throttled per address like a patient's activation (AUTH_THROTTLE_RATE)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(
        request=CaregiverAcceptInput, responses={201: TokenOutput}, operation_id="caregiver_accept"
    )
    def post(self, request: Request) -> Response:
        data = CaregiverAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.caregiver_accept(**data.validated_data)
        instance, token = auth_token_issue(user=user)
        body = {"token": token, "expiry": instance.expiry, "user": user}
        return Response(TokenOutput(body).data, status=status.HTTP_201_CREATED)


class CaregiverPatientOutput(serializers.Serializer):
    patient_id = serializers.UUIDField()
    patient_name = serializers.CharField()


class CaregiverPatientsView(APIView):
    """The patient(s) this caregiver may look in on: their id and chosen name, nothing else."""

    permission_classes = [IsCaregiver]
    caregiver_may_use = True

    @extend_schema(
        responses={200: CaregiverPatientOutput(many=True)}, operation_id="caregiver_patients"
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        links = caregiver_links_of(request.user).order_by("created_at")
        return Response(CaregiverPatientOutput(links, many=True).data)


class CaregiverDoseOutput(serializers.Serializer):
    local_time = serializers.TimeField(format="%H:%M")
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["logged", "not_logged", "on_hold"])


class CaregiverDayOutput(serializers.Serializer):
    patient_name = serializers.CharField()
    date = serializers.DateField()
    show_medication_name = serializers.BooleanField()
    doses = CaregiverDoseOutput(many=True)
    alert_after_minutes = serializers.IntegerField(help_text="CAREGIVER_ALERT_AFTER_MINUTES")


class CaregiverTodayView(APIView):
    """The minimal view: the patient's chosen name and whether today's doses are logged. 404
    for a patient this caregiver is not linked to, or after the patient removed them."""

    permission_classes = [IsCaregiver]
    caregiver_may_use = True

    @extend_schema(responses={200: CaregiverDayOutput}, operation_id="caregiver_today")
    def get(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        link = caregiver_link_for(request.user, patient_id)
        if link is None:
            raise NotFound()
        day = caregiver_day(link)
        body = {**vars(day), "alert_after_minutes": settings.CAREGIVER_ALERT_AFTER_MINUTES}
        return Response(CaregiverDayOutput(body).data)

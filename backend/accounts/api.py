"""HTTP edge for accounts: parse, authorise, call a service, shape the answer."""

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from backend.api.exceptions import error_response
from backend.api.permissions import IsStaffMember
from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer
from backend.audit.services import audit_record_patient_reads
from backend.common.client_address import client_address

from . import mfa, services
from .models import CareTeam, Patient, User
from .selectors import care_teams_of, patient_of_user, patients_visible_to


class AuthThrottle(AnonRateThrottle):
    """Per-address limit on sign-in and activation attempts (django-axes locks accounts)."""

    scope = "anonymous_auth"

    def get_ident(self, request: Request | HttpRequest) -> str:
        # The same client address as the lockout and the audit log, not DRF's own reading of
        # X-Forwarded-For (which takes a client-chosen hop when there are too few). Also used
        # by the dashboard's sign-in with a plain HttpRequest: one budget per address for both.
        return client_address(getattr(request, "_request", request)) or ""

    def allow_request(self, request: Request | HttpRequest, view: Any) -> bool:
        allowed = super().allow_request(request, view)  # type: ignore[arg-type]
        if not allowed:
            from .lockout import mark_sign_in_throttled

            mark_sign_in_throttled(getattr(request, "_request", request))
        return allowed


# ---------------------------------------------------------------- output shapes


class CareTeamOutput(serializers.ModelSerializer):
    class Meta:
        model = CareTeam
        fields = ["id", "name"]


class PatientOutput(serializers.ModelSerializer):
    care_team = CareTeamOutput()
    activated = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "display_name",
            "medical_record_number",
            "time_zone",
            "language",
            "phone",
            "care_team",
            "activated",
            "created_at",
        ]

    def get_activated(self, patient: Patient) -> bool:
        return patient.user_id is not None


class CareTeamContactOutput(serializers.ModelSerializer):
    class Meta:
        model = CareTeam
        fields = ["name", "phone", "hours", "emergency_number"]


class UserOutput(serializers.ModelSerializer):
    patient_id = serializers.SerializerMethodField()
    care_team = serializers.SerializerMethodField(
        help_text="For a patient: their care team's name, phone, hours and the local emergency "
        "number"
    )

    class Meta:
        model = User
        fields = ["id", "username", "role", "patient_id", "care_team"]

    def get_patient_id(self, user: User) -> str | None:
        patient = patient_of_user(user)
        return str(patient.pk) if patient else None

    @extend_schema_field(CareTeamContactOutput(allow_null=True))
    def get_care_team(self, user: User) -> dict[str, str] | None:
        patient = patient_of_user(user)
        if patient is None:
            return None
        return CareTeamContactOutput(patient.care_team).data


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    expiry = serializers.DateTimeField()
    user = UserOutput()


def _token_response(user: User, status_code: int) -> Response:
    instance, token = services.auth_token_issue(user=user)
    body = {"token": token, "expiry": instance.expiry, "user": user}
    return Response(TokenOutput(body).data, status=status_code)


# ---------------------------------------------------------------- authentication


class LoginInput(StrictInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=512, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=(
            "Staff only (nurses, coordinators, administrators) while the server requires a "
            "second factor: the 6-digit code from their authenticator app, or one of their "
            "recovery codes (each works once). Patients leave it out."
        ),
    )


class LoginView(APIView):
    """Exchange a username and password (and, for staff, a one-time code as `otp`) for a new
    per-device bearer token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=LoginInput, responses={200: TokenOutput}, operation_id="auth_login")
    def post(self, request: Request) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes counts this attempt and raises a lockout before checking the password.
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            # Returned, not raised: raising would roll back the failed-attempt record.
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                "invalid_credentials",
                "The username or password is not correct.",
            )
        if mfa.mfa_required_for(user) and not mfa.otp_verify(
            user=user,
            token=data.validated_data.get("otp", ""),
            surface="api",
        ):
            # No token without the second factor; the refusal is audited (mfa.otp_verify).
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                "invalid_otp",
                "A staff sign-in needs a valid one-time code (from the authenticator app, or a "
                "recovery code) in otp.",
                field="otp",
            )
        return _token_response(user, status.HTTP_200_OK)


class LogoutView(APIView):
    """Revoke the token this request was made with (this device only)."""

    caregiver_may_use = True  # a caregiver's own account too (api/permissions.py)

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request: Request) -> Response:
        if request.auth is not None:
            services.auth_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereView(APIView):
    """Sign this user out everywhere: every token (all their devices) and every session."""

    caregiver_may_use = True  # a caregiver's own account too (api/permissions.py)

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout_everywhere")
    def post(self, request: AuthenticatedRequest) -> Response:
        services.user_access_revoke(
            user=request.user,
            reason=services.AccessRevokedReason.SIGNED_OUT_EVERYWHERE,
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivateInput(StrictInputSerializer):
    invitation_code = serializers.CharField(max_length=40)
    password = serializers.CharField(max_length=512, trim_whitespace=False)
    username = serializers.RegexField(
        r"^[\w.@+-]{3,150}$",
        required=False,
        help_text="Optional; one is made up when left out. Letters, digits and . @ + - _",
    )


class ActivateView(APIView):
    """A patient turns the invitation code from their nurse into an account and a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(
        request=ActivateInput, responses={201: TokenOutput}, operation_id="auth_activate"
    )
    def post(self, request: Request) -> Response:
        data = ActivateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.patient_activate(**data.validated_data)
        return _token_response(user, status.HTTP_201_CREATED)


class MeView(APIView):
    """Who is signed in, and their patient record when they are a patient."""

    caregiver_may_use = True  # a caregiver's own account too (api/permissions.py)

    @extend_schema(responses={200: UserOutput}, operation_id="me")
    def get(self, request: Request) -> Response:
        return Response(UserOutput(request.user).data)


# ---------------------------------------------------------------- care teams and patients


class CareTeamListView(generics.ListAPIView):
    """The care teams this staff member acts for."""

    permission_classes = [IsStaffMember]
    serializer_class = CareTeamOutput
    request: AuthenticatedRequest

    def get_queryset(self):
        return care_teams_of(self.request.user).order_by("name")


class EnrolInput(StrictInputSerializer):
    display_name = serializers.CharField(max_length=150)
    medical_record_number = serializers.CharField(max_length=64)
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/Madrid")
    language = serializers.CharField(max_length=10, required=False, default="en")
    care_team = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional when you belong to one care team."
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text="Where the care team calls the patient: digits, spaces, + ( ) - .",
    )


class EnrolOutput(PatientOutput):
    invitation_code = serializers.CharField(read_only=True)
    invitation_expires_in_days = serializers.IntegerField(read_only=True)

    class Meta(PatientOutput.Meta):
        fields = [*PatientOutput.Meta.fields, "invitation_code", "invitation_expires_in_days"]


class PatientListView(generics.ListCreateAPIView):
    """List the patients you may see; staff enrol a new patient into their care team."""

    serializer_class = PatientOutput
    request: AuthenticatedRequest

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsStaffMember()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return patients_visible_to(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is set
        audit_record_patient_reads(actor=self.request.user, patients=page, action="patient.list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=EnrolInput, responses={201: EnrolOutput}, operation_id="patients_enrol")
    def post(self, request: Request, *args, **kwargs) -> Response:
        data = EnrolInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient, code = services.patient_enrol(
            enrolled_by=self.request.user, care_team_id=values.pop("care_team", None), **values
        )
        patient.invitation_code = code  # type: ignore[attr-defined]
        patient.invitation_expires_in_days = settings.INVITATION_VALID_DAYS  # type: ignore[attr-defined]
        return Response(EnrolOutput(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(generics.RetrieveAPIView):
    """One patient's record; another team's patient is a 404, as if it did not exist."""

    serializer_class = PatientOutput
    lookup_url_kwarg = "patient_id"
    request: AuthenticatedRequest

    def get_queryset(self):
        return patients_visible_to(self.request.user)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        patient = self.get_object()
        audit_record_patient_reads(
            actor=self.request.user, patients=[patient], action="patient.view"
        )
        return Response(self.get_serializer(patient).data)


class InvitationOutput(serializers.Serializer):
    invitation_code = serializers.CharField()
    invitation_expires_in_days = serializers.IntegerField()


class PatientInvitationView(APIView):
    """A new invitation code for a patient: before activation (a lost or expired code), or
    after it, when the patient lost access to their account (the code sets a new password;
    the account's sessions and tokens end now). Earlier unused codes stop working. The code
    is shown once and never stored (only its hash)."""

    permission_classes = [IsStaffMember]

    @extend_schema(
        request=None, responses={201: InvitationOutput}, operation_id="patient_invitation_issue"
    )
    def post(self, request: AuthenticatedRequest, patient_id: Any) -> Response:
        patient = patients_visible_to(request.user).filter(pk=patient_id).first()
        if patient is None:
            raise NotFound()
        code = services.patient_invitation_issue(patient=patient, issued_by=request.user)
        body = {
            "invitation_code": code,
            "invitation_expires_in_days": settings.INVITATION_VALID_DAYS,
        }
        return Response(InvitationOutput(body).data, status=status.HTTP_201_CREATED)

"""HTTP edge for notifications: the signed-in user's push devices and push preferences.

Patients and staff alike (any signed-in user). Only one's own devices are visible: another
user's device is a 404, exactly like one that does not exist.

A registration token is the phone's push address, and knowing it is what lets a request move
it to another user (device_register): it travels only in request bodies (register, and
unregister by token), never in a URL, and no response carries it (`token_ending` shows its
last characters, enough to tell one's phones apart)."""

import re

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.requests import AuthenticatedRequest
from backend.api.serializers import StrictInputSerializer

from . import services
from .models import Device, NotificationPreference, Platform
from .selectors import (
    device_of_user,
    device_of_user_by_token,
    devices_of,
    notification_preference_of,
)
from .services.preferences import MIN_FOLLOW_UP_MINUTES

# FCM registration tokens are URL-safe: letters, digits, - _ : and a few more. Anything else
# (spaces, '/') is not a token.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_:.~\-]+$")

# ---------------------------------------------------------------- shapes


TOKEN_ENDING_LENGTH = 6


class DeviceOutput(serializers.ModelSerializer):
    token_ending = serializers.SerializerMethodField(
        help_text=f"The last {TOKEN_ENDING_LENGTH} characters of the registration token "
        "(the token itself is never sent back)."
    )

    class Meta:
        model = Device
        fields = ["id", "platform", "active", "created_at", "last_seen_at", "token_ending"]

    def get_token_ending(self, device: Device) -> str:
        return device.token[-TOKEN_ENDING_LENGTH:]


def _token_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=1024,
        trim_whitespace=False,
        help_text="The FCM registration token the app got from Firebase on this device.",
    )


def _check_token(value: str) -> str:
    if not TOKEN_PATTERN.match(value):
        raise serializers.ValidationError(
            "Not an FCM registration token: letters, digits and - _ : . ~ only."
        )
    return value


class DeviceInput(StrictInputSerializer):
    token = _token_field()
    platform = serializers.ChoiceField(choices=Platform.choices)

    def validate_token(self, value: str) -> str:
        return _check_token(value)


class DeviceUnregisterInput(StrictInputSerializer):
    token = _token_field()

    def validate_token(self, value: str) -> str:
        return _check_token(value)


class NotificationPreferenceOutput(serializers.ModelSerializer):
    follow_up_minutes = serializers.SerializerMethodField(
        help_text="Minutes between reminders while a dose is not logged."
    )
    quiet_start = serializers.TimeField(format="%H:%M", allow_null=True)
    quiet_end = serializers.TimeField(format="%H:%M", allow_null=True)
    limits = serializers.SerializerMethodField(
        help_text="The allowed ranges: max_offset_minutes, follow_up_minutes [min, max]."
    )

    class Meta:
        model = NotificationPreference
        fields = [
            "show_medication_name_on_lock_screen",
            "language",
            "reminder_offset_minutes",
            "follow_up_enabled",
            "follow_up_minutes",
            "quiet_start",
            "quiet_end",
            "limits",
        ]

    def get_follow_up_minutes(self, preference: NotificationPreference) -> int:
        return preference.follow_up_minutes or settings.REMINDER_FOLLOW_UP_MINUTES

    def get_limits(self, preference: NotificationPreference) -> dict[str, int]:
        return {
            "max_offset_minutes": settings.REMINDER_MAX_OFFSET_MINUTES,
            "min_follow_up_minutes": MIN_FOLLOW_UP_MINUTES,
            "max_follow_up_minutes": settings.REMINDER_FOLLOW_UP_MINUTES,
        }


class NotificationPreferenceInput(StrictInputSerializer):
    show_medication_name_on_lock_screen = serializers.BooleanField(
        required=False,
        help_text="Show the medication's name in reminders on the lock screen (default off).",
    )
    language = serializers.ChoiceField(
        choices=[("", "Default"), *settings.LANGUAGES],
        required=False,
        allow_blank=True,
        help_text="Language of pushes; blank: the patient record's (staff: the site's).",
    )
    reminder_offset_minutes = serializers.IntegerField(
        required=False,
        help_text="Dose reminders this many minutes before the dose time (0: at the time; at "
        "most REMINDER_MAX_OFFSET_MINUTES).",
    )
    follow_up_enabled = serializers.BooleanField(
        required=False, help_text="Remind again while the dose is not logged (default on)."
    )
    follow_up_minutes = serializers.IntegerField(
        required=False,
        help_text=f"Minutes between reminders while not logged ({MIN_FOLLOW_UP_MINUTES} up to "
        "REMINDER_FOLLOW_UP_MINUTES).",
    )
    quiet_start = serializers.TimeField(
        required=False,
        allow_null=True,
        help_text="Quiet hours start, local time (HH:MM); null with quiet_end: no quiet hours.",
    )
    quiet_end = serializers.TimeField(
        required=False,
        allow_null=True,
        help_text="Quiet hours end, local time (HH:MM): a reminder inside them waits for it.",
    )

    def validate_reminder_offset_minutes(self, value: int) -> int:
        if not 0 <= value <= settings.REMINDER_MAX_OFFSET_MINUTES:
            raise serializers.ValidationError(
                f"Between 0 and {settings.REMINDER_MAX_OFFSET_MINUTES} minutes."
            )
        return value

    def validate_follow_up_minutes(self, value: int) -> int:
        if not MIN_FOLLOW_UP_MINUTES <= value <= settings.REMINDER_FOLLOW_UP_MINUTES:
            raise serializers.ValidationError(
                f"Between {MIN_FOLLOW_UP_MINUTES} and "
                f"{settings.REMINDER_FOLLOW_UP_MINUTES} minutes."
            )
        return value


# ---------------------------------------------------------------- views


class MyDevicesView(APIView):
    """The signed-in user's devices that receive pushes; register one."""

    caregiver_may_use = True  # a caregiver's phone gets their pushes (api/permissions.py)

    @extend_schema(responses={200: DeviceOutput(many=True)}, operation_id="me_devices_list")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(DeviceOutput(devices_of(request.user), many=True).data)

    @extend_schema(
        request=DeviceInput,
        responses={201: DeviceOutput, 200: DeviceOutput},
        operation_id="me_devices_register",
        description="201: a new token. 200: this token was registered before (by this user or, "
        "on a phone that changed hands, another): it is now this user's, active, seen now.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = DeviceInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.device_register(
            user=request.user,
            token=data.validated_data["token"],
            platform=data.validated_data["platform"],
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(DeviceOutput(result.device).data, status=code)


class MyDeviceView(APIView):
    """Stop pushes to one of the signed-in user's devices, by its id (from the list)."""

    caregiver_may_use = True  # a caregiver's phone gets their pushes (api/permissions.py)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "device_id",
                int,
                OpenApiParameter.PATH,
                description="The device's id (never its token: tokens are not put in URLs).",
            )
        ],
        responses={204: None},
        operation_id="me_devices_delete",
    )
    def delete(self, request: AuthenticatedRequest, device_id: int) -> Response:
        found = device_of_user(request.user, device_id)
        if found is None:
            raise NotFound()
        services.device_unregister(device=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyDeviceUnregisterView(APIView):
    """Stop pushes to this phone (sign-out on it): the phone sends its own token, in the body."""

    caregiver_may_use = True  # a caregiver's phone gets their pushes (api/permissions.py)

    @extend_schema(
        request=DeviceUnregisterInput,
        responses={204: None},
        operation_id="me_devices_unregister",
        description="204: pushes to this token stop. 404: no device of the signed-in user has "
        "this token (another user's token is a 404 too).",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = DeviceUnregisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = device_of_user_by_token(request.user, data.validated_data["token"])
        if found is None:
            raise NotFound()
        services.device_unregister(device=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyNotificationPreferenceView(APIView):
    """The signed-in user's push preferences (privacy on the lock screen, language) and, for a
    patient, dose reminder settings (offset, follow-ups, quiet hours)."""

    caregiver_may_use = True  # a caregiver's phone gets their pushes (api/permissions.py)

    @extend_schema(
        responses={200: NotificationPreferenceOutput}, operation_id="me_notification_preferences"
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        preference = notification_preference_of(request.user)
        return Response(NotificationPreferenceOutput(preference).data)

    @extend_schema(
        request=NotificationPreferenceInput,
        responses={200: NotificationPreferenceOutput},
        operation_id="me_notification_preferences_update",
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = NotificationPreferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        preference = services.notification_preference_update(
            user=request.user, **data.validated_data
        )
        return Response(NotificationPreferenceOutput(preference).data)

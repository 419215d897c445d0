"""HTTP edge for notifications: the signed-in user's push devices and push preferences.

Patients and staff alike (any signed-in user). Only one's own devices are visible: another
user's device is a 404, exactly like one that does not exist."""

import re

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.serializers import StrictInputSerializer

from . import services
from .models import Device, NotificationPreference, Platform
from .selectors import device_of_user, devices_of, notification_preference_of

# FCM registration tokens are URL-safe (letters, digits, - _ : and a few more); refusing '/'
# and spaces keeps every token usable as the path segment of DELETE /me/devices/{token}/.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_:.~\-]+$")

# ---------------------------------------------------------------- shapes


class DeviceOutput(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "token", "platform", "active", "created_at", "last_seen_at"]


class DeviceInput(StrictInputSerializer):
    token = serializers.CharField(
        max_length=1024,
        trim_whitespace=False,
        help_text="The FCM registration token the app got from Firebase on this device.",
    )
    platform = serializers.ChoiceField(choices=Platform.choices)

    def validate_token(self, value: str) -> str:
        if not TOKEN_PATTERN.match(value):
            raise serializers.ValidationError(
                "Not an FCM registration token: letters, digits and - _ : . ~ only."
            )
        return value


class NotificationPreferenceOutput(serializers.ModelSerializer):
    class Meta:
        model = NotificationPreference
        fields = ["show_medication_name_on_lock_screen", "language"]


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


# ---------------------------------------------------------------- views


class MyDevicesView(APIView):
    """The signed-in user's devices that receive pushes; register one."""

    @extend_schema(responses={200: DeviceOutput(many=True)}, operation_id="me_devices_list")
    def get(self, request: Request) -> Response:
        return Response(DeviceOutput(devices_of(request.user), many=True).data)

    @extend_schema(
        request=DeviceInput,
        responses={201: DeviceOutput, 200: DeviceOutput},
        operation_id="me_devices_register",
        description="201: a new token. 200: this token was registered before (by this user or, "
        "on a phone that changed hands, another): it is now this user's, active, seen now.",
    )
    def post(self, request: Request) -> Response:
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
    """Stop pushes to one of the signed-in user's devices (sign-out on that phone)."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "device",
                str,
                OpenApiParameter.PATH,
                description="The device's registration token, or its id.",
            )
        ],
        responses={204: None},
        operation_id="me_devices_unregister",
    )
    def delete(self, request: Request, device: str) -> Response:
        found = device_of_user(request.user, device)
        if found is None:
            raise NotFound()
        services.device_unregister(device=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyNotificationPreferenceView(APIView):
    """The signed-in user's push preferences (privacy on the lock screen, language)."""

    @extend_schema(
        responses={200: NotificationPreferenceOutput}, operation_id="me_notification_preferences"
    )
    def get(self, request: Request) -> Response:
        preference = notification_preference_of(request.user)
        return Response(NotificationPreferenceOutput(preference).data)

    @extend_schema(
        request=NotificationPreferenceInput,
        responses={200: NotificationPreferenceOutput},
        operation_id="me_notification_preferences_update",
    )
    def patch(self, request: Request) -> Response:
        data = NotificationPreferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        preference = services.notification_preference_update(
            user=request.user, **data.validated_data
        )
        return Response(NotificationPreferenceOutput(preference).data)

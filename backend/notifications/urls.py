from django.urls import path

from . import api

urlpatterns = [
    path("me/devices/", api.MyDevicesView.as_view(), name="me-devices"),
    path("me/devices/<str:device>/", api.MyDeviceView.as_view(), name="me-device"),
    path(
        "me/notification-preferences/",
        api.MyNotificationPreferenceView.as_view(),
        name="me-notification-preferences",
    ),
]

from django.urls import path

from . import api

urlpatterns = [
    path("me/devices/", api.MyDevicesView.as_view(), name="me-devices"),
    # The token only ever travels in a request body: unregister by token is a POST.
    path(
        "me/devices/unregister/",
        api.MyDeviceUnregisterView.as_view(),
        name="me-device-unregister",
    ),
    path("me/devices/<int:device_id>/", api.MyDeviceView.as_view(), name="me-device"),
    path(
        "me/notification-preferences/",
        api.MyNotificationPreferenceView.as_view(),
        name="me-notification-preferences",
    ),
]

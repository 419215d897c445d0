from django.urls import path

from . import api

urlpatterns = [
    path("alerts/", api.AlertListView.as_view()),
    path("alerts/<uuid:alert_id>/acknowledge/", api.AlertAcknowledgeView.as_view()),
    path("alerts/<uuid:alert_id>/resolve/", api.AlertResolveView.as_view()),
    path("alerts/<uuid:alert_id>/ask-to-call/", api.AlertAskToCallView.as_view()),
]

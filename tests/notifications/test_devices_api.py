"""POST/GET /api/v1/me/devices/, POST /api/v1/me/devices/unregister/ (the token in the body),
DELETE /api/v1/me/devices/{id}/ and the push preferences: one's own devices only, strict
input, 400 naming the field, the token never in a URL or a response, and a token registered
by another user moved (audited), never shared."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from backend.audit.models import AuditEvent
from backend.notifications.models import Device
from backend.notifications.services import outbox_deliver_batch, outbox_enqueue
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/me/devices/"
UNREGISTER = "/api/v1/me/devices/unregister/"
PREFERENCES = "/api/v1/me/notification-preferences/"
TOKEN = "fGx1Qk9ZR0:APA91bH-x_7Zq3w.token~1"
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
REMINDER = {"local_time": "08:00", "attempt": 0}


def register(client, token: str = TOKEN, platform: str = "android"):
    return client.post(DEVICES, {"token": token, "platform": platform}, format="json")


def test_a_patient_registers_a_device(patient):
    client = client_for(patient.user)
    with time_machine.travel(T0, tick=False):
        response = register(client)
    assert response.status_code == 201
    body = response.json()
    assert "token" not in body
    assert TOKEN not in response.content.decode()
    assert body["token_ending"] == TOKEN[-6:]
    assert body["platform"] == "android"
    assert body["active"] is True
    assert body["last_seen_at"] == "2026-06-01T08:00:00Z"
    device = Device.objects.get(token=TOKEN)
    assert device.user == patient.user
    assert client.get(DEVICES).json()[0]["id"] == device.pk


@pytest.mark.parametrize("role", ["nurse", "coordinator", "admin_user"])
def test_staff_register_devices_too(request, role):
    user = request.getfixturevalue(role)
    assert register(client_for(user), platform="web").status_code == 201


def test_registering_again_updates_last_seen_and_reactivates(patient):
    client = client_for(patient.user)
    with time_machine.travel(T0, tick=False):
        register(client)
    device = Device.objects.get(token=TOKEN)
    Device.objects.filter(pk=device.pk).update(
        active=False, deactivated_at=T0, deactivation_reason="user"
    )
    later = T0 + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        response = register(client, platform="ios")
    assert response.status_code == 200
    assert response.json()["id"] == device.pk
    device.refresh_from_db()
    assert device.last_seen_at == later
    assert (device.active, device.deactivated_at, device.deactivation_reason) == (True, None, "")
    assert device.platform == "ios"
    assert Device.objects.count() == 1


def test_a_token_registered_by_another_user_moves_to_the_new_user(patient, foreign_patient):
    register(client_for(patient.user))
    response = register(client_for(foreign_patient.user))
    assert response.status_code == 200
    device = Device.objects.get(token=TOKEN)
    assert device.user == foreign_patient.user
    assert client_for(patient.user).get(DEVICES).json() == []


def test_a_moved_token_is_moved_not_shared_and_the_move_is_audited(
    patient, foreign_patient, settings
):
    """Registration from the phone (which alone knows its token) is the proof: the token is one
    row, so the first user's pushes stop going to it; the move is in the audit log, with the
    device's id and the previous user's, and not the token."""
    settings.PUSH_SENDER = "console"
    first = client_for(patient.user)
    device_id = register(first).json()["id"]
    assert not AuditEvent.objects.filter(action="device.moved").exists()
    assert register(client_for(foreign_patient.user)).json()["id"] == device_id
    assert Device.objects.count() == 1
    assert first.get(DEVICES).json() == []
    # The first user can neither see nor unregister it any more, by id or by token.
    assert first.delete(f"{DEVICES}{device_id}/").status_code == 404
    assert first.post(UNREGISTER, {"token": TOKEN}, format="json").status_code == 404
    assert Device.objects.get(pk=device_id).active
    (event,) = AuditEvent.objects.filter(action="device.moved")
    assert event.actor == foreign_patient.user
    assert event.patient == patient  # whose pushes stopped going to the phone
    assert event.detail == {
        "device": device_id,
        "platform": "android",
        "previous_user": patient.user.pk,
        "user": foreign_patient.user.pk,
    }
    assert TOKEN not in str(event.detail)
    # Pushes for the first user no longer go to it; the new user's do.
    with time_machine.travel(T0, tick=False):
        old = outbox_enqueue(
            recipient=patient.user, kind="dose_reminder", payload=REMINDER, dedupe_key="old"
        )
        new = outbox_enqueue(
            recipient=foreign_patient.user, kind="dose_reminder", payload=REMINDER, dedupe_key="new"
        )
        report = outbox_deliver_batch(T0)
    assert (report.no_device, report.pushes_sent) == (1, 1)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.last_error == "no device"
    assert new.sent_at == T0


def test_registering_ones_own_token_again_is_not_a_move(patient):
    client = client_for(patient.user)
    register(client)
    register(client)
    assert not AuditEvent.objects.filter(action="device.moved").exists()


def test_the_oldest_device_is_dropped_past_the_limit(settings, patient):
    settings.PUSH_DEVICES_PER_USER = 2
    client = client_for(patient.user)
    for n in range(3):
        with time_machine.travel(T0 + timedelta(minutes=n), tick=False):
            assert register(client, token=f"token-{n}").status_code == 201
    active = set(Device.objects.filter(active=True).values_list("token", flat=True))
    assert active == {"token-1", "token-2"}
    assert Device.objects.get(token="token-0").deactivation_reason == "superseded"


def unregister_by(client, by: str, device_id: int):
    """Stop pushes to a device: the phone sends its token in the body, or a list's id."""
    if by == "token":
        return client.post(UNREGISTER, {"token": TOKEN}, format="json")
    return client.delete(f"{DEVICES}{device_id}/")


@pytest.mark.parametrize("by", ["token", "id"])
def test_delete_own_device(patient, by):
    client = client_for(patient.user)
    device_id = register(client).json()["id"]
    response = unregister_by(client, by, device_id)
    assert response.status_code == 204
    device = Device.objects.get(pk=device_id)
    assert (device.active, device.deactivation_reason) == (False, "user")
    assert device.deactivated_at is not None
    assert client.get(DEVICES).json() == []
    # Deleting again is harmless.
    assert unregister_by(client, by, device_id).status_code == 204


@pytest.mark.parametrize("by", ["token", "id"])
def test_another_users_device_is_404(patient, nurse, by):
    device_id = register(client_for(patient.user)).json()["id"]
    response = unregister_by(client_for(nurse), by, device_id)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Device.objects.get(pk=device_id).active


def test_unknown_device_is_404(patient):
    client = client_for(patient.user)
    assert client.post(UNREGISTER, {"token": "no-such-token"}, format="json").status_code == 404
    assert client.delete(f"{DEVICES}999999/").status_code == 404
    assert client.delete(f"{DEVICES}{2**70}/").status_code == 404


def test_a_token_in_the_path_is_not_accepted(patient):
    """The path takes ids only: a token there is a 404 and the device stays active."""
    client = client_for(patient.user)
    device_id = register(client).json()["id"]
    assert client.delete(f"{DEVICES}{TOKEN}/").status_code == 404
    assert client.delete(f"{DEVICES}no-such-token/").status_code == 404
    assert Device.objects.get(pk=device_id).active


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "token"),
        ({"token": ""}, "token"),
        ({"token": "a/b"}, "token"),
        ({"token": TOKEN, "platform": "android"}, "platform"),
    ],
)
def test_bad_unregister_input_is_400_naming_the_field(patient, payload, field):
    client = client_for(patient.user)
    register(client)
    response = client.post(UNREGISTER, payload, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert Device.objects.get(token=TOKEN).active


def test_no_response_carries_the_token(patient):
    client = client_for(patient.user)
    responses = [register(client), register(client), client.get(DEVICES)]
    for response in responses:
        assert TOKEN not in response.content.decode()
    (listed,) = client.get(DEVICES).json()
    assert set(listed) == {"id", "platform", "active", "created_at", "last_seen_at", "token_ending"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"token": TOKEN, "platform": "blackberry"}, "platform"),
        ({"token": TOKEN}, "platform"),
        ({"platform": "android"}, "token"),
        ({"token": "", "platform": "android"}, "token"),
        ({"token": "has spaces in it", "platform": "android"}, "token"),
        ({"token": "a/b", "platform": "android"}, "token"),
        ({"token": "x" * 1025, "platform": "android"}, "token"),
        ({"token": ["a"], "platform": "android"}, "token"),
        ({"token": TOKEN, "platform": "android", "user": 1}, "user"),
    ],
)
def test_bad_input_is_400_naming_the_field(patient, payload, field):
    response = client_for(patient.user).post(DEVICES, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [error["field"] for error in body["errors"]] == [field]
    assert not Device.objects.exists()


def test_signed_out_is_401(api_client):
    assert api_client.post(DEVICES, {"token": TOKEN, "platform": "ios"}).status_code == 401
    assert api_client.post(UNREGISTER, {"token": TOKEN}, format="json").status_code == 401
    assert api_client.delete(f"{DEVICES}1/").status_code == 401


def test_push_preferences_default_private_and_can_be_changed(patient):
    client = client_for(patient.user)
    # Issue 22 added the dose reminder settings (tests/adherence/test_reminder_preferences.py).
    assert client.get(PREFERENCES).json() == {
        "show_medication_name_on_lock_screen": False,
        "language": "",
        "reminder_offset_minutes": 0,
        "follow_up_enabled": True,
        "follow_up_minutes": 60,
        "quiet_start": None,
        "quiet_end": None,
        "limits": {
            "max_offset_minutes": 120,
            "min_follow_up_minutes": 5,
            "max_follow_up_minutes": 60,
        },
    }
    response = client.patch(
        PREFERENCES, {"show_medication_name_on_lock_screen": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["show_medication_name_on_lock_screen"] is True
    response = client.patch(PREFERENCES, {"language": "de"}, format="json")
    shown = response.json()
    assert (shown["show_medication_name_on_lock_screen"], shown["language"]) == (True, "de")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"show_medication_name_on_lock_screen": "maybe"}, "show_medication_name_on_lock_screen"),
        ({"show_drug": True}, "show_drug"),
    ],
)
def test_bad_preferences_are_400_naming_the_field(patient, payload, field):
    response = client_for(patient.user).patch(PREFERENCES, payload, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]

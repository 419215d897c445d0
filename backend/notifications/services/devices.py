"""Devices: register a phone's FCM token (moving it between users), unregister, deactivate."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import Patient, User
from backend.audit.services import audit_record

from ..models import DeactivationReason, Device

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceRegistration:
    device: Device
    created: bool


def device_register(
    *, user: User, token: str, platform: str, now: datetime | None = None
) -> DeviceRegistration:
    """Register the phone's FCM token for `user`. The same token again updates last_seen and
    platform and makes it active again; a token registered by another user (the phone changed
    hands) moves to this user, so the previous user's pushes stop going to it.

    A token is one Device row, so it is moved, never shared. Knowing the token is the proof
    that the request comes from that phone: it is only ever in request bodies, never in URLs,
    logs or responses (which show its last characters only). The move is audited
    (`device.moved`, with the device's id and the previous user's, never the token)."""
    now = now or timezone.now()
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(token=token).first()
        created = False
        if device is None:
            try:
                with transaction.atomic():
                    device = Device.objects.create(
                        user=user, token=token, platform=platform, last_seen_at=now
                    )
                created = True
            except IntegrityError:  # registered at the same moment by another request
                device = Device.objects.select_for_update().get(token=token)
        if not created:
            previous_user_id = device.user_id
            if previous_user_id != user.pk:
                logger.info(
                    "device %s moves from user %s to %s", device.pk, previous_user_id, user.pk
                )
                _audit_device_move(device=device, previous_user_id=previous_user_id, user=user)
            device.user = user
            device.platform = platform
            device.active = True
            device.last_seen_at = now
            device.deactivated_at = None
            device.deactivation_reason = ""
            device.save()
        _drop_excess_devices(user=user, keep=device, now=now)
    return DeviceRegistration(device=device, created=created)


def _audit_device_move(*, device: Device, previous_user_id: int, user: User) -> None:
    """One row; its patient is the one whose pushes stop going to the phone (the previous
    user's record), else the new user's."""
    owners = {
        patient.user_id: patient
        for patient in Patient.objects.filter(user_id__in=[previous_user_id, user.pk])
    }
    audit_record(
        actor=user,
        action="device.moved",
        patient=owners.get(previous_user_id) or owners.get(user.pk),
        detail={
            "device": device.pk,
            "platform": device.platform,
            "previous_user": previous_user_id,
            "user": user.pk,
        },
    )


def _drop_excess_devices(*, user: User, keep: Device, now: datetime) -> None:
    limit = max(1, int(settings.PUSH_DEVICES_PER_USER))
    excess = list(
        Device.objects.filter(user=user, active=True)
        .exclude(pk=keep.pk)
        .order_by("-last_seen_at", "-pk")
        .values_list("pk", flat=True)[limit - 1 :]
    )
    if excess:
        devices_deactivate(device_ids=excess, reason=DeactivationReason.SUPERSEDED, now=now)


def device_unregister(*, device: Device, now: datetime | None = None) -> Device:
    """The user's own request (sign-out on that phone, notifications turned off)."""
    now = now or timezone.now()
    if device.active:
        devices_deactivate(device_ids=[device.pk], reason=DeactivationReason.USER, now=now)
        device.refresh_from_db()
    return device


def devices_deactivate(*, device_ids: list[int], reason: str, now: datetime) -> int:
    """Stop pushing to these devices. Returns how many were active."""
    return Device.objects.filter(pk__in=device_ids, active=True).update(
        active=False, deactivated_at=now, deactivation_reason=reason
    )

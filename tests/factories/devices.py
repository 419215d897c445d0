"""Push devices registered by the notifications service, as the phone or the dashboard
registers its FCM token after sign-in."""

from datetime import datetime
from typing import Any

import factory

from backend.notifications.models import Device
from backend.notifications.services import device_register
from tests.factories.accounts import UserFactory


class DeviceFactory(factory.Factory[Device]):
    """A device through device_register: the same token again moves or refreshes the one row,
    and a user's devices beyond the limit are deactivated, as in the service."""

    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"test-fcm-token-{n:04d}")
    platform = "android"
    now: datetime | None = None

    @classmethod
    def _create(cls, model_class: type[Device], *args: Any, **fields: Any) -> Device:
        return device_register(**fields).device

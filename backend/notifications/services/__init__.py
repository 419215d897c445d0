"""Writes for notifications: the outbox (outbox.py: enqueue; delivery.py: deliver), devices
(devices.py) and preferences (preferences.py). The names callers use are re-exported here."""

from .delivery import DeliveryReport, outbox_deliver_batch, outbox_deliver_due, outbox_retry_delay
from .devices import DeviceRegistration, device_register, device_unregister, devices_deactivate
from .outbox import (
    OutboxItem,
    outbox_cancel_pending,
    outbox_enqueue,
    outbox_enqueue_many,
    outbox_retry_failed,
)
from .preferences import notification_preference_update, reminders_mark_seen

__all__ = [
    "DeliveryReport",
    "DeviceRegistration",
    "OutboxItem",
    "device_register",
    "device_unregister",
    "devices_deactivate",
    "notification_preference_update",
    "outbox_cancel_pending",
    "outbox_deliver_batch",
    "outbox_deliver_due",
    "outbox_enqueue",
    "outbox_enqueue_many",
    "outbox_retry_delay",
    "outbox_retry_failed",
    "reminders_mark_seen",
]

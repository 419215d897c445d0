"""Push notifications: the outbox, the devices that receive pushes, and push preferences.

The outbox: every push to be sent is a row written in the transaction of its cause, so a
broker or FCM outage delays a notification but never loses it. The worker delivers them
(services.outbox_deliver_batch). Status after delivery: `sent` with sent_at when FCM accepted
it for at least one device; `sent` with sent_at empty and last_error starting "no device" when
there was nothing to send to (no active device, or every token was dead); `failed` after
OUTBOX_MAX_ATTEMPTS transient failures (listed in the admin, which can queue them again)."""

from django.conf import settings
from django.db import models


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    kind = models.CharField(max_length=40, help_text="e.g. alert_opened, dose_reminder")
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A dose reminder the app has shown as its in-app banner and the patient acted on (snooze
    # or close): not listed again (GET me/reminders/).
    seen_in_app_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.status})"


class Platform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    WEB = "web", "Web"


class DeactivationReason(models.TextChoices):
    """Why a device stopped receiving pushes. The FCM reasons are final for that token."""

    USER = "user", "Unregistered by the user"
    SUPERSEDED = "superseded", "Too many devices: the least recently seen was dropped"
    UNREGISTERED = "unregistered", "FCM: UNREGISTERED (app removed or token expired)"
    SENDER_ID_MISMATCH = "sender_id_mismatch", "FCM: SENDER_ID_MISMATCH (another project)"
    INVALID_ARGUMENT = "invalid_argument", "FCM: INVALID_ARGUMENT (not a valid token)"


class Device(models.Model):
    """One FCM registration token of one signed-in user (patient or staff).

    The token is unique: the same phone registering again updates this row, and a phone that
    changes hands (sign-out, another user signs in) moves to the new user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices"
    )
    token = models.CharField(max_length=1024, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_reason = models.CharField(
        max_length=30, choices=DeactivationReason.choices, blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self) -> str:
        state = "active" if self.active else f"inactive ({self.deactivation_reason})"
        return f"{self.platform} device …{self.token[-8:]} of {self.user_id}, {state}"


class NotificationPreference(models.Model):
    """A user's push preferences. No row means the defaults (the private ones)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    show_medication_name_on_lock_screen = models.BooleanField(
        default=False,
        help_text="Off: reminders say 'your dose', never the drug's name or the diagnosis, "
        "because a lock screen is seen by others.",
    )
    language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text="Blank: the patient record's language, or the site's for staff.",
    )
    # Dose reminders (a patient's; the reminder job reads them on the dose ledger, see
    # adherence/reminder_rules.py): when the first reminder comes, follow-ups, quiet hours.
    reminder_offset_minutes = models.PositiveSmallIntegerField(
        default=0,
        help_text="The first reminder this many minutes before the dose time (0: at the time; "
        "at most REMINDER_MAX_OFFSET_MINUTES).",
    )
    follow_up_enabled = models.BooleanField(
        default=True, help_text="Remind again while the dose is not logged."
    )
    follow_up_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Minutes between reminders while not logged; empty: REMINDER_FOLLOW_UP_MINUTES.",
    )
    quiet_start = models.TimeField(
        null=True, blank=True, help_text="Quiet hours start (local time); empty: none."
    )
    quiet_end = models.TimeField(
        null=True, blank=True, help_text="Quiet hours end (local time); a reminder waits for it."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"

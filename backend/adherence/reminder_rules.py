"""When a dose is reminded, with the patient's own settings (NotificationPreference: an offset
before the dose time, follow-ups on or off and their interval, quiet hours).

The same rules are written twice: here in Python (the ledger writer, the SQLite claim of
`make run`, a change of settings on SQLite) and as SQL in services/reminders.py (PostgreSQL's
claim and rewrite, one statement each). tests/adherence/test_reminder_preferences.py runs
both against each other.

- The first reminder is at the dose time minus the offset; each follow-up comes
  `step` after the reminder before it (so after a snooze or a quiet-hours wait, the
  follow-ups count from the reminder actually sent), at most REMINDER_MAX_FOLLOW_UPS of them,
  none when follow-ups are off.
- A reminder time inside quiet hours (local wall-clock times in the dose's zone; start after
  end means across midnight) waits until they end.
- Nothing is reminded after `remindable_until` (the dose time plus the default follow-ups'
  span): a wait or a snooze past it means no reminder, as the claim's window ends there.
"""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.notifications.selectors import ReminderPreference

# The settings the claim reads on the ledger row itself (ScheduledDose's columns of the same
# names): all but the offset, which only places the first reminder.
REMINDER_SETTINGS_ON_ROW = ("follow_up_enabled", "follow_up_minutes", "quiet_start", "quiet_end")


def reminder_settings_on_row(preference: ReminderPreference) -> dict[str, Any]:
    """The patient's settings as the ledger row keeps them (REMINDER_SETTINGS_ON_ROW order)."""
    return {
        "follow_up_enabled": preference.follow_up_enabled,
        "follow_up_minutes": preference.follow_up_minutes,
        "quiet_start": preference.quiet_start,
        "quiet_end": preference.quiet_end,
    }


def preference_on_row(
    follow_up_enabled: bool,
    follow_up_minutes: int | None,
    quiet_start: time | None,
    quiet_end: time | None,
) -> ReminderPreference:
    """The settings a ledger row carries, for the claim's rules (the offset is not needed
    once the first reminder is set)."""
    return ReminderPreference(
        follow_up_enabled=follow_up_enabled,
        follow_up_minutes=follow_up_minutes,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )


def step_of(preference: ReminderPreference) -> timedelta:
    minutes = preference.follow_up_minutes or settings.REMINDER_FOLLOW_UP_MINUTES
    return timedelta(minutes=minutes)


def attempts_of(preference: ReminderPreference) -> int:
    """How many reminders a dose gets without a snooze: the first and its follow-ups."""
    return settings.REMINDER_MAX_FOLLOW_UPS + 1 if preference.follow_up_enabled else 1


def remindable_span() -> timedelta:
    """How long after its dose time a dose may still be reminded (a follow-up, a reminder that
    waited for quiet hours to end, a snooze)."""
    return timedelta(minutes=settings.REMINDER_MAX_FOLLOW_UPS * settings.REMINDER_FOLLOW_UP_MINUTES)


def after_quiet_hours(at: datetime, zone: str, preference: ReminderPreference) -> datetime:
    """`at`, or the end of the quiet hours it falls in (in the patient's zone)."""
    start, end = preference.quiet_start, preference.quiet_end
    if start is None or end is None or start == end:
        return at
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:
        if not start <= wall < end:
            return at
    elif wall >= start:
        day += timedelta(days=1)
    elif wall >= end:
        return at
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def _within(at: datetime | None, due_at: datetime) -> datetime | None:
    return at if at is not None and at <= due_at + remindable_span() else None


def first_reminder(
    due_at: datetime, after: datetime, zone: str, preference: ReminderPreference
) -> tuple[datetime | None, int]:
    """The dose's first reminder time later than `after` and its attempt number; (None,
    attempts) when every reminder time has passed, (None, 0) when the reminder would wait
    past the reminder window (quiet hours): nothing sent, so a change of settings may
    still give it one."""
    first = due_at - timedelta(minutes=preference.offset_minutes)
    step = step_of(preference)
    attempts = attempts_of(preference)
    for attempt in range(attempts):
        at = first + attempt * step
        if at > after:
            shifted = _within(after_quiet_hours(at, zone, preference), due_at)
            return (shifted, attempt) if shifted is not None else (None, 0)
    return None, attempts


def reminder_to_send(
    reminder_at: datetime,
    first_attempt: int,
    now: datetime,
    preference: ReminderPreference,
) -> tuple[int, datetime]:
    """The claim: of the reminders that have come since `reminder_at` (the row's next reminder,
    attempt `first_attempt`), the latest (earlier ones passed while the job was down are not
    sent in a burst): its attempt number and time."""
    step = step_of(preference)
    passed = int((now - reminder_at) / step)
    attempt = first_attempt + min(passed, max(attempts_of(preference) - 1 - first_attempt, 0))
    return attempt, reminder_at + (attempt - first_attempt) * step


def next_reminder(
    sent_attempt: int,
    sent_at: datetime,
    due_at: datetime,
    zone: str,
    preference: ReminderPreference,
) -> datetime | None:
    """The reminder after the one sent (attempt `sent_attempt`, at `sent_at`), or None."""
    if sent_attempt + 1 >= attempts_of(preference):
        return None
    return _within(after_quiet_hours(sent_at + step_of(preference), zone, preference), due_at)

"""The whole beat schedule in one place. Run exactly one beat process (it has no lock)."""

from celery.schedules import crontab, schedule
from django.conf import settings

BEAT_SCHEDULE = {
    # Proves beat -> broker -> worker -> database end to end; /healthz shows the last one.
    "health-ping": {
        "task": "worker.health.ping",
        "schedule": schedule(run_every=settings.WORKER_HEARTBEAT_INTERVAL_SECONDS),
        "options": {"expires": settings.WORKER_HEARTBEAT_INTERVAL_SECONDS},
    },
    # Every 10 seconds: send what waits in the outbox (pushes to phones and staff devices).
    "deliver-outbox": {
        "task": "worker.notifications.deliver_outbox",
        "schedule": schedule(run_every=10.0),
        "options": {"expires": 10},
    },
    # Every minute: reminders for doses whose local time (or follow-up time) has come since the
    # last run, unless logged or held; expires before the next run so runs never pile up.
    "queue-dose-reminders": {
        "task": "worker.adherence.queue_dose_reminders",
        "schedule": (
            schedule(run_every=settings.BEAT_REMINDERS_EVERY_SECONDS)
            if settings.BEAT_REMINDERS_EVERY_SECONDS > 0
            else crontab()
        ),
        "options": {"expires": 55},
    },
    # Every 15 minutes: unlogged doses whose grace window has ended become "missed" ...
    "mark-missed-doses": {
        "task": "worker.adherence.mark_missed_doses",
        "schedule": (
            schedule(run_every=settings.BEAT_SWEEP_EVERY_SECONDS)
            if settings.BEAT_SWEEP_EVERY_SECONDS > 0
            else crontab(minute="*/15")
        ),
        "options": {"expires": 14 * 60},
    },
    # ... and, a few minutes later, streaks of missed days become alerts for the care team.
    "open-missed-streak-alerts": {
        "task": "worker.alerts.open_missed_streak_alerts",
        "schedule": (
            schedule(run_every=settings.BEAT_SWEEP_EVERY_SECONDS)
            if settings.BEAT_SWEEP_EVERY_SECONDS > 0
            else crontab(minute="5-59/15")
        ),
        "options": {"expires": 14 * 60},
    },
    # Every 5 minutes: urgent alerts unacknowledged for an hour (high: 4 hours) go to the
    # whole care team, once.
    "escalate-unacknowledged-alerts": {
        "task": "worker.alerts.escalate_unacknowledged",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Every 5 minutes: a caregiver hears once of each dose of their patient still not logged
    # CAREGIVER_ALERT_AFTER_MINUTES after its due time (backend/caregivers).
    "alert-caregivers": {
        "task": "worker.caregivers.alert_doses_not_logged",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # "Daily" jobs run hourly: each patient's day ends at their own midnight, and both are
    # idempotent. Plans past their end date are completed (reminders stop; one closing
    # message) ...
    "complete-finished-plans": {
        "task": "worker.adherence.complete_finished_plans",
        "schedule": crontab(minute=20),
        "options": {"expires": 50 * 60},
    },
    # The dose ledger's horizon moves on (each plan's rows up to its patient's today + the
    # horizon): daily work, run hourly so each zone's new day is there well ahead.
    "extend-dose-ledger": {
        "task": "worker.adherence.extend_dose_ledger",
        "schedule": crontab(minute=30),
        "options": {"expires": 50 * 60},
    },
    # ... and coordinators hear once about each plan ending within 30 days.
    "notify-plans-ending": {
        "task": "worker.adherence.notify_plans_ending",
        "schedule": crontab(minute=40),
        "options": {"expires": 50 * 60},
    },
    # Hourly: liver-test and blood-count review points of active plans still without a result
    # review_overdue_after_days after their date alert the care team, once per point.
    "alert-overdue-review-points": {
        "task": "worker.labs.alert_overdue_review_points",
        "schedule": crontab(minute=10),
        "options": {"expires": 50 * 60},
    },
    # Hourly ("daily" work, idempotent): each patient's latest tablet count that lasts
    # REFILL_REMINDER_DAYS_LEFT days or fewer queues one refill reminder push, once per count.
    "queue-refill-reminders": {
        "task": "worker.refills.queue_refill_reminders",
        "schedule": crontab(minute=15),
        "options": {"expires": 50 * 60},
    },
    # Background exports: resend jobs whose message was lost, and delete files whose 24-hour
    # link has passed.
    "send-waiting-exports": {
        "task": "worker.reports.send_waiting_exports",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    "expire-exports": {
        "task": "worker.reports.expire_exports",
        "schedule": crontab(minute=50),
        "options": {"expires": 50 * 60},
    },
    # Hourly: bearer tokens past their expiry are deleted (authentication refuses them but no
    # longer cleans up on every request).
    "delete-expired-tokens": {
        "task": "worker.accounts.delete_expired_tokens",
        "schedule": crontab(minute=25),
        "options": {"expires": 50 * 60},
    },
}

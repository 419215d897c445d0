"""Treatment plans: what a clinician confirmed from the guideline's suggestion, its dose history
(revisions) and its holds. The plan's end date is the end of the dose schedule."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.ids import time_ordered_uuid
from backend.common.models import TimeStampedModel
from backend.guidelines.tablets import TabletCount, tablets_for_dose


class PlanStatus(models.TextChoices):
    """Stored status. 'On hold' and 'completed by date' are derived from holds and the end date
    (see selectors.plan_state), so they can never disagree with them."""

    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class TreatmentPlan(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default="active")
    setting = models.CharField(max_length=20, help_text="adjuvant, neoadjuvant or advanced")
    start_date = models.DateField(help_text="First dose day, in the patient's time zone")
    duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    planned_end_date = models.DateField(
        null=True, blank=True, help_text="Last dose day (inclusive); empty for indefinite plans"
    )
    # What the guideline module was asked and answered, kept verbatim with its version.
    case = models.JSONField()
    recommendation = models.JSONField()
    guideline_version = models.CharField(max_length=40)
    # The clinician's departure from the recommendation, with the reason; null when none.
    override = models.JSONField(null=True, blank=True)
    # The dose ledger (ScheduledDose) holds this plan's rows through this local date.
    ledger_through = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stop_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-start_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_plan_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(planned_end_date__isnull=True)
                | Q(planned_end_date__gte=models.F("start_date")),
                name="plan_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        end = self.planned_end_date.isoformat() if self.planned_end_date else "ongoing"
        return f"{self.setting} plan {self.start_date.isoformat()} to {end}"


class PlanRevision(models.Model):
    """The dose regimen from `effective_date` on. Revision 1 is the plan's starting regimen; a
    dose change (e.g. 400 -> 300 mg after toxicity) is a new revision, never an edit."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    effective_date = models.DateField()
    dose_mg_per_day = models.PositiveSmallIntegerField()
    doses_per_day = models.PositiveSmallIntegerField()
    dose_times = models.JSONField(help_text='Local wall-clock times, e.g. ["08:00", "20:00"]')
    # The tablets the patient has for this regimen (100 and/or 400 mg, docs/clinical-facts.md
    # §2.6): the app shows each dose as tablets of these strengths.
    tablet_strengths_mg = models.JSONField(
        default=list, help_text="Tablet strengths dispensed, in mg, e.g. [100, 400]"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"rev {self.number}: {self.dose_mg_per_day} mg from {self.effective_date}"

    @property
    def dose_mg_per_dose(self) -> int:
        return self.dose_mg_per_day // self.doses_per_day

    @property
    def tablets_per_dose(self) -> tuple[TabletCount, ...]:
        """One dose as tablets of the strengths the patient has; empty if they cannot make it
        (the plan services refuse such a regimen)."""
        return tablets_for_dose(self.dose_mg_per_dose, self.tablet_strengths_mg) or ()


class PlanHold(TimeStampedModel):
    """Days on which no dose is scheduled, reminded or counted missed (e.g. grade 3 toxicity).
    An empty end date means the hold lasts until a clinician ends it."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="holds")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last held day (inclusive)")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="hold_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "until ended"
        return f"hold {self.start_date.isoformat()} to {end}"


class DoseStatus(models.TextChoices):
    """What a patient (taken, skipped) or the missed sweep (missed) logged for a dose."""

    TAKEN = "taken", "Taken"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed"


class SkipReason(models.TextChoices):
    SIDE_EFFECTS = "side_effects", "Side effects"
    FORGOT = "forgot", "Forgot"
    RAN_OUT = "ran_out", "Ran out"
    TRAVEL = "travel", "Travel"
    OTHER = "other", "Other"


class DoseLogRevision(models.Model):
    """Every change to a dose log (a ScheduledDose row once logged): who, when, the values
    before and after, and why."""

    dose_log = models.ForeignKey(
        "ScheduledDose", on_delete=models.PROTECT, related_name="revisions"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField()
    after = models.JSONField()
    reason = models.CharField(max_length=200)
    # The phone's UUID for a patient's correction or undo, so a resend is recognised (stored
    # once); `request` is what it asked, so the same change_id with other content is refused.
    change_id = models.UUIDField(null=True, blank=True)
    request = models.JSONField(null=True, blank=True)
    # An undo: the client_id of the log it undid, so a late resend of that log's POST (an
    # outbox on another phone) is answered, never stored again.
    undone_client_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["dose_log", "changed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_id"],
                condition=Q(change_id__isnull=False),
                name="dose_log_revision_change_id_unique",
            ),
            models.UniqueConstraint(
                fields=["undone_client_id"],
                condition=Q(undone_client_id__isnull=False),
                name="dose_log_revision_undone_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dose_log_id} changed {self.changed_at:%Y-%m-%d %H:%M}"


class DoseState(models.TextChoices):
    PENDING = "pending", "Pending"
    TAKEN = "taken", "Taken"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed"
    ON_HOLD = "on_hold", "On hold"


# Rows a change to the plan may still rewrite; the others are history (the dose's log).
UNRESOLVED_STATES = (DoseState.PENDING, DoseState.ON_HOLD)
LOGGED_STATES = (DoseState.TAKEN, DoseState.SKIPPED, DoseState.MISSED)


class ScheduledDoseQuerySet(models.QuerySet):
    def logged(self) -> "ScheduledDoseQuerySet":
        """The dose logs: rows a patient, a carer or the missed sweep has resolved."""
        return self.filter(state__in=LOGGED_STATES)


class ScheduledDose(models.Model):
    """The dose ledger: one row per scheduled dose (patient, local date, slot), written by
    services/ledger.py from the rules in adherence/dose_schedule.py. The row is also the dose's log:
    the patient's "taken" or "skipped" and the sweep's "missed" set its state and log fields
    (services/dose_logs.py, services/missed_doses.py), so every hot path (the dose POST, the
    sweep, reminders, metrics, exports) is one indexed statement (issue 20,
    docs/performance.md). A change to a log is a DoseLogRevision; a row is never deleted once
    logged.

    Rows exist from the plan's start to the patient's today + LEDGER_HORIZON_DAYS (or the last
    dose day); a change to the plan rewrites only unresolved rows from its effective day, so a
    past day keeps what was true then. `client_id` is the phone's UUID for its log, so a
    resend is recognised. `local_time` and `due_at` are empty only for a log kept from a
    schedule that no longer has its dose (a later revision changed the number of doses);
    such rows are never pending, except the row of an undone log (kept for its revisions),
    which is then off the calendar and never reminded or swept."""

    # Every index costs each row update: the foreign keys have none of their own (the patient
    # leads the unique key; plans, revisions and users are never deleted, PROTECT). The
    # reminder state (next_reminder_at, follow_ups_sent) is in no index, so the reminder
    # claim, the busiest update, can be a HOT update (no index written; the table keeps
    # free space on each page for it, migration 0007) instead of writing every index.
    # Time-ordered ids (backend/common/ids.py): a day's rows, written together by the horizon
    # extension, sit together in the primary key, so the sweep that marks them touches a few
    # hundred of its pages rather than one a row.
    id = models.UUIDField(primary_key=True, default=time_ordered_uuid, editable=False)
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The patient's account when the row was written, whom the row's reminders go to: the
    # busiest claim then needs no join to the patient (empty for rows written before the
    # patient activated; the claim looks those up and keeps what it found, and a rewrite of
    # the row writes it). An account is never changed once set.
    patient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, related_name="scheduled_doses", db_index=False
    )
    revision = models.ForeignKey(
        PlanRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    local_date = models.DateField()
    slot = models.PositiveSmallIntegerField()
    local_time = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64)
    due_at = models.DateTimeField(null=True, blank=True)
    # When the sweep may mark it missed: the end of the local day plus DOSE_MISSED_GRACE_HOURS
    # (dose_schedule.grace_ends_at). Empty for days before the plan could be logged (never swept).
    missed_after = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=DoseState.choices, default=DoseState.PENDING)
    # The log. client_id is unique where set (a partial index: most rows have none).
    client_id = models.UUIDField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # When the dose was first logged (by the patient or the sweep); empty while unresolved.
    logged_at = models.DateTimeField(null=True, blank=True)
    # Reminders: the next reminder (the dose time, then each follow-up) and how many of the
    # dose's reminder times have passed; empty once none is left or the dose is resolved.
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    follow_ups_sent = models.PositiveSmallIntegerField(default=0)
    # The patient's reminder settings the claim needs (NotificationPreference's, copied so the
    # busiest update reads nothing but its own row; issue 20, docs/performance.md): follow-ups
    # on or off, their interval (empty: REMINDER_FOLLOW_UP_MINUTES) and the quiet hours (empty:
    # none). Written with the first reminder time by the writer, rewritten on the patient's
    # pending rows by a change of settings and on the row by a snooze, so a row with a next
    # reminder always has the patient's current settings. In no index, like the state above;
    # the interval without a CHECK (the preference validates it; a CHECK is evaluated on every
    # claim's update), the flag with a database default (SQL seeds name no such column).
    follow_up_enabled = models.BooleanField(default=True, db_default=True)
    follow_up_minutes = models.SmallIntegerField(null=True, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScheduledDoseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "local_date", "slot"], name="one_ledger_row_per_dose"
            ),
            models.CheckConstraint(
                condition=~Q(state="taken") | Q(taken_at__isnull=False),
                name="ledger_taken_dose_has_taken_at",
            ),
            models.UniqueConstraint(
                fields=["client_id"],
                condition=Q(client_id__isnull=False),
                name="ledger_client_id_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["missed_after"],
                condition=Q(state="pending", missed_after__isnull=False),
                name="ledger_pending_missed_after",
            ),
            # The reminder claim's rows: pending doses due in the last few hours, in the
            # claim's order (due time, then id: each batch of a run starts where the last
            # stopped).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state="pending", due_at__isnull=False),
                name="ledger_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.local_date} slot {self.slot}: {self.state}"

"""Alerts a care team must see and close: severe or worsening symptoms, skipping doses for side
effects, missed-dose streaks, lab results beyond the label's hold thresholds, overdue lab review
points. Each names its rule and sources, and carries the guideline's advice for the clinician."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.models import TimeStampedModel

# How far back a missed-dose streak is traced (alerts/streaks.py). Longer streaks are still
# reported (as "at least" this long). Here rather than in streaks.py so that a team's settings
# can be checked against it without models importing the services.
STREAK_LOOKBACK_DAYS = 60


class AlertKind(models.TextChoices):
    SEVERE_SYMPTOM = "severe_symptom", "Severe symptom"
    WORSENING_SYMPTOM = "worsening_symptom", "Worsening symptom"
    PERSISTENT_SYMPTOM = "persistent_symptom", "Symptom still present"
    RED_FLAG = "red_flag", "Red-flag symptom"
    WEIGHT_GAIN = "weight_gain", "Weight gain (fluid retention)"
    SIDE_EFFECT_NONADHERENCE = "side_effect_nonadherence", "Doses skipped for side effects"
    MISSED_DOSE_STREAK = "missed_dose_streak", "Missed-dose streak"
    # Lab results beyond the label's hold thresholds (backend.labs, guidelines.labs): urgent.
    LIVER_HOLD = "liver_hold", "Liver tests: hold imatinib"
    BLOOD_COUNT_HOLD = "blood_count_hold", "Blood counts: hold imatinib"
    # A liver-test or blood-count review point with no result days after its date (worker,
    # backend.labs.overdue): normal; symptom = the review kind (liver_tests, blood_counts).
    REVIEW_OVERDUE = "review_overdue", "Lab review overdue"
    # A dose skipped because the tablets ran out (backend.refills, issue 22): normal.
    RAN_OUT = "ran_out", "Ran out of tablets"


class AlertPriority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


# Keyed by str: a priority read back from the database is a plain string.
PRIORITY_RANK: dict[str, int] = {
    AlertPriority.URGENT: 0,
    AlertPriority.HIGH: 1,
    AlertPriority.NORMAL: 2,
}


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class ResolutionOutcome(models.TextChoices):
    CONTACTED_PATIENT = "contacted_patient", "Contacted the patient"
    DOSE_HELD = "dose_held", "Dose held"
    DOSE_REDUCED = "dose_reduced", "Dose reduced"
    NO_ACTION_NEEDED = "no_action_needed", "No action needed"
    OTHER = "other", "Other"
    # Set by the system only (alerts/streaks.py): the doses a streak alert counted as missed
    # were logged later. Not offered to nurses.
    DOSES_LOGGED_LATER = "doses_logged_later", "Doses logged later"


# The outcomes a nurse or coordinator may choose when resolving an alert.
STAFF_RESOLUTION_OUTCOMES = [
    (value, label)
    for value, label in ResolutionOutcome.choices
    if value != ResolutionOutcome.DOSES_LOGGED_LATER
]


class Alert(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40, choices=AlertKind.choices)
    symptom = models.CharField(max_length=40, blank=True, help_text="Empty for dose alerts")
    priority = models.CharField(max_length=10, choices=AlertPriority.choices)
    priority_rank = models.PositiveSmallIntegerField(help_text="0 urgent, 1 high, 2 normal")
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    rule = models.CharField(max_length=80)
    summary = models.CharField(max_length=300, help_text="What happened, in plain words")
    sources = models.JSONField(default=list)
    advice = models.JSONField(null=True, blank=True, help_text="Decision support for clinicians")
    details = models.JSONField(default=dict, blank=True, help_text="The cause: report, streak...")
    occurrences = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    # When it reached its current priority (escalation delays count from here).
    priority_since = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_outcome = models.CharField(
        max_length=30, choices=ResolutionOutcome.choices, blank=True
    )
    resolution_note = models.TextField(blank=True)
    # Set once, when the alert went unacknowledged too long and the whole team was told.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A nurse asked the patient to phone the care team (a push to the patient's phones).
    call_requested_at = models.DateTimeField(null=True, blank=True)
    call_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["priority_rank", "opened_at"]
        constraints = [
            # Alert fatigue: one unresolved alert per patient, kind and symptom.
            models.UniqueConstraint(
                fields=["patient", "kind", "symptom"],
                condition=~Q(status=AlertStatus.RESOLVED),
                name="one_unresolved_alert_per_patient_kind_symptom",
            )
        ]
        indexes = [
            models.Index(fields=["status", "priority_rank", "opened_at"]),
            # The nurse's queue: unresolved alerts in queue order, however long the history.
            models.Index(
                fields=["priority_rank", "opened_at"],
                condition=~Q(status=AlertStatus.RESOLVED),
                name="alert_unresolved_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.priority}) {self.summary}"


class CareTeamAlertSettings(models.Model):
    """A care team's thresholds; without a row the defaults of docs/guidelines.md (Alerts) apply."""

    care_team = models.OneToOneField(
        "accounts.CareTeam", on_delete=models.CASCADE, related_name="alert_settings"
    )
    severe_score = models.PositiveSmallIntegerField(default=3)
    high_priority_composite = models.PositiveSmallIntegerField(default=3)
    severe_grade = models.PositiveSmallIntegerField(default=3)
    urgent_grade = models.PositiveSmallIntegerField(default=4)
    worsening_rise = models.PositiveSmallIntegerField(default=2)
    worsening_window_days = models.PositiveSmallIntegerField(
        null=True, blank=True, default=None, help_text="Blank: compare with any earlier report"
    )
    side_effect_skip_min_score = models.PositiveSmallIntegerField(default=2)
    missed_streak_days = models.PositiveSmallIntegerField(default=2)
    new_rash_alert = models.BooleanField(default=True)
    rash_persistent_days = models.PositiveSmallIntegerField(default=14)
    weight_gain_percent = models.DecimalField(max_digits=4, decimal_places=1, default=5)
    weight_gain_kg = models.DecimalField(max_digits=4, decimal_places=1, default=2)
    weight_gain_window_days = models.PositiveSmallIntegerField(default=7)

    def __str__(self) -> str:
        return f"alert settings of {self.care_team}"

    def clean(self) -> None:
        """The guideline module's own checks (e.g. urgent not below severe), as form errors."""
        from django.core.exceptions import ValidationError

        from backend.guidelines import AlertRuleSettings

        values = {
            name: getattr(self, name)
            for name in AlertRuleSettings.__dataclass_fields__
            if hasattr(self, name)
        }
        try:
            AlertRuleSettings(**values)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if self.missed_streak_days > STREAK_LOOKBACK_DAYS:
            raise ValidationError(
                {
                    "missed_streak_days": (
                        f"At most {STREAK_LOOKBACK_DAYS}, how far streaks are traced."
                    )
                }
            )

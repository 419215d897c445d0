"""The export columns, in order, with their type and meaning. docs/exports.md is written from
these (a test checks the two agree), so a column is documented once, here."""

from dataclasses import dataclass

from backend.adherence.metrics import UNSPECIFIED_REASON
from backend.adherence.models import SkipReason
from backend.guidelines.symptoms import SYMPTOMS, Symptom


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | integer | decimal | date | datetime | percent | boolean
    description: str


SKIP_REASONS = [*SkipReason.values, UNSPECIFIED_REASON]


def _patient_score_words(symptom: Symptom) -> str:
    """What a symptom's patient-score column holds: the highest answer, or for a yes/no item
    (a red flag, rash) whether the patient said yes. Patient-reported, never a CTCAE grade."""
    if symptom.presence_only:
        kind = "red flag" if symptom.red_flag else "yes/no question"
        return (
            f"{symptom.label} ({kind}): 1 if the patient answered yes in the period, 0 if "
            "only no (patient-reported, not a CTCAE grade)."
        )
    return f"{symptom.label}: highest patient-reported level (0-4) in the period."


# The columns that name a patient, first in every cohort file. A pseudonymised file has
# STUDY_ID in their place (and a dose file STUDY_PLAN_ID for plan_id): see pseudonyms.py.
IDENTITY_COLUMNS: list[Column] = [
    Column("patient_id", "text", "The patient's id (UUID), stable across exports."),
    Column("display_name", "text", "The patient's name as the care team recorded it."),
    Column("medical_record_number", "text", "The care team's record number for the patient."),
]
STUDY_ID = Column(
    "study_id",
    "text",
    "Pseudonymised files only, instead of patient_id, display_name and medical_record_number: "
    "S- and 12 characters, the same for a patient in every export, meaningless without the "
    "service's EXPORT_PSEUDONYM_KEY.",
)
STUDY_PLAN_ID = Column(
    "study_plan_id",
    "text",
    "Pseudonymised dose files only, instead of plan_id: P- and 12 characters, the same for a "
    "plan in every export.",
)

COHORT_COLUMNS: list[Column] = [
    *IDENTITY_COLUMNS,
    Column("care_team", "text", "The patient's care team."),
    Column("period_first", "date", "First day of the period (inclusive)."),
    Column("period_last", "date", "Last day of the period (inclusive)."),
    Column("plan_setting", "text", "Setting of the current plan: adjuvant, neoadjuvant, advanced."),
    Column("plan_status", "text", "active, on_hold, completed or stopped (as of today)."),
    Column("dose_mg_per_day", "integer", "Daily dose of the current plan's regimen in force."),
    Column("plan_start_date", "date", "First dose day of the current plan."),
    Column("plan_planned_end_date", "date", "Last planned dose day; empty for indefinite plans."),
    Column("plan_days_on_drug", "integer", "Days on drug since the plan started (holds excluded)."),
    Column(
        "scheduled_doses",
        "integer",
        "Doses due in the period and resolved (logged or missed), holds excluded.",
    ),
    Column("taken", "integer", "Doses taken on time."),
    Column("taken_late", "integer", "Doses taken late (DOSE_LATE_AFTER_MINUTES after the time)."),
    Column("skipped", "integer", "Doses the patient skipped, all reasons."),
    *(
        Column(f"skipped_{reason}", "integer", f"Doses skipped with the reason '{reason}'.")
        for reason in SKIP_REASONS
    ),
    Column("missed", "integer", "Doses not logged by the end of the grace window."),
    Column("on_hold", "integer", "Doses falling in a hold (not counted anywhere else)."),
    Column("pending", "integer", "Doses not yet resolved (today's, or in the grace window)."),
    Column(
        "dose_adherence_percent",
        "percent",
        "Doses taken (on time or late) / scheduled doses, in percent.",
    ),
    Column(
        "pdc_percent",
        "percent",
        "Proportion of days covered: days with every dose taken / scheduled days, in percent.",
    ),
    Column(
        "pdc_band",
        "text",
        "adherent (90 % or more), suboptimal (80 to below 90 %), non_adherent (below 80 %); "
        "empty when there is nothing to measure.",
    ),
    Column("longest_missed_streak", "integer", "Longest run of days with a missed dose."),
    Column(
        "current_missed_streak",
        "integer",
        "Run of days with a missed dose ending at the period's last resolved day.",
    ),
    *(
        column
        for code, symptom in SYMPTOMS.items()
        for column in (
            Column(
                f"{code}_max_patient_score",
                "integer",
                _patient_score_words(symptom),
            ),
            Column(
                f"{code}_max_clinician_grade",
                "integer",
                f"{symptom.label}: highest clinician CTCAE v5.0 grade (1-5) in the period.",
            ),
        )
    ),
    Column("alerts_opened", "integer", "Alerts opened for the patient in the period."),
    Column(
        "median_hours_to_resolve",
        "decimal",
        "Median hours from opening to resolving, of those alerts that are resolved.",
    ),
]

DOSE_COLUMNS: list[Column] = [
    Column("patient_id", "text", "The patient's id (UUID)."),
    *IDENTITY_COLUMNS[1:],
    Column("plan_id", "text", "The plan the dose belongs to (UUID)."),
    Column("scheduled_date", "date", "The dose day, in the patient's time zone."),
    Column("slot", "integer", "1-based position of the dose in the day."),
    Column("scheduled_time", "text", "Local wall-clock time of the dose (HH:MM)."),
    Column("time_zone", "text", "The patient's IANA time zone on that day."),
    Column("due_at", "datetime", "The dose's instant in UTC (ISO 8601)."),
    Column(
        "status",
        "text",
        "taken, taken_late, skipped, missed, on_hold, or pending (not resolved yet).",
    ),
    Column("taken_at", "datetime", "When the patient says it was taken (UTC), if taken."),
    Column("skip_reason", "text", f"For skipped doses: {', '.join(SkipReason.values)}."),
]

# Pseudonymised files: the study ids in place of the columns that name a patient (and the
# dose file's plan id), everything else as in the files above.
COHORT_PSEUDONYMISED_COLUMNS: list[Column] = [STUDY_ID, *COHORT_COLUMNS[len(IDENTITY_COLUMNS) :]]
DOSE_PSEUDONYMISED_COLUMNS: list[Column] = [
    STUDY_ID,
    STUDY_PLAN_ID,
    *DOSE_COLUMNS[len(IDENTITY_COLUMNS) + 1 :],
]

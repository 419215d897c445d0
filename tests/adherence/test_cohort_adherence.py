"""Cohort adherence (selectors/cohort.py) gives exactly patient_adherence's figures for every
patient and window, and the current plan's summary, in a fixed number of queries however many
patients the cohort has."""

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Patient, PatientTimeZoneChange, User
from backend.accounts.selectors import patient_local_today
from backend.adherence.metrics import AdherenceMetrics
from backend.adherence.models import DoseStatus, PlanStatus, SkipReason, TreatmentPlan
from backend.adherence.selectors.cohort import cohort_adherence, cohort_rows
from backend.adherence.selectors.doses import patient_adherence
from backend.adherence.selectors.plans import plan_current, plan_summary
from backend.adherence.services.ledger import ledger_rewrite, ledger_rewrite_patient
from backend.adherence.services.plans import plan_hold_add, plan_revise, plan_stop
from tests.factories.accounts import activated_patient
from tests.factories.doses import DoseRecord, doses_logged
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, HIGH_RISK_CASE, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

MADRID = "Europe/Madrid"
TODAY = date(2025, 6, 20)
NOW = datetime.combine(TODAY, time(9), tzinfo=ZoneInfo(MADRID))
LOGGED_FROM = TODAY - timedelta(days=210)  # logs are written from here to TODAY + 3

WINDOWS = [
    (TODAY - timedelta(days=29), TODAY),  # PDC 30
    (TODAY - timedelta(days=89), TODAY),  # PDC 90
    (TODAY - timedelta(days=200), TODAY - timedelta(days=140)),  # apart from the others
    (TODAY - timedelta(days=5), TODAY + timedelta(days=10)),  # into the future: pending
    (TODAY, TODAY),
    (TODAY + timedelta(days=3), TODAY - timedelta(days=3)),  # empty (first after last)
]


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def move(patient: Patient, time_zone: str, effective: date) -> None:
    """A zone change as patient_time_zone_change records it, with a chosen effective date."""
    PatientTimeZoneChange.objects.create(
        patient=patient,
        previous_time_zone=patient.time_zone,
        time_zone=time_zone,
        effective_date=effective,
    )
    patient.time_zone = time_zone
    patient.save(update_fields=["time_zone", "updated_at"])
    ledger_rewrite_patient(patient.pk, from_day=effective)  # as patient_time_zone_change does


def stop_at(plan: TreatmentPlan, nurse: User, instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        plan_stop(plan=plan, stopped_by=nurse, reason="Progression")


# ---------------------------------------------------------------- histories, one per patient


def stopped_after_zone_change(nurse: User, patient: Patient) -> None:
    # Stopped at 14:00 UTC on ago(25): already ago(24) in Auckland, where the patient then
    # lives, so the last dose day depends on reading the zone history.
    move(patient, "Pacific/Auckland", ago(60))
    plan = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(120),
        dose_times=["08:00"],
    )
    stop_at(plan, nurse, datetime.combine(ago(25), time(14), tzinfo=UTC))


def held(nurse: User, patient: Patient) -> None:
    plan = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(120),
        dose_times=["08:00"],
    )
    plan_hold_add(
        plan=plan, created_by=nurse, start_date=ago(50), end_date=ago(40), reason="Neutropenia"
    )
    plan_hold_add(plan=plan, created_by=nurse, start_date=ago(3), end_date=None, reason="Surgery")


def revised(nurse: User, patient: Patient) -> None:
    plan = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=ADVANCED_KIT_EXON_9_CASE,
        start_date=ago(120),
        dose_times=["08:00", "20:00"],
    )
    plan_revise(
        plan=plan,
        created_by=nurse,
        dose_mg_per_day=400,
        dose_times=["09:00"],
        reason="Grade 3 fatigue",
        effective_date=ago(45),
    )
    plan_revise(
        plan=plan,
        created_by=nurse,
        dose_mg_per_day=600,
        dose_times=["10:00"],
        reason="Tolerated: back up",
        effective_date=ago(10),
    )


def once_daily(nurse: User, patient: Patient) -> None:
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(150),
        dose_times=["08:00"],
    )


def twice_daily(nurse: User, patient: Patient) -> None:
    patient.time_zone = "America/Los_Angeles"  # from enrolment: no zone change
    patient.save(update_fields=["time_zone"])
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=ADVANCED_KIT_EXON_9_CASE,
        start_date=ago(100),
        dose_times=["08:00", "20:00"],
    )


def zone_changes(nurse: User, patient: Patient) -> None:
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(180),
        dose_times=["22:30"],
    )
    move(patient, "America/New_York", ago(40))
    move(patient, "Asia/Tokyo", ago(15))


def overlapping(nurse: User, patient: Patient) -> None:
    # A twice-daily plan stopped on ago(20); a once-daily plan started on ago(35): the days
    # both cover belong wholly to the later one (one dose, not two).
    first = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=ADVANCED_KIT_EXON_9_CASE,
        start_date=ago(150),
        dose_times=["08:00", "20:00"],
    )
    stop_at(first, nurse, datetime.combine(ago(20), time(12), tzinfo=ZoneInfo(MADRID)))
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(35),
        dose_times=["07:00"],
    )


def completed_long_ago(nurse: User, patient: Patient) -> None:
    plan = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(300),
        dose_times=["08:00"],
    )
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        planned_end_date=ago(160), status=PlanStatus.COMPLETED
    )
    ledger_rewrite(plan, from_day=ago(159))  # the rows after the new end date go


def completed_then_stopped(nurse: User, patient: Patient) -> None:
    # No active plan: the current one is the later (stopped) plan, not the completed one.
    completed_long_ago(nurse, patient)
    plan = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=ADVANCED_KIT_EXON_9_CASE,
        start_date=ago(150),
        dose_times=["08:00", "20:00"],
    )
    stop_at(plan, nurse, datetime.combine(ago(30), time(18), tzinfo=ZoneInfo(MADRID)))


def active_started_before_a_stopped_plan(nurse: User, patient: Patient) -> None:
    # The active plan is current though the stopped one started later; on the days both
    # cover (ago(40) to ago(30)) the stopped one, which started later, owns them.
    first = TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK_CASE,
        start_date=ago(40),
        dose_times=["07:30"],
    )
    stop_at(first, nurse, datetime.combine(ago(30), time(9), tzinfo=ZoneInfo(MADRID)))
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=ADVANCED_KIT_EXON_9_CASE,
        start_date=ago(100),
        dose_times=["08:00", "20:00"],
    )


def no_plan(nurse: User, patient: Patient) -> None:
    pass


# The first three touch every relation (revisions, holds, zone changes), so a cohort of three
# pays for every prefetch a cohort of thirty does.
HISTORIES: list[Callable[[User, Patient], None]] = [
    stopped_after_zone_change,
    held,
    revised,
    once_daily,
    twice_daily,
    zone_changes,
    overlapping,
    completed_long_ago,
    completed_then_stopped,
    active_started_before_a_stopped_plan,
    no_plan,
]

OUTCOMES = ("none", "taken", "taken", "taken", "late", "skipped", "missed")


def random_logs(patient: Patient, seed: int) -> None:
    """A log or none for every (day, slot 1 or 2) from LOGGED_FROM: logs for days or slots
    the schedule lacks are written too (the metrics must ignore them alike)."""
    plan = TreatmentPlan.objects.filter(patient=patient).order_by("-start_date").first()
    if plan is None:
        return
    rng = random.Random(seed)
    logs = []
    day = LOGGED_FROM
    while day <= TODAY + timedelta(days=3):
        for slot in (1, 2):
            outcome = rng.choice(OUTCOMES)
            if outcome == "none":
                continue
            status = {"late": DoseStatus.TAKEN}.get(outcome, outcome)
            reason = rng.choice(["", *SkipReason.values]) if status == DoseStatus.SKIPPED else ""
            logs.append(
                DoseRecord(
                    plan,
                    day,
                    slot,
                    status,
                    taken_at=NOW if status == DoseStatus.TAKEN else None,
                    late=outcome == "late",
                    skip_reason=reason,
                )
            )
        day += timedelta(days=1)
    doses_logged(logs)


def cohort(nurse: User, care_team, size: int) -> list[Patient]:
    patients = []
    for index in range(size):
        patient = activated_patient(care_team=care_team, time_zone=MADRID)
        HISTORIES[index % len(HISTORIES)](nurse, patient)
        random_logs(patient, seed=index)
        patients.append(Patient.objects.get(pk=patient.pk))  # as a caller would load it
    return patients


def one_by_one(patient: Patient, windows: list[tuple[date, date]]) -> list[AdherenceMetrics]:
    """What the one-patient read gives, window by window."""
    return [patient_adherence(patient, first, last) for first, last in windows]


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


# ---------------------------------------------------------------- same figures


def test_cohort_figures_equal_patient_adherence_for_every_patient_and_window(nurse, care_team):
    patients = cohort(nurse, care_team, 2 * len(HISTORIES))

    result = cohort_adherence(patients, WINDOWS)

    assert set(result) == {patient.pk for patient in patients}
    for patient in patients:
        assert result[patient.pk] == one_by_one(patient, WINDOWS), patient.display_name
    # The histories are not trivial: something of every kind was counted somewhere.
    every = [m for metrics in result.values() for m in metrics]
    for field in ("taken", "taken_late", "skipped", "missed", "pending", "on_hold"):
        assert any(getattr(m, field) for m in every), field
    assert any(m.longest_missed_streak > 1 for m in every)


def test_a_day_two_plans_cover_belongs_to_the_later_plan(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    overlapping(nurse, patient)
    random_logs(patient, seed=7)
    shared = (ago(35), ago(20))  # both plans cover these days

    [metrics] = cohort_adherence([patient], [shared])[patient.pk]

    assert metrics == patient_adherence(patient, *shared)
    counts = (metrics.taken, metrics.taken_late, metrics.skipped, metrics.missed)
    assert sum(counts) + metrics.pending == 16  # once a day (the later plan), not 16 * 3


def test_cohort_rows_give_the_current_plan_summary(nurse, care_team):
    patients = cohort(nurse, care_team, len(HISTORIES))

    rows = cohort_rows(patients, WINDOWS[:2], instant=NOW)

    for patient in patients:
        row = rows[patient.pk]
        assert row.metrics == one_by_one(patient, WINDOWS[:2])
        plan = plan_current(patient)
        if plan is None:
            assert row.current_plan is None
            continue
        assert row.current_plan == plan_summary(plan, patient_local_today(patient, NOW))
    states = {rows[p.pk].current_plan.state for p in patients if rows[p.pk].current_plan}
    assert states == {"active", "on_hold", "completed", "stopped"}


def test_a_patient_without_a_plan_gets_empty_figures(care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)

    result = cohort_adherence([patient], WINDOWS)

    assert result == {patient.pk: one_by_one(patient, WINDOWS)}
    assert result[patient.pk][0].pdc.denominator == 0
    assert cohort_rows([patient], WINDOWS)[patient.pk].current_plan is None


# ---------------------------------------------------------------- fixed number of queries


def test_query_count_does_not_grow_with_the_cohort(nurse, care_team):
    patients = cohort(nurse, care_team, 30)
    three, thirty = patients[:3], patients

    with CaptureQueriesContext(connection) as for_three:
        cohort_adherence(three, WINDOWS)
    with CaptureQueriesContext(connection) as for_thirty:
        result = cohort_adherence(thirty, WINDOWS)
    with CaptureQueriesContext(connection) as rows_for_thirty:
        cohort_rows(thirty, WINDOWS)

    assert len(result) == 30
    sql = [query["sql"][:90] for query in for_thirty.captured_queries]
    assert len(for_three) == len(for_thirty) == 1, sql  # the dose ledger's rows
    # The ledger, then plans, revisions, holds and zone changes for the current plans.
    assert len(rows_for_thirty) == 5, [query["sql"][:90] for query in rows_for_thirty]


def test_an_empty_cohort_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cohort_adherence([], WINDOWS) == {}
        assert cohort_rows([], WINDOWS) == {}

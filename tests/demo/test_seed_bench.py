"""seed_bench: a small cohort written with COPY reads back as the app's own data (one log per
scheduled dose up to yesterday, about 90 % taken, streaks, reports, alerts, metrics), and the
command refuses any database holding data that is not bench data."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from backend.accounts.models import CareTeam, CareTeamMembership, Patient, User
from backend.adherence.models import PlanRevision, ScheduledDose, TreatmentPlan
from backend.adherence.selectors.doses import patient_adherence
from backend.alerts.models import PRIORITY_RANK, Alert
from backend.audit.models import AuditEvent
from backend.sideeffects.models import ClinicianAssessment, SideEffectReport
from bench import bench_seed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATIENTS = 20
SEED = 2026
MIN_AGE = bench_seed.MIN_PLAN_AGE_DAYS


def seed(**options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    arguments = {"patients": PATIENTS, "years": 1, "seed": SEED, **options}
    call_command("seed_bench", stdout=out, stderr=err, **arguments)
    return out.getvalue(), err.getvalue()


def yesterday_of(patient: Patient) -> date:
    return timezone.localtime(timezone.now(), ZoneInfo(patient.time_zone)).date() - timedelta(1)


def scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_seeds_people_plans_and_revisions() -> None:
    out, err = seed()

    assert "dose logs" in out and "seed 2026" in out
    assert "dose logs" in err and "100.0%" in err and "rows/s" in err  # the progress lines
    assert list(CareTeam.objects.values_list("name", flat=True)) == ["Bench team 001"]
    nurse = User.objects.get(username="bench.nurse.001", role="nurse")
    coordinator = User.objects.get(username="bench.coordinator.001", role="coordinator")
    assert nurse.check_password(bench_seed.DEFAULT_STAFF_PASSWORD)
    assert coordinator.check_password(bench_seed.DEFAULT_STAFF_PASSWORD)
    assert CareTeamMembership.objects.count() == 2
    patients = list(Patient.objects.select_related("user"))
    assert len(patients) == PATIENTS
    assert {p.medical_record_number for p in patients} == {
        f"BENCH-{n:06d}" for n in range(1, PATIENTS + 1)
    }
    for patient in patients:
        assert patient.user is not None
        assert patient.user.username == f"bench.patient.{patient.medical_record_number[6:]}"
        assert patient.user.role == "patient" and not patient.user.has_usable_password()
        assert patient.time_zone in {zone for zone, _, _ in bench_seed.ZONES}
        assert patient.language in ("en", "es")
    assert TreatmentPlan.objects.count() == PATIENTS
    for plan in TreatmentPlan.objects.prefetch_related("revisions"):
        (revision,) = plan.revisions.all()
        assert (revision.number, revision.effective_date) == (1, plan.start_date)
        assert revision.reason == "Starting dose as recommended."
        assert revision.created_by_id == nurse.pk
        assert plan.recommendation["dose_mg_per_day"] == revision.dose_mg_per_day
        assert plan.guideline_version == plan.recommendation["guideline_version"]
        assert plan.case["start_date"] == plan.start_date.isoformat()
        if plan.setting == "adjuvant":
            assert (revision.dose_mg_per_day, revision.dose_times) == (400, ["08:00"])
            assert plan.planned_end_date is not None
            assert plan.planned_end_date.isoformat() == plan.recommendation["planned_end_date"]
        else:
            assert (revision.dose_mg_per_day, revision.dose_times) == (800, ["08:00", "20:00"])
            assert plan.planned_end_date is None
        assert plan.status == "active"  # a one-year cohort: no 36-month plan has ended
        yesterday = yesterday_of(plan.patient)
        assert timedelta(days=MIN_AGE - 1) <= yesterday - plan.start_date <= timedelta(366)
    assert PlanRevision.objects.count() == PATIENTS


def test_the_dose_ledger_holds_the_recent_days_with_the_logs_on_them() -> None:
    """Issue 20 step A: the worker's jobs read the ledger, so the seed writes its recent days
    (what the sweep and a phone can still touch) to the horizon, each log copied onto its
    row: yesterday is resolved, today is pending, nothing is swept that has a log."""
    from django.conf import settings

    from backend.adherence.models import ScheduledDose

    seed()
    for plan in TreatmentPlan.objects.select_related("patient"):
        yesterday = yesterday_of(plan.patient)
        rows = ScheduledDose.objects.filter(plan=plan)
        first = yesterday - timedelta(days=settings.DOSE_BACKFILL_DAYS)
        for log in ScheduledDose.objects.logged().filter(
            patient=plan.patient, local_date__gte=first
        ):
            row = rows.get(local_date=log.local_date, slot=log.slot)
            assert (row.state, row.client_id, row.taken_at) == (
                log.state,
                log.client_id,
                log.taken_at,
            )
        assert not rows.filter(local_date__lte=yesterday, state="pending").exists()
        assert rows.filter(local_date=yesterday + timedelta(days=1), state="pending").exists()
        last = yesterday + timedelta(days=1 + settings.LEDGER_HORIZON_DAYS)
        latest = rows.order_by("-local_date").first()
        assert latest is not None and latest.local_date == last


def test_dose_logs_cover_every_scheduled_dose_up_to_yesterday() -> None:
    seed()

    for plan in TreatmentPlan.objects.select_related("patient").prefetch_related("revisions"):
        yesterday = yesterday_of(plan.patient)
        per_day = plan.revisions.get().doses_per_day
        logs = ScheduledDose.objects.logged().filter(patient=plan.patient)
        assert logs.filter(local_date__gt=yesterday).count() == 0
        assert logs.filter(local_date__lt=plan.start_date).count() == 0
        days = (yesterday - plan.start_date).days + 1
        assert logs.count() == days * per_day
        # The app's own reading of the schedule: every dose of the last 90 days is resolved.
        first = max(plan.start_date, yesterday - timedelta(days=89))
        metrics = patient_adherence(plan.patient, first, yesterday)
        assert metrics.pending == 0 and metrics.on_hold == 0
        assert metrics.scheduled_doses == logs.filter(local_date__gte=first).count()
        assert metrics.pdc.denominator == (yesterday - first).days + 1
        assert metrics.pdc.percent is not None
    duplicates = scalar(
        "SELECT count(*) FROM (SELECT 1 FROM adherence_scheduleddose "
        "GROUP BY patient_id, local_date, slot HAVING count(*) > 1) d"
    )
    assert duplicates == 0
    # Taken (on time or late) over every dose logged: about 90 %.
    taken = ScheduledDose.objects.logged().filter(state="taken").count()
    assert 0.8 <= taken / ScheduledDose.objects.logged().count() <= 0.97
    late = ScheduledDose.objects.logged().filter(state="taken", late=True).count()
    assert 0.05 <= late / taken <= 0.15
    assert not ScheduledDose.objects.logged().filter(state="taken", taken_at__isnull=True).exists()
    assert (
        not ScheduledDose.objects.logged()
        .exclude(state="taken")
        .filter(taken_at__isnull=False)
        .exists()
    )
    assert set(
        ScheduledDose.objects.logged().filter(state="skipped").values_list("skip_reason", flat=True)
    ) <= {
        "forgot",
        "side_effects",
        "ran_out",
        "travel",
        "other",
    }
    assert (
        not ScheduledDose.objects.logged()
        .filter(state="missed", recorded_by__isnull=False)
        .exists()
    )
    assert (
        not ScheduledDose.objects.logged().filter(state="missed", client_id__isnull=False).exists()
    )
    # Missed streaks: two days or more in a row with a missed dose.
    missed_days: dict[object, set] = defaultdict(set)
    for patient_id, day in (
        ScheduledDose.objects.logged()
        .filter(state="missed")
        .values_list("patient_id", "local_date")
    ):
        missed_days[patient_id].add(day)
    streaks = sum(
        1
        for days in missed_days.values()
        for day in days
        if day + timedelta(1) in days and day - timedelta(1) not in days
    )
    assert streaks >= 5


def test_reports_and_alerts_follow_the_rules() -> None:
    seed()

    assert SideEffectReport.objects.count() >= PATIENTS * 6  # about one a month
    for report in SideEffectReport.objects.all()[:200]:
        assert report.symptom != "other"
        assert report.patient_level == max(report.patient_scores.values())
        assert 0 <= report.patient_level <= 3
        assert set(report.patient_scores) == set(bench_seed.SYMPTOMS[report.symptom].attributes)
    assert SideEffectReport.objects.filter(patient_level=3).exists()
    assert ClinicianAssessment.objects.count() >= 1
    alerts = Alert.objects.all()
    assert alerts.count() >= PATIENTS * 2
    assert {a.kind for a in alerts} >= {"missed_dose_streak", "severe_symptom"}
    for alert in alerts:
        assert alert.priority_rank == PRIORITY_RANK[alert.priority]
        assert alert.sources and alert.rule.startswith("alert.")
        assert alert.opened_at <= alert.last_seen_at <= timezone.now()
        if alert.status == "resolved":
            assert alert.acknowledged_at is not None and alert.resolved_at is not None
            assert alert.acknowledged_at <= alert.resolved_at <= timezone.now()
            assert alert.resolution_outcome == "contacted_patient" and alert.resolution_note
        if "report" in alert.details:
            report = SideEffectReport.objects.get(pk=alert.details["report"])
            assert report.patient_id == alert.patient_id
            if hasattr(report, "care_team_alerted"):
                assert report.care_team_alerted
    unresolved = alerts.exclude(status="resolved")
    assert unresolved.count() == round(PATIENTS * bench_seed.OPEN_ALERT_SHARE)
    assert len({alert.patient_id for alert in unresolved}) == unresolved.count()


def test_every_reference_points_at_a_row() -> None:
    """The load runs without foreign-key triggers (as superuser): check what they would."""
    seed()

    orphans = {
        "dose log patient": "adherence_scheduleddose d LEFT JOIN accounts_patient p "
        "ON p.id = d.patient_id WHERE p.id IS NULL",
        "dose log plan": "adherence_scheduleddose d LEFT JOIN adherence_treatmentplan p "
        "ON p.id = d.plan_id WHERE p.id IS NULL",
        "dose log plan of another patient": "adherence_scheduleddose d "
        "JOIN adherence_treatmentplan p ON p.id = d.plan_id WHERE p.patient_id <> d.patient_id",
        "dose log user": "adherence_scheduleddose d LEFT JOIN accounts_user u "
        "ON u.id = d.recorded_by_id WHERE d.recorded_by_id IS NOT NULL AND u.id IS NULL",
        "report patient": "sideeffects_sideeffectreport r LEFT JOIN accounts_patient p "
        "ON p.id = r.patient_id WHERE p.id IS NULL",
        "assessment report": "sideeffects_clinicianassessment a LEFT JOIN "
        "sideeffects_sideeffectreport r ON r.id = a.report_id WHERE r.id IS NULL",
        "alert patient": "alerts_alert a LEFT JOIN accounts_patient p "
        "ON p.id = a.patient_id WHERE p.id IS NULL",
        "alert user": "alerts_alert a LEFT JOIN accounts_user u ON u.id = a.resolved_by_id "
        "WHERE a.resolved_by_id IS NOT NULL AND u.id IS NULL",
        "revision plan": "adherence_planrevision r LEFT JOIN adherence_treatmentplan p "
        "ON p.id = r.plan_id WHERE p.id IS NULL",
    }
    found = {name: scalar(f"SELECT count(*) FROM {join}") for name, join in orphans.items()}  # noqa: S608
    assert found == dict.fromkeys(orphans, 0)


def test_same_seed_same_day_same_rows() -> None:
    def fingerprint() -> tuple[object, ...]:
        # Not the times measured from the clock (the newest alerts, reminders): only those move.
        return (
            list(Patient.objects.order_by("pk").values_list("pk", "display_name", "time_zone")),
            list(TreatmentPlan.objects.order_by("pk").values_list("pk", "start_date", "setting")),
            list(
                ScheduledDose.objects.logged()
                .order_by("pk")
                .values_list("pk", "state", "taken_at", "late")
            ),
            list(SideEffectReport.objects.order_by("pk").values_list("pk", "patient_scores")),
            list(Alert.objects.order_by("pk").values_list("pk", "patient_id", "kind", "symptom")),
        )

    noon = datetime(2026, 3, 9, 12, 0, tzinfo=ZoneInfo("UTC"))  # the same day in every zone
    with time_machine.travel(noon, tick=False):
        seed(patients=6)
        first = fingerprint()
    with time_machine.travel(noon + timedelta(hours=2), tick=False):
        seed(patients=6, reset=True)
        assert fingerprint() == first
        seed(patients=6, reset=True, seed=SEED + 1)
        assert fingerprint() != first


def test_refuses_a_database_with_a_care_team_that_is_not_bench() -> None:
    CareTeam.objects.create(name="North Sarcoma Unit")

    with pytest.raises(CommandError, match=r"not bench data.*North Sarcoma Unit"):
        seed()
    with pytest.raises(CommandError, match="not bench data"):
        seed(reset=True)
    assert CareTeam.objects.count() == 1
    assert not User.objects.exists() and not Patient.objects.exists()
    assert not ScheduledDose.objects.logged().exists() and not Alert.objects.exists()


def test_refuses_a_database_with_a_user_that_is_not_bench() -> None:
    User.objects.create_superuser("admin", password="x")

    with pytest.raises(CommandError, match=r"not bench data.*admin"):
        seed(reset=True)
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert not CareTeam.objects.exists() and not Patient.objects.exists()


def test_bench_data_is_replaced_only_with_reset() -> None:
    seed(patients=5)

    with pytest.raises(CommandError, match="--reset"):
        seed(patients=8)
    assert Patient.objects.count() == 5

    _, err = seed(patients=8, reset=True)
    assert "Deleted the earlier bench data" in err
    assert Patient.objects.count() == 8 and TreatmentPlan.objects.count() == 8
    assert User.objects.filter(username="bench.patient.000008").exists()
    assert ScheduledDose.objects.logged().values("patient_id").distinct().count() == 8


def test_reset_keeps_rows_that_belong_to_no_bench_user_or_patient() -> None:
    seed(patients=3)
    AuditEvent.objects.create(action="system.check")  # no actor, no patient: not bench data

    with pytest.raises(CommandError, match="audit_auditevent"):
        seed(patients=3, reset=True)
    assert Patient.objects.count() == 3 and AuditEvent.objects.count() == 1


def test_refuses_a_window_shorter_than_the_youngest_plan() -> None:
    with pytest.raises(CommandError, match="--years"):
        seed(years=0.05)
    assert not User.objects.exists()

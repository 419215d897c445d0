"""The missed-dose sweep (doses_mark_missed): a scheduled dose with no log becomes "missed" once
the end of its local day plus DOSE_MISSED_GRACE_HOURS has passed; never for held days, logged
doses or days outside the plan; idempotent; a fixed number of queries per batch of plans."""

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import PatientTimeZoneChange
from backend.adherence.models import (
    DoseLogRevision,
    DoseStatus,
    PlanHold,
    PlanStatus,
    ScheduledDose,
    TreatmentPlan,
)
from backend.adherence.services.missed_doses import doses_mark_missed
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

AUCKLAND = "Pacific/Auckland"
LOS_ANGELES = "America/Los_Angeles"
MADRID = "Europe/Madrid"

ADVANCED_EXON_9 = {**ADVANCED_KIT_EXON_9_CASE, "start_date": "2025-03-15"}
DAY = date(2025, 6, 2)  # a Monday, no daylight-saving change near it in any zone used here


def local(day: date, wall: str, zone: str) -> datetime:
    """An aware instant: wall-clock time `wall` on `day` in `zone`."""
    return datetime.combine(day, time.fromisoformat(wall), tzinfo=ZoneInfo(zone))


def grace_end(day: date, zone: str) -> datetime:
    """Local midnight ending `day`, plus the grace hours (elapsed time, as the sweep counts)."""
    midnight = local(day + timedelta(days=1), "00:00", zone).astimezone(UTC)
    return midnight + timedelta(hours=settings.DOSE_MISSED_GRACE_HOURS)


def post_dose(client, day: date, slot: int = 1, **fields: object):
    body = {"client_id": str(uuid4()), "date": day.isoformat(), "slot": slot, **fields}
    return client.post("/api/v1/me/doses/", body, format="json")


def rows(patient) -> list[tuple[date, int, str]]:
    return list(
        ScheduledDose.objects.logged()
        .filter(patient=patient)
        .order_by("local_date", "slot")
        .values_list("local_date", "slot", "state")
    )


def missed_days(patient) -> list[date]:
    return list(
        ScheduledDose.objects.logged()
        .filter(patient=patient, state=DoseStatus.MISSED)
        .order_by("local_date", "slot")
        .values_list("local_date", flat=True)
    )


def ledger_states(patient, first: date, last: date) -> list[str]:
    return list(
        ScheduledDose.objects.filter(patient=patient, local_date__gte=first, local_date__lte=last)
        .order_by("local_date", "slot")
        .values_list("state", flat=True)
    )


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


@pytest.fixture
def nurse_client(nurse):
    return client_for(nurse)


# ------------------------------------------------------------------ (a) the grace window


@pytest.mark.parametrize(
    ("zone", "day", "expected_grace_end"),
    [
        # NZST (UTC+12): 3 June 00:00 local is 2 June 12:00 UTC; + 6 h.
        (AUCKLAND, DAY, datetime(2025, 6, 2, 18, 0, tzinfo=UTC)),
        # PDT (UTC-7): 3 June 00:00 local is 3 June 07:00 UTC; + 6 h.
        (LOS_ANGELES, DAY, datetime(2025, 6, 3, 13, 0, tzinfo=UTC)),
        # 23-hour days (clocks go forward): Auckland 28 Sep, Los Angeles 9 Mar.
        (AUCKLAND, date(2025, 9, 28), datetime(2025, 9, 28, 17, 0, tzinfo=UTC)),
        (LOS_ANGELES, date(2025, 3, 9), datetime(2025, 3, 10, 13, 0, tzinfo=UTC)),
        # 25-hour days (clocks go back): Auckland 6 Apr, Los Angeles 2 Nov.
        (AUCKLAND, date(2025, 4, 6), datetime(2025, 4, 6, 18, 0, tzinfo=UTC)),
        (LOS_ANGELES, date(2025, 11, 2), datetime(2025, 11, 3, 14, 0, tzinfo=UTC)),
    ],
    ids=["auckland", "los-angeles", "auckland-23h", "los-angeles-23h", "auckland-25h", "la-25h"],
)
def test_unlogged_dose_is_missed_only_after_end_of_local_day_plus_grace(
    nurse, care_team, zone, day, expected_grace_end
):
    assert settings.DOSE_MISSED_GRACE_HOURS == 6
    assert grace_end(day, zone) == expected_grace_end  # the helper agrees with the hand figures
    patient = activated_patient(care_team=care_team, time_zone=zone)
    with time_machine.travel(local(day, "07:00", zone), tick=False):
        plan = TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=day)

    one_minute = timedelta(minutes=1)
    assert doses_mark_missed(expected_grace_end - one_minute) == 0
    assert rows(patient) == []
    assert ledger_states(patient, day, day + timedelta(days=1)) == ["pending", "pending"]

    assert doses_mark_missed(expected_grace_end + one_minute) == 1
    assert rows(patient) == [(day, 1, "missed")]  # the next day is not touched yet
    log = ScheduledDose.objects.logged().get(patient=patient)
    assert log.plan_id == plan.pk
    assert log.client_id is None and log.taken_at is None and log.recorded_by is None
    assert ledger_states(patient, day, day + timedelta(days=1)) == ["missed", "pending"]


def test_same_instant_splits_auckland_and_los_angeles(nurse, care_team):
    """At 2 June 18:01 UTC Auckland's 2 June is past its grace window; Los Angeles's is not."""
    auckland = activated_patient(care_team=care_team, time_zone=AUCKLAND)
    los_angeles = activated_patient(care_team=care_team, time_zone=LOS_ANGELES)
    with time_machine.travel(local(DAY, "07:00", AUCKLAND), tick=False):
        TreatmentPlanFactory.create(patient=auckland, created_by=nurse, start_date=DAY)
        # still 1 June in Los Angeles
        TreatmentPlanFactory.create(patient=los_angeles, created_by=nurse, start_date=DAY)
    assert doses_mark_missed(datetime(2025, 6, 2, 18, 1, tzinfo=UTC)) == 1
    assert missed_days(auckland) == [DAY]
    assert missed_days(los_angeles) == []
    assert doses_mark_missed(datetime(2025, 6, 3, 13, 1, tzinfo=UTC)) == 1
    assert missed_days(los_angeles) == [DAY]
    assert missed_days(auckland) == [DAY]


# ------------------------------------------------------------------ (b) idempotent


def test_second_run_writes_nothing(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    now = grace_end(DAY + timedelta(days=4), MADRID) + timedelta(minutes=1)
    assert doses_mark_missed(now) == 5
    before = rows(patient)
    assert before == [(d, 1, "missed") for d in days(DAY, 5)]

    assert doses_mark_missed(now) == 0
    assert rows(patient) == before
    assert ScheduledDose.objects.logged().count() == 5


def test_count_is_rows_written_when_a_new_plan_starts_on_a_logged_day(
    nurse, nurse_client, care_team
):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    with time_machine.travel(local(DAY, "08:30", MADRID), tick=False):
        taken = post_dose(
            client_for(patient.user), DAY, status="taken", taken_at=local(DAY, "08:05", MADRID)
        )
        assert taken.status_code == 201, taken.json()
    # Same day: the plan is stopped and a new one (twice daily) starts that day.
    with time_machine.travel(local(DAY, "11:00", MADRID), tick=False):
        stop = nurse_client.post(
            f"/api/v1/patients/{patient.pk}/plan/stop/", {"reason": "Progression"}, format="json"
        )
        assert stop.status_code == 200, stop.json()
        TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            start_date=DAY,
            case=ADVANCED_EXON_9,
            dose_times=("08:00", "20:00"),
        )
    count_before = ScheduledDose.objects.logged().count()
    written = doses_mark_missed(grace_end(DAY, MADRID) + timedelta(minutes=1))
    assert rows(patient) == [(DAY, 1, "taken"), (DAY, 2, "missed")]
    assert written == ScheduledDose.objects.logged().count() - count_before == 1


# ------------------------------------------------------------------ (c) holds


def test_held_days_are_never_marked(nurse, nurse_client, care_team):
    patient = activated_patient(care_team=care_team, time_zone=LOS_ANGELES)
    holds_url = f"/api/v1/patients/{patient.pk}/plan/holds/"
    with time_machine.travel(local(DAY, "07:00", LOS_ANGELES), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
        closed = {
            "start_date": (DAY + timedelta(days=2)).isoformat(),
            "end_date": (DAY + timedelta(days=3)).isoformat(),
            "reason": "Grade 3 rash",
        }
        response = nurse_client.post(holds_url, closed, format="json")
        assert response.status_code == 201, response.json()
        open_ended = {"start_date": (DAY + timedelta(days=6)).isoformat(), "reason": "Surgery"}
        response = nurse_client.post(holds_url, open_ended, format="json")
        assert response.status_code == 201, response.json()

    now = grace_end(DAY + timedelta(days=9), LOS_ANGELES) + timedelta(minutes=1)
    expected = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=4), DAY + timedelta(days=5)]
    assert doses_mark_missed(now) == len(expected)
    assert missed_days(patient) == expected
    assert doses_mark_missed(now + timedelta(days=30)) == 0  # the open hold still holds


def test_days_after_a_hold_ended_in_the_past_are_swept(nurse, nurse_client, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
        body = {"start_date": (DAY + timedelta(days=1)).isoformat(), "reason": "Neutropenia"}
        response = nurse_client.post(
            f"/api/v1/patients/{patient.pk}/plan/holds/", body, format="json"
        )
        assert response.status_code == 201, response.json()
    hold_id = PlanHold.objects.get(plan__patient=patient).pk
    # The sweep runs on the morning of day 5: days 1..4 are held, day 0 is missed.
    assert doses_mark_missed(grace_end(DAY + timedelta(days=4), MADRID)) == 1
    # On day 5 the nurse records that the hold ended on day 2 (the patient resumed on day 3).
    with time_machine.travel(local(DAY + timedelta(days=5), "10:00", MADRID), tick=False):
        response = nurse_client.post(
            f"/api/v1/patients/{patient.pk}/plan/holds/{hold_id}/end/",
            {"end_date": (DAY + timedelta(days=2)).isoformat()},
            format="json",
        )
        assert response.status_code == 200, response.json()
    doses_mark_missed(grace_end(DAY + timedelta(days=5), MADRID))
    # Days 3, 4 and 5 are scheduled, unlogged and past their grace window.
    assert missed_days(patient) == [DAY, *days(DAY + timedelta(days=3), 3)]


def test_second_slot_added_from_a_past_day_is_swept(nurse, nurse_client, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    assert doses_mark_missed(grace_end(DAY + timedelta(days=2), MADRID)) == 3
    # On day 3 the nurse records that 800 mg (400 mg twice a day) started on day 1.
    with time_machine.travel(local(DAY + timedelta(days=3), "10:00", MADRID), tick=False):
        response = nurse_client.post(
            f"/api/v1/patients/{patient.pk}/plan/revisions/",
            {
                "dose_mg_per_day": 800,
                "dose_times": ["08:00", "20:00"],
                "effective_date": (DAY + timedelta(days=1)).isoformat(),
                "reason": "Escalated to 800 mg on progression (tumour board).",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
    doses_mark_missed(grace_end(DAY + timedelta(days=3), MADRID))
    assert rows(patient) == [
        (DAY, 1, "missed"),
        *[(day, slot, "missed") for day in days(DAY + timedelta(days=1), 3) for slot in (1, 2)],
    ]


# ------------------------------------------------------------------ (d) logged doses


def test_logged_doses_are_left_alone(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    phone = client_for(patient.user)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    with time_machine.travel(local(DAY, "08:05", MADRID), tick=False):
        taken = post_dose(phone, DAY, status="taken", taken_at=local(DAY, "08:02", MADRID))
        assert taken.status_code == 201, taken.json()
    next_day = DAY + timedelta(days=1)
    with time_machine.travel(local(next_day, "21:00", MADRID), tick=False):
        skipped = post_dose(phone, next_day, status="skipped", skip_reason="side_effects")
        assert skipped.status_code == 201, skipped.json()
    logged = {log.pk: log for log in ScheduledDose.objects.logged().filter(patient=patient)}

    now = grace_end(DAY + timedelta(days=2), MADRID) + timedelta(minutes=1)
    assert doses_mark_missed(now) == 1
    assert rows(patient) == [
        (DAY, 1, "taken"),
        (next_day, 1, "skipped"),
        (DAY + timedelta(days=2), 1, "missed"),
    ]
    for log in ScheduledDose.objects.logged().filter(pk__in=list(logged)):
        stored = logged[log.pk]
        assert (log.state, log.taken_at, log.skip_reason, log.client_id, log.updated_at) == (
            stored.state,
            stored.taken_at,
            stored.skip_reason,
            stored.client_id,
            stored.updated_at,
        )
    assert not DoseLogRevision.objects.exists()


# ------------------------------------------------------------------ (e) twice daily


def test_twice_daily_plan_marks_only_the_unlogged_slot(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=AUCKLAND)
    phone = client_for(patient.user)
    with time_machine.travel(local(DAY, "07:00", AUCKLAND), tick=False):
        TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            start_date=DAY,
            case=ADVANCED_EXON_9,
            dose_times=("08:00", "20:00"),
        )
    with time_machine.travel(local(DAY, "08:30", AUCKLAND), tick=False):
        response = post_dose(phone, DAY, 1, status="taken", taken_at=local(DAY, "08:10", AUCKLAND))
        assert response.status_code == 201, response.json()
    next_day = DAY + timedelta(days=1)
    with time_machine.travel(local(next_day, "20:30", AUCKLAND), tick=False):
        evening = local(next_day, "20:15", AUCKLAND)
        response = post_dose(phone, next_day, 2, status="taken", taken_at=evening)
        assert response.status_code == 201, response.json()

    assert doses_mark_missed(grace_end(next_day, AUCKLAND) + timedelta(minutes=1)) == 2
    assert rows(patient) == [
        (DAY, 1, "taken"),
        (DAY, 2, "missed"),
        (next_day, 1, "missed"),
        (next_day, 2, "taken"),
    ]


# ------------------------------------------------------------------ (f) backfill window


@pytest.mark.parametrize("backfill_days", [7, 3])
def test_plan_started_months_ago_is_swept_only_from_the_backfill_window(
    nurse, care_team, settings, backfill_days
):
    settings.DOSE_BACKFILL_DAYS = backfill_days
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    today = date(2025, 6, 20)
    start = date(2025, 3, 15)
    with time_machine.travel(local(today, "10:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=start)
    first_loggable = today - timedelta(days=backfill_days)

    # 10:00 on `today`: yesterday's grace window has ended, today's has not.
    written = doses_mark_missed(local(today, "10:00", MADRID))
    assert written == backfill_days
    assert missed_days(patient) == days(first_loggable, backfill_days)
    assert (
        not ScheduledDose.objects.logged()
        .filter(patient=patient, local_date__lt=first_loggable)
        .exists()
    )

    # The first swept day is exactly the first day the phone could have logged.
    phone = client_for(patient.user)
    with time_machine.travel(local(today, "10:00", MADRID), tick=False):
        too_old = post_dose(phone, first_loggable - timedelta(days=1), status="skipped")
        assert too_old.status_code == 400
        oldest = post_dose(phone, first_loggable, status="skipped", skip_reason="forgot")
        assert oldest.status_code == 201, oldest.json()


# ------------------------------------------------------------------ (g) logged after missed


def test_phone_logs_a_missed_dose_later_and_the_change_is_kept(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=LOS_ANGELES)
    phone = client_for(patient.user)
    with time_machine.travel(local(DAY, "07:00", LOS_ANGELES), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    assert doses_mark_missed(grace_end(DAY, LOS_ANGELES) + timedelta(minutes=1)) == 1
    missed = ScheduledDose.objects.logged().get(patient=patient)
    assert missed.state == DoseStatus.MISSED

    # Two days later the phone, back online, sends the dose taken on time on DAY.
    client_id = str(uuid4())
    taken_at = local(DAY, "08:04", LOS_ANGELES)
    body = {
        "client_id": client_id,
        "date": DAY.isoformat(),
        "slot": 1,
        "status": "taken",
        "taken_at": taken_at.isoformat(),
    }
    with time_machine.travel(local(DAY + timedelta(days=2), "12:00", LOS_ANGELES), tick=False):
        response = phone.post("/api/v1/me/doses/", body, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["id"] == str(missed.pk)
        assert response.json()["status"] == "taken"
        resend = phone.post("/api/v1/me/doses/", body, format="json")
        assert resend.status_code == 200
        assert resend.json()["id"] == str(missed.pk)
        calendar = phone.get(f"/api/v1/me/doses/?from={DAY}&to={DAY}").json()
    assert [dose["status"] for dose in calendar] == ["taken"]

    log = ScheduledDose.objects.logged().get(patient=patient)  # the same row, changed
    assert log.pk == missed.pk
    assert (log.state, log.taken_at, log.late) == (DoseStatus.TAKEN, taken_at, False)
    assert str(log.client_id) == client_id
    assert log.recorded_by_id == patient.user.pk
    revision = DoseLogRevision.objects.get()  # the resend added none
    assert revision.dose_log_id == log.pk
    assert revision.changed_by_id == patient.user.pk
    assert revision.reason == "logged after being marked missed"
    assert revision.before == {"status": "missed", "taken_at": None, "client_id": None}
    assert set(revision.after) == {"status", "taken_at", "client_id"}
    assert revision.after["status"] == "taken"
    assert revision.after["client_id"] == client_id
    assert datetime.fromisoformat(revision.after["taken_at"]) == taken_at

    # The sweep leaves the corrected row alone.
    assert doses_mark_missed(grace_end(DAY, LOS_ANGELES) + timedelta(days=1)) == 1  # DAY + 1
    assert ScheduledDose.objects.logged().get(pk=log.pk).state == DoseStatus.TAKEN


def test_a_missed_dose_outside_the_backfill_window_cannot_be_logged(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    assert doses_mark_missed(grace_end(DAY, MADRID)) == 1
    too_late = DAY + timedelta(days=settings.DOSE_BACKFILL_DAYS + 1)
    with time_machine.travel(local(too_late, "09:00", MADRID), tick=False):
        response = post_dose(client_for(patient.user), DAY, status="skipped", skip_reason="travel")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"
    assert rows(patient) == [(DAY, 1, "missed")]
    assert not DoseLogRevision.objects.exists()


def test_missed_dose_on_the_oldest_loggable_day_can_be_logged_as_taken(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    assert doses_mark_missed(grace_end(DAY, MADRID)) == 1
    today = DAY + timedelta(days=settings.DOSE_BACKFILL_DAYS)  # DAY is the oldest loggable day
    with time_machine.travel(local(today, "12:00", MADRID), tick=False):
        response = post_dose(
            client_for(patient.user), DAY, status="taken", taken_at=local(DAY, "08:04", MADRID)
        )
    assert response.status_code == 201, response.json()


# ------------------------------------------------------------------ (h) query count


def _patients_with_plans(nurse, nurse_client, care_team, count: int) -> list:
    """`count` patients in three zones, each with a plan from DAY; some with a coming zone
    change and a future hold, so every prefetched relation has rows."""
    zones = (AUCKLAND, LOS_ANGELES, MADRID)
    patients = []
    with time_machine.travel(datetime(2025, 6, 2, 0, 0, tzinfo=UTC), tick=False):
        for index in range(count):
            zone = zones[index % len(zones)]
            patient = activated_patient(care_team=care_team, time_zone=zone)
            TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
            if index % 2 == 0:
                PatientTimeZoneChange.objects.create(
                    patient=patient,
                    previous_time_zone=zone,
                    time_zone="Asia/Tokyo",
                    effective_date=DAY + timedelta(days=10),
                )
                response = nurse_client.post(
                    f"/api/v1/patients/{patient.pk}/plan/holds/",
                    {"start_date": (DAY + timedelta(days=20)).isoformat(), "reason": "Surgery"},
                    format="json",
                )
                assert response.status_code == 201, response.json()
            patients.append(patient)
    return patients


def test_sweep_query_count_does_not_grow_with_the_number_of_patients(
    nurse, nurse_client, care_team
):
    # 3 June 14:00 UTC: 2 June is past its grace window in Auckland (2 June 18:00 UTC),
    # Madrid (3 June 04:00 UTC) and Los Angeles (3 June 13:00 UTC); 3 June nowhere yet.
    now = datetime(2025, 6, 3, 14, 0, tzinfo=UTC)

    few = _patients_with_plans(nurse, nurse_client, care_team, 3)
    with CaptureQueriesContext(connection) as three:
        assert doses_mark_missed(now) == 3
    assert all(missed_days(patient) == [DAY] for patient in few)
    TreatmentPlan.objects.update(status=PlanStatus.COMPLETED)  # out of the next sweep

    many = _patients_with_plans(nurse, nurse_client, care_team, 30)
    with CaptureQueriesContext(connection) as thirty:
        assert doses_mark_missed(now) == 30
    assert all(missed_days(patient) == [DAY] for patient in many)

    assert len(thirty) == len(three), [q["sql"][:80] for q in thirty.captured_queries]
    assert len(three) <= 12  # plans + 3 prefetches + end-of-batches + logs, insert, cursor


def test_sweep_with_nothing_to_do_stays_within_the_same_bound(
    nurse, nurse_client, care_team, django_assert_max_num_queries
):
    _patients_with_plans(nurse, nurse_client, care_team, 30)
    now = datetime(2025, 6, 3, 14, 0, tzinfo=UTC)
    doses_mark_missed(now)
    with django_assert_max_num_queries(6):  # plans + 3 prefetches + end of batches
        assert doses_mark_missed(now) == 0


# ------------------------------------------------------------------ (i) end of the plan


def test_plan_end_date_stops_the_sweep(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=AUCKLAND)
    override = {"duration_months": 1, "reason": "Tumour board: one month, then review."}
    with time_machine.travel(local(DAY, "07:00", AUCKLAND), tick=False):
        plan = TreatmentPlanFactory.create(
            patient=patient, created_by=nurse, start_date=DAY, override=override
        )
    end = date(2025, 7, 2)
    assert plan.planned_end_date == end

    assert doses_mark_missed(grace_end(end + timedelta(days=10), AUCKLAND)) == 31
    assert missed_days(patient) == days(DAY, 31)
    assert max(missed_days(patient)) == end
    assert not ScheduledDose.objects.filter(plan=plan, local_date__gt=end).exists()
    assert doses_mark_missed(grace_end(end + timedelta(days=60), AUCKLAND)) == 0
    assert ScheduledDose.objects.logged().filter(patient=patient).count() == 31


def test_the_end_date_day_itself_waits_for_its_grace_window(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone=LOS_ANGELES)
    override = {"duration_months": 1, "reason": "Tumour board: one month, then review."}
    with time_machine.travel(local(DAY, "07:00", LOS_ANGELES), tick=False):
        TreatmentPlanFactory.create(
            patient=patient, created_by=nurse, start_date=DAY, override=override
        )
    end = date(2025, 7, 2)
    assert doses_mark_missed(grace_end(end, LOS_ANGELES) - timedelta(minutes=1)) == 30
    assert max(missed_days(patient)) == end - timedelta(days=1)
    assert doses_mark_missed(grace_end(end, LOS_ANGELES) + timedelta(minutes=1)) == 1
    assert max(missed_days(patient)) == end


def test_stopped_plan_is_swept_through_its_stop_day(nurse, nurse_client, care_team):
    patient = activated_patient(care_team=care_team, time_zone=MADRID)
    with time_machine.travel(local(DAY, "07:00", MADRID), tick=False):
        TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=DAY)
    stop_day = DAY + timedelta(days=2)
    # The hourly sweep has done days 0 and 1 by 07:00 on day 2.
    assert doses_mark_missed(local(stop_day, "07:00", MADRID)) == 2
    # At 10:00 on day 2 (its 08:00 dose not logged) the plan is stopped.
    with time_machine.travel(local(stop_day, "10:00", MADRID), tick=False):
        response = nurse_client.post(
            f"/api/v1/patients/{patient.pk}/plan/stop/",
            {"reason": "Progression on imaging"},
            format="json",
        )
        assert response.status_code == 200, response.json()
    doses_mark_missed(grace_end(stop_day, MADRID) + timedelta(days=3))
    assert missed_days(patient) == days(DAY, 3)

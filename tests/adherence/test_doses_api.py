"""The patient's dose API: log once, resend safely, conflicts, every refusal, corrections with
history, statuses over a range, and adherence figures, in the patient's own time zone."""

import uuid

import pytest
import time_machine

from backend.adherence.models import DoseLogRevision, ScheduledDose
from backend.adherence.services.missed_doses import doses_mark_missed
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

CASE = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
    "start_date": "2026-03-01",
}  # 36 months: 2026-03-01 to 2029-03-01
NOW = "2026-03-10 12:00:00+01:00"  # Madrid: 12:00 on 2026-03-10


def dose(**overrides):
    body = {
        "client_id": str(uuid.uuid4()),
        "date": "2026-03-10",
        "slot": 1,
        "status": "taken",
        "taken_at": "2026-03-10T08:05:00+01:00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def phone(nurse, patient):
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE)
    return client_for(patient.user)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


# ------------------------------------------------------------------ idempotency


def test_first_post_creates_and_a_resend_returns_the_stored_log(phone):
    body = dose(note="with breakfast")
    first = phone.post("/api/v1/me/doses/", body, format="json")
    assert first.status_code == 201, first.json()
    again = phone.post("/api/v1/me/doses/", {**body, "note": "changed on resend"}, format="json")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert ScheduledDose.objects.logged().count() == 1
    assert ScheduledDose.objects.logged().get().note == "with breakfast"


def test_another_client_id_for_a_logged_dose_is_409_with_the_existing_log(phone):
    first = phone.post("/api/v1/me/doses/", dose(), format="json").json()
    other = phone.post(
        "/api/v1/me/doses/",
        dose(status="skipped", taken_at=None, skip_reason="forgot"),
        format="json",
    )
    assert other.status_code == 409
    assert other.json()["existing"] == first
    assert other.json()["errors"][0]["field"] == "date"
    assert ScheduledDose.objects.logged().count() == 1


def test_resend_is_recognised_even_after_the_backfill_window(phone):
    body = dose()
    stored = phone.post("/api/v1/me/doses/", body, format="json").json()
    with time_machine.travel("2026-03-30 12:00:00+02:00", tick=False):
        assert phone.post("/api/v1/me/doses/", body, format="json").json() == stored


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"date": "2026-03-11", "taken_at": None, "status": "skipped", "skip_reason": "travel"},
            "date",
        ),  # future date
        ({"date": "2026-02-28", "taken_at": "2026-02-28T08:00:00+01:00"}, "date"),  # before start
        ({"date": "2026-03-02", "taken_at": "2026-03-02T08:00:00+01:00"}, "date"),  # > 7 days
        ({"slot": 2}, "slot"),  # once-daily plan has no slot 2
        ({"slot": 0}, "slot"),
        ({"taken_at": "2026-03-10T13:00:00+01:00"}, "taken_at"),  # in the future
        ({"taken_at": "2026-03-02T23:59:00+01:00"}, "taken_at"),  # before the 7-day window
        ({"taken_at": "2026-03-10T08:05:00"}, "taken_at"),  # no UTC offset
        ({"taken_at": "2026-03-09T19:59:00+01:00"}, "taken_at"),  # > 12 h before 08:00
        ({"taken_at": None}, "taken_at"),  # taken needs a time
        ({"status": "skipped", "taken_at": None}, "skip_reason"),  # skipped needs a reason
        ({"status": "skipped", "skip_reason": "forgot"}, "taken_at"),  # skipped has no time
        ({"status": "skipped", "taken_at": None, "skip_reason": "bored"}, "skip_reason"),
        ({"skip_reason": "forgot"}, "skip_reason"),  # a taken dose has no skip reason
        ({"status": "missed"}, "status"),  # only the sweep records missed
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"date": "10/03/2026"}, "date"),
        ({"note": "x" * 2001}, "note"),
        ({"dose_mg": 400}, "dose_mg"),  # unknown field
    ],
)
def test_invalid_logs_are_400_naming_the_field(phone, overrides, field):
    response = phone.post("/api/v1/me/doses/", dose(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not ScheduledDose.objects.logged().exists()


def test_no_log_on_a_held_day(nurse, patient, phone):
    client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plan/holds/",
        {"start_date": "2026-03-08", "end_date": "2026-03-09", "reason": "ALT 6x ULN"},
    )
    response = phone.post(
        "/api/v1/me/doses/",
        dose(date="2026-03-09", taken_at="2026-03-09T08:00:00+01:00"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "date",
        "reason": "Imatinib is on hold on this day.",
    }


def test_no_log_after_the_plan_end(nurse, care_team):
    patient = activated_patient(care_team=care_team)
    override = {"duration_months": 1, "reason": "short course for the test"}
    client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plans/",
        {
            "case": {**CASE, "start_date": "2026-02-01"},
            "dose_times": ["08:00"],
            "override": override,
        },
        format="json",
    )  # ends 2026-03-01
    response = client_for(patient.user).post(
        "/api/v1/me/doses/",
        dose(date="2026-03-05", taken_at="2026-03-05T08:00:00+01:00"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "This day is after the plan's end date."


def test_staff_cannot_log_for_a_patient(nurse, phone):
    assert client_for(nurse).post("/api/v1/me/doses/", dose(), format="json").status_code == 403


# ------------------------------------------------------------------ late, statuses, corrections


@pytest.mark.parametrize(
    ("taken_at", "status"),
    [
        ("2026-03-10T10:00:00+01:00", "taken"),  # exactly 2 h after 08:00: on time
        ("2026-03-10T10:00:01+01:00", "taken_late"),
        ("2026-03-10T06:30:00+01:00", "taken"),  # early is not late
    ],
)
def test_late_is_more_than_two_hours_after_the_local_time(phone, taken_at, status):
    response = phone.post("/api/v1/me/doses/", dose(taken_at=taken_at), format="json")
    assert response.json()["status"] == status


def test_correction_keeps_every_revision(phone, patient):
    log = phone.post("/api/v1/me/doses/", dose(), format="json").json()
    response = phone.patch(
        f"/api/v1/me/doses/{log['id']}/",
        {"status": "skipped", "skip_reason": "side_effects", "note": "felt sick"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "skipped" and response.json()["taken_at"] is None
    revision = DoseLogRevision.objects.get()
    assert revision.changed_by == patient.user
    assert revision.before["status"] == "taken" and revision.after["status"] == "skipped"
    assert revision.before["taken_at"].startswith("2026-03-10T07:05")
    assert ScheduledDose.objects.logged().count() == 1  # corrected in place, never a second row


def test_correction_after_the_window_is_refused(phone):
    log = phone.post("/api/v1/me/doses/", dose(), format="json").json()
    with time_machine.travel("2026-03-18 12:00:00+01:00", tick=False):
        response = phone.patch(f"/api/v1/me/doses/{log['id']}/", {"note": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"


def test_another_patients_dose_ids_are_404(phone, care_team, nurse):
    log = phone.post("/api/v1/me/doses/", dose(), format="json").json()
    other = activated_patient(care_team=care_team)
    TreatmentPlanFactory.create(patient=other, created_by=nurse, case=CASE)
    response = client_for(other.user).patch(
        f"/api/v1/me/doses/{log['id']}/", {"note": "not mine"}, format="json"
    )
    assert response.status_code == 404
    missing = phone.patch(f"/api/v1/me/doses/{uuid.uuid4()}/", {"note": "x"}, format="json")
    assert missing.status_code == 404


def test_statuses_over_a_range(nurse, patient, phone):
    client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plan/holds/",
        {"start_date": "2026-03-05", "end_date": "2026-03-05", "reason": "rash"},
    )
    phone.post(
        "/api/v1/me/doses/",
        dose(date="2026-03-09", taken_at="2026-03-09T11:00:00+01:00"),
        format="json",
    )
    phone.post(
        "/api/v1/me/doses/",
        dose(date="2026-03-08", status="skipped", taken_at=None, skip_reason="travel"),
        format="json",
    )
    doses_mark_missed(date_to_noon_utc("2026-03-10"))
    response = phone.get("/api/v1/me/doses/?from=2026-03-03&to=2026-03-10")
    assert response.status_code == 200
    by_date = {row["date"]: row["status"] for row in response.json()}
    assert by_date == {
        "2026-03-03": "missed",
        "2026-03-04": "missed",
        "2026-03-05": "on_hold",
        "2026-03-06": "missed",
        "2026-03-07": "missed",
        "2026-03-08": "skipped",
        "2026-03-09": "taken_late",
        "2026-03-10": "pending",
    }


def date_to_noon_utc(day: str):
    from datetime import UTC, datetime

    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-03-10&to=2026-03-01", "from"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("from=yesterday", "from"),
    ],
)
def test_range_limits(phone, query, field):
    response = phone.get(f"/api/v1/me/doses/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_a_full_year_is_allowed(phone):
    assert phone.get("/api/v1/me/doses/?from=2025-03-11&to=2026-03-10").status_code == 200


def test_today_twice_daily_in_the_patients_zone(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone="Asia/Kolkata")
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case={
            **CASE,
            "mutation": "kit_exon_9",
            "setting": "advanced",
            "size_cm": None,
            "mitoses_per_50hpf": None,
        },
        dose_times=("08:00", "20:00"),
    )
    phone = client_for(patient.user)
    # 2026-03-10 20:00 UTC is 2026-03-11 01:30 in Kolkata.
    with time_machine.travel("2026-03-10 20:00:00+00:00", tick=False):
        body = phone.get("/api/v1/me/today/").json()
    assert body["date"] == "2026-03-11" and body["time_zone"] == "Asia/Kolkata"
    assert body["plan"]["day_of_plan"] == 11 and body["plan"]["total_days"] is None
    assert [(d["slot"], d["local_time"], d["due_at"], d["status"]) for d in body["doses"]] == [
        (1, "08:00", "2026-03-11T02:30:00Z", "pending"),
        (2, "20:00", "2026-03-11T14:30:00Z", "pending"),
    ]


def test_dst_change_in_berlin_keeps_the_wall_clock(nurse, care_team):
    patient = activated_patient(care_team=care_team, time_zone="Europe/Berlin")
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=CASE, dose_times=("08:00",))
    phone = client_for(patient.user)
    with time_machine.travel("2026-03-30 12:00:00+02:00", tick=False):
        rows = phone.get("/api/v1/me/doses/?from=2026-03-28&to=2026-03-30").json()
    assert [(r["date"], r["due_at"]) for r in rows] == [
        ("2026-03-28", "2026-03-28T07:00:00Z"),  # CET, UTC+1
        ("2026-03-29", "2026-03-29T06:00:00Z"),  # CEST from 02:00 that morning
        ("2026-03-30", "2026-03-30T06:00:00Z"),
    ]


# ------------------------------------------------------------------ time zone change


def test_a_new_zone_applies_from_the_next_local_day(phone, patient):
    response = phone.patch("/api/v1/me/time-zone/", {"time_zone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 200
    assert response.json()["effective_date"] == "2026-03-11"
    rows = phone.get("/api/v1/me/doses/?from=2026-03-10&to=2026-03-10").json()
    assert rows[0]["time_zone"] == "Europe/Madrid"  # today keeps today's zone
    # The change applies when the old zone's clock reaches 2026-03-11 (08:00 in Tokyo), so
    # no day is split between two zones.
    with time_machine.travel("2026-03-11 07:59:00+09:00", tick=False):
        assert phone.get("/api/v1/me/today/").json()["date"] == "2026-03-10"
    with time_machine.travel("2026-03-11 09:00:00+09:00", tick=False):
        today = phone.get("/api/v1/me/today/").json()
    assert today["date"] == "2026-03-11" and today["time_zone"] == "Asia/Tokyo"
    assert today["doses"][0]["due_at"] == "2026-03-10T23:00:00Z"  # 08:00 in Tokyo


def test_invalid_zone_is_400(phone):
    response = phone.patch("/api/v1/me/time-zone/", {"time_zone": "Mars/Base"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "time_zone"


# ------------------------------------------------------------------ adherence figures


def test_adherence_on_a_hand_computed_ten_days(nurse, patient, phone, coordinator):
    # Days 03-01..03-10. 03-01..03-06 taken (03-04 late), 03-07 skipped, 03-08 and 03-09 not
    # logged (missed by the sweep), 03-10 pending (today).
    with time_machine.travel("2026-03-07 12:00:00+01:00", tick=False):
        for day in range(4, 7):  # 03-04..03-06 (the window reaches 7 days back)
            taken_at = f"2026-03-0{day}T{'11' if day == 4 else '08'}:30:00+01:00"
            phone.post(
                "/api/v1/me/doses/", dose(date=f"2026-03-0{day}", taken_at=taken_at), format="json"
            )
        phone.post(
            "/api/v1/me/doses/",
            dose(date="2026-03-07", status="skipped", taken_at=None, skip_reason="ran_out"),
            format="json",
        )
    for day in range(1, 4):  # 03-01..03-03, logged in time on each day
        with time_machine.travel(f"2026-03-0{day} 09:00:00+01:00", tick=False):
            phone.post(
                "/api/v1/me/doses/",
                dose(date=f"2026-03-0{day}", taken_at=f"2026-03-0{day}T08:10:00+01:00"),
                format="json",
            )
    doses_mark_missed(date_to_noon_utc("2026-03-10"))
    body = (
        client_for(coordinator)
        .get(f"/api/v1/patients/{patient.pk}/adherence/?from=2026-03-01&to=2026-03-10")
        .json()
    )
    # Resolved days: 03-01..03-09 = 9. PDC: 6 taken days / 9 = 66.67 % -> non_adherent.
    assert body["pdc"] == {
        "numerator": 6,
        "denominator": 9,
        "percent": 66.67,
        "band": "non_adherent",
    }
    assert body["dose_adherence"]["numerator"] == 6 and body["dose_adherence"]["denominator"] == 9
    assert body["on_time"] == {
        "numerator": 5,
        "denominator": 6,
        "percent": 83.33,
        "band": "suboptimal",
    }
    assert (
        body["taken"],
        body["taken_late"],
        body["skipped"],
        body["missed"],
        body["pending"],
    ) == (5, 1, 1, 2, 1)
    assert body["skipped_by_reason"] == {"ran_out": 1}
    assert (body["current_missed_streak"], body["longest_missed_streak"]) == (2, 2)
    assert body["days_on_drug"] == 9
    assert (
        client_for(patient.user).get("/api/v1/me/adherence/?from=2026-03-01&to=2026-03-10").json()
        == body
    )


def test_staff_adherence_is_scoped(patient, other_care_team, phone):
    from tests.factories.accounts import StaffFactory

    stranger = client_for(StaffFactory(role="coordinator", care_teams=[other_care_team]))
    assert stranger.get(f"/api/v1/patients/{patient.pk}/adherence/").status_code == 404
    assert phone.get(f"/api/v1/patients/{patient.pk}/adherence/").status_code == 403


def test_days_from_the_backfill_window_start(nurse, care_team):
    # A plan started long ago: only the last 7 days can be logged, earlier ones are refused.
    patient = activated_patient(care_team=care_team)
    TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, case={**CASE, "start_date": "2025-06-01"}
    )
    phone = client_for(patient.user)
    recent = dose(date="2026-03-03", taken_at="2026-03-03T12:30:00+01:00")
    assert phone.post("/api/v1/me/doses/", recent, format="json").status_code == 201
    old = dose(date="2026-03-02", taken_at="2026-03-03T12:30:00+01:00")
    assert phone.post("/api/v1/me/doses/", old, format="json").status_code == 400


def test_a_day_two_plans_cover_belongs_wholly_to_the_later_plan(nurse, patient, phone):
    # The first plan (once daily) is stopped; a twice-daily plan starts on a day it covered.
    staff = client_for(nurse)
    staff.post(f"/api/v1/patients/{patient.pk}/plan/stop/", {"reason": "progression"})
    advanced = {
        "setting": "advanced",
        "site": "jejunum_ileum",
        "mutation": "kit_exon_9",
        "start_date": "2026-03-10",
    }
    TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, case=advanced, dose_times=("09:00", "21:00")
    )
    rows = phone.get("/api/v1/me/doses/?from=2026-03-10&to=2026-03-10").json()
    assert [(r["slot"], r["local_time"]) for r in rows] == [(1, "09:00"), (2, "21:00")]
    logged = phone.post(
        "/api/v1/me/doses/",
        dose(slot=2, status="skipped", taken_at=None, skip_reason="travel"),
        format="json",
    )
    assert logged.status_code == 201


# ------------------------------------------------------------------ the due card's amount


@pytest.mark.parametrize(
    ("override", "strengths", "per_dose", "tablets"),
    [
        (None, None, 400, [{"strength_mg": 400, "count": 1}]),
        (None, [100], 400, [{"strength_mg": 100, "count": 4}]),
        (
            {"dose_mg_per_day": 600, "reason": "prescriber's dose"},
            [100, 400],
            600,
            [{"strength_mg": 400, "count": 1}, {"strength_mg": 100, "count": 2}],
        ),
        (
            {"dose_mg_per_day": 800, "reason": "prescriber's dose"},
            None,
            400,  # 800 mg a day is 400 mg twice (§2.6)
            [{"strength_mg": 400, "count": 1}],
        ),
    ],
)
def test_today_gives_one_dose_as_tablets_of_the_plans_strengths(
    nurse, patient, override, strengths, per_dose, tablets
):
    """The due card's amount comes from the server (docs/clinical-facts.md §2.6)."""
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=CASE,
        override=override,
        dose_times=("08:00", "20:00")[: (override or {}).get("dose_mg_per_day", 400) // per_dose],
        tablet_strengths_mg=strengths,
    )
    plan = client_for(patient.user).get("/api/v1/me/today/").json()["plan"]
    assert plan["dose_mg_per_dose"] == per_dose
    assert plan["tablets_per_dose"] == tablets
    assert sorted(plan["tablet_strengths_mg"]) == sorted(strengths or [400])

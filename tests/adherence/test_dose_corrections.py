"""Corrections of a dose's log from the patient's phones (issue 22): correct or undo within
the backfill window, with the reason kept; a change sent again (same change_id) is stored
once; a change made on a phone that had not seen the log's latest state (another phone,
offline) is refused with the log as stored, never written over; an undone log's late POST
is answered, never stored again."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from backend.accounts.services import auth_token_issue
from backend.adherence.models import DoseLogRevision, ScheduledDose
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.plans import HIGH_RISK_CASE, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

# Madrid; the plan's dose is at 08:00 each day from 2026-03-01.
TODAY = "2026-03-10"
YESTERDAY = "2026-03-09"
MORNING = "2026-03-10 09:00:00+01:00"  # today's dose is due, not yet missed
NOON = "2026-03-10 12:00:00+01:00"  # yesterday's dose is past its grace time (06:00 today)


def dose(day: str = TODAY, **overrides: Any) -> dict[str, Any]:
    body = {
        "client_id": str(uuid.uuid4()),
        "date": day,
        "slot": 1,
        "status": "taken",
        "taken_at": f"{day}T08:05:00+01:00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def change(log: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A correction as the patient app sends it: a new change_id, based on the log it saw."""
    return {"change_id": str(uuid.uuid4()), "based_on": log["updated_at"], **values}


def undo(log: dict[str, Any], **values: Any) -> dict[str, Any]:
    return change(log, status="not_logged", **values)


@pytest.fixture
def phone(nurse, patient):
    with time_machine.travel("2026-03-01 07:00:00+01:00", tick=False):
        TreatmentPlanFactory.create(
            patient=patient, created_by=nurse, case=HIGH_RISK_CASE, start_date="2026-03-01"
        )
    return client_for(patient.user)


def log_dose(phone, body: dict[str, Any], at: str = MORNING) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        response = phone.post("/api/v1/me/doses/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def log_dose_response(phone, body: dict[str, Any], at: str):
    with time_machine.travel(at, tick=False):
        return phone.post("/api/v1/me/doses/", body, format="json")


def patch(phone, log_id: str, body: dict[str, Any], at: str = NOON):
    with time_machine.travel(at, tick=False):
        return phone.patch(f"/api/v1/me/doses/{log_id}/", body, format="json")


# ------------------------------------------------------------------ corrections


def test_correct_yesterdays_dose_keeps_the_reason_and_the_change_id(phone, patient):
    log = log_dose(phone, dose(YESTERDAY))
    body = change(log, taken_at=f"{YESTERDAY}T11:00:00+01:00", reason="took it with lunch")

    response = patch(phone, log["id"], body)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "taken_late"
    assert response.json()["updated_at"] != log["updated_at"]
    revision = DoseLogRevision.objects.get()
    assert revision.reason == "took it with lunch"
    assert str(revision.change_id) == body["change_id"]
    assert revision.changed_by == patient.user
    assert revision.before["taken_at"].startswith(f"{YESTERDAY}T07:05")
    assert revision.after["late"] is True


def test_a_correction_without_a_reason_keeps_the_default_words(phone):
    log = log_dose(phone, dose())
    assert patch(phone, log["id"], change(log, note="with breakfast")).status_code == 200
    assert DoseLogRevision.objects.get().reason == "corrected by patient"


def test_a_correction_sent_again_is_stored_once(phone):
    log = log_dose(phone, dose(YESTERDAY))
    body = change(log, status="skipped", skip_reason="forgot")

    first = patch(phone, log["id"], body)
    again = patch(phone, log["id"], body, at="2026-03-10 12:05:00+01:00")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert DoseLogRevision.objects.count() == 1


def test_a_change_id_reused_for_other_content_is_409(phone):
    log = log_dose(phone, dose())
    body = change(log, note="first")
    stored = patch(phone, log["id"], body).json()

    response = patch(phone, log["id"], {**body, "note": "second"}, at="2026-03-10 12:01:00+01:00")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["errors"][0]["field"] == "change_id"
    assert response.json()["existing"] == stored
    assert DoseLogRevision.objects.count() == 1
    assert ScheduledDose.objects.logged().get().note == "first"


def test_two_phones_offline_the_second_change_is_409_with_the_first_kept(phone, patient):
    log = log_dose(phone, dose(YESTERDAY))
    listed = phone.get(f"/api/v1/me/doses/?from={YESTERDAY}&to={YESTERDAY}").json()
    assert listed[0]["log"]["updated_at"] == log["updated_at"]  # what a phone sends as based_on
    other_phone = client_for(patient.user)

    first = patch(phone, log["id"], change(log, status="skipped", skip_reason="forgot"))
    second = patch(
        other_phone,
        log["id"],
        change(log, taken_at=f"{YESTERDAY}T09:00:00+01:00"),
        at="2026-03-10 12:10:00+01:00",
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert second.json()["errors"][0]["field"] == "based_on"
    assert second.json()["existing"] == first.json()
    stored = ScheduledDose.objects.logged().get()
    assert (stored.state, stored.skip_reason) == ("skipped", "forgot")
    assert DoseLogRevision.objects.count() == 1
    # The person saw what is stored and decides: a new change, based on it.
    decided = patch(
        other_phone,
        log["id"],
        change(second.json()["existing"], status="taken", taken_at=f"{YESTERDAY}T09:00:00+01:00"),
        at="2026-03-10 12:11:00+01:00",
    )
    assert decided.status_code == 200, decided.json()
    assert DoseLogRevision.objects.count() == 2


def test_a_correction_without_change_id_or_based_on_still_works_for_older_apps(phone):
    log = log_dose(phone, dose())
    response = patch(phone, log["id"], {"note": "old app"})
    assert response.status_code == 200
    assert DoseLogRevision.objects.get().change_id is None


# ------------------------------------------------------------------ undo


def test_undo_todays_dose_then_log_it_again(phone):
    log = log_dose(phone, dose(note="with breakfast"))

    response = patch(phone, log["id"], undo(log), at="2026-03-10 09:00:30+01:00")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["client_id"], body["taken_at"]) == ("pending", None, None)
    assert not ScheduledDose.objects.logged().exists()
    revision = DoseLogRevision.objects.get()
    assert revision.reason == "undone by the patient"
    assert revision.before["status"] == "taken"
    assert revision.before["client_id"] == log["client_id"]
    assert revision.before["note"] == "with breakfast"
    assert str(revision.undone_client_id) == log["client_id"]
    calendar = phone.get(f"/api/v1/me/doses/?from={TODAY}&to={TODAY}").json()
    assert calendar[0]["status"] == "pending" and calendar[0]["log"] is None

    again = log_dose(
        phone, dose(taken_at=f"{TODAY}T08:30:00+01:00"), at="2026-03-10 09:02:00+01:00"
    )

    assert again["id"] == log["id"]  # the dose's one row
    assert again["client_id"] != log["client_id"]
    assert ScheduledDose.objects.logged().count() == 1


def test_undo_sent_again_after_the_dose_was_logged_again_changes_nothing(phone):
    log = log_dose(phone, dose())
    body = undo(log, reason="tapped by mistake")
    assert patch(phone, log["id"], body, at="2026-03-10 09:01:00+01:00").status_code == 200
    again = log_dose(phone, dose(), at="2026-03-10 09:02:00+01:00")

    resent = patch(phone, log["id"], body, at="2026-03-10 09:03:00+01:00")

    assert resent.status_code == 200
    assert resent.json() == again  # the log as stored, not undone twice
    assert DoseLogRevision.objects.count() == 1
    assert DoseLogRevision.objects.get().reason == "tapped by mistake"


def test_undo_past_the_missed_time_leaves_the_dose_missed(phone):
    log = log_dose(phone, dose(YESTERDAY))

    response = patch(phone, log["id"], undo(log))

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "missed"
    row = ScheduledDose.objects.get(pk=log["id"])
    assert (row.state, row.client_id, row.taken_at) == ("missed", None, None)
    assert row.logged_at is not None  # as the sweep marks a dose missed
    # A missed dose can still be logged (as before): taken after all.
    relogged = patch(
        phone,
        log["id"],
        change(response.json(), status="taken", taken_at=f"{YESTERDAY}T08:05:00+01:00"),
        at="2026-03-10 12:01:00+01:00",
    )
    assert relogged.status_code == 200 and relogged.json()["status"] == "taken"


def test_a_dose_undone_to_missed_then_corrected_to_taken_rechecks_the_streak_alert(
    phone, monkeypatch
):
    from backend.alerts import triggers

    rechecked: list[Any] = []
    real = triggers.alerts_after_missed_dose_logged

    def recheck(**kwargs: Any) -> Any:
        rechecked.append(kwargs["patient"].pk)
        return real(**kwargs)

    monkeypatch.setattr(triggers, "alerts_after_missed_dose_logged", recheck)
    log = log_dose(phone, dose(YESTERDAY))
    missed = patch(phone, log["id"], undo(log)).json()
    assert rechecked == []  # taken -> missed: the streak job's kind of missed, as the sweep's

    taken = patch(
        phone,
        log["id"],
        change(missed, status="taken", taken_at=f"{YESTERDAY}T08:05:00+01:00"),
        at="2026-03-10 12:01:00+01:00",
    )

    assert taken.status_code == 200
    assert len(rechecked) == 1  # missed -> taken: the streak alert is recomputed, as before


def test_the_original_post_sent_again_after_an_undo_is_not_stored(phone):
    first_body = dose()
    log = log_dose(phone, first_body)
    assert patch(phone, log["id"], undo(log), at="2026-03-10 09:01:00+01:00").status_code == 200

    late = log_dose_response(phone, first_body, at="2026-03-10 09:02:00+01:00")

    assert late.status_code == 409
    assert late.json()["code"] == "conflict"
    assert late.json()["errors"][0]["field"] == "client_id"
    assert late.json()["existing"]["status"] == "pending"
    assert not ScheduledDose.objects.logged().exists()
    # Logged again with a new client_id, the old POST still stores nothing.
    again = log_dose(phone, dose(), at="2026-03-10 09:03:00+01:00")
    later = log_dose_response(phone, first_body, at="2026-03-10 09:04:00+01:00")
    assert later.status_code == 409
    assert later.json()["existing"] == again
    assert ScheduledDose.objects.logged().get().client_id == uuid.UUID(again["client_id"])


def test_an_undo_on_another_phone_makes_this_phones_correction_409(phone, patient):
    log = log_dose(phone, dose())
    assert patch(phone, log["id"], undo(log), at="2026-03-10 09:01:00+01:00").status_code == 200

    response = patch(client_for(patient.user), log["id"], change(log, note="with food"))

    assert response.status_code == 409
    assert response.json()["existing"]["status"] == "pending"
    assert DoseLogRevision.objects.count() == 1


def test_undo_outside_the_backfill_window_is_refused(phone):
    log = log_dose(phone, dose())

    response = patch(phone, log["id"], undo(log), at="2026-03-18 12:00:00+01:00")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"
    assert ScheduledDose.objects.logged().get().state == "taken"


def test_another_patients_log_is_404(phone, care_team, nurse):
    log = log_dose(phone, dose())
    other = activated_patient(care_team=care_team)
    TreatmentPlanFactory.create(
        patient=other, created_by=nurse, case=HIGH_RISK_CASE, start_date="2026-03-01"
    )

    response = patch(client_for(other.user), log["id"], undo(log))

    assert response.status_code == 404
    assert ScheduledDose.objects.logged().get().state == "taken"
    assert not DoseLogRevision.objects.exists()


def test_a_dose_with_no_log_is_404(phone):
    with time_machine.travel(MORNING, tick=False):
        pending = ScheduledDose.objects.get(local_date=TODAY, slot=1)
        response = phone.patch(f"/api/v1/me/doses/{pending.pk}/", {"note": "x"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"change_id": None}, "change_id"),
        ({"based_on": None}, "based_on"),
        ({"note": "x"}, "note"),
        ({"taken_at": "2026-03-10T08:05:00+01:00"}, "taken_at"),
        ({"reason": "x" * 201}, "reason"),
        ({"change_id": "not-a-uuid"}, "change_id"),
    ],
)
def test_bad_undo_input_is_400_naming_the_field(phone, extra, field):
    log = log_dose(phone, dose())
    body = {k: v for k, v in {**undo(log), **extra}.items() if v is not None}

    response = patch(phone, log["id"], body)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["field"] == field
    assert ScheduledDose.objects.logged().get().state == "taken"


def test_a_missed_dose_cannot_be_undone(phone):
    log = log_dose(phone, dose(YESTERDAY))
    missed = patch(phone, log["id"], undo(log)).json()

    response = patch(phone, log["id"], undo(missed), at="2026-03-10 12:01:00+01:00")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"


def test_a_plan_change_that_removes_an_undone_dose_keeps_its_history(phone, nurse, patient):
    def revise(mg: int, times: list[str], at: str) -> None:
        with time_machine.travel(at, tick=False):
            response = client_for(nurse).post(
                f"/api/v1/patients/{patient.pk}/plan/revisions/",
                {"dose_mg_per_day": mg, "dose_times": times, "reason": "Dose change."},
                format="json",
            )
        assert response.status_code == 201, response.json()

    revise(800, ["08:00", "20:00"], at="2026-03-09 07:00:00+01:00")
    log = log_dose(
        phone, dose(slot=2, taken_at=f"{TODAY}T19:55:00+01:00"), at="2026-03-10 20:00:00+01:00"
    )
    assert patch(phone, log["id"], undo(log), at="2026-03-10 20:01:00+01:00").status_code == 200

    revise(400, ["08:00"], at="2026-03-10 20:30:00+01:00")

    with time_machine.travel("2026-03-10 20:31:00+01:00", tick=False):
        calendar = phone.get(f"/api/v1/me/doses/?from={TODAY}&to={TODAY}").json()
    assert [dose["slot"] for dose in calendar] == [1]  # slot 2 is no longer scheduled
    row = ScheduledDose.objects.get(pk=log["id"])  # kept, with the undone log's history
    assert (row.state, row.due_at, row.next_reminder_at) == ("pending", None, None)
    assert DoseLogRevision.objects.get().dose_log_id == row.pk


# ------------------------------------------------------------------ concurrency


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_change_sent_from_two_threads_at_once_is_stored_once(phone, patient):
    log = log_dose(phone, dose())
    body = change(log, status="skipped", skip_reason="side_effects", reason="felt sick")
    barrier = threading.Barrier(2, timeout=30)

    def send(_: int) -> tuple[int, Any]:
        try:
            _, token = auth_token_issue(user=patient.user)
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            response = client.patch(f"/api/v1/me/doses/{log['id']}/", body, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()  # this thread's own connection

    with time_machine.travel(NOON, tick=False), ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(send, range(2), timeout=120))

    assert [code for code, _ in results] == [200, 200], results
    assert results[0][1] == results[1][1]
    assert DoseLogRevision.objects.count() == 1

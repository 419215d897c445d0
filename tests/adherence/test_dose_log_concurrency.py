"""Twenty copies of a dose log arriving at once (a phone's retry storm, or two devices) on
PostgreSQL, where requests really run in parallel: one row, one 201, and every other answer
either the stored log (same client_id: 200) or a conflict naming it (other client_id: 409)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from backend.accounts.services import auth_token_issue
from backend.adherence.api.doses import DoseLogOutput
from backend.adherence.models import DoseLogRevision, ScheduledDose
from backend.adherence.services.missed_doses import doses_mark_missed
from tests.factories.accounts import activated_patient
from tests.factories.plans import HIGH_RISK_CASE, TreatmentPlanFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
ZONE = "Europe/Madrid"
DAY = date(2025, 6, 2)
NOW = datetime.combine(DAY, time(9, 0), tzinfo=ZoneInfo(ZONE))
HIGH_RISK = {**HIGH_RISK_CASE, "start_date": DAY.isoformat()}


def dose_body(client_id: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "date": DAY.isoformat(),
        "slot": 1,
        "status": "taken",
        "taken_at": datetime.combine(DAY, time(8, 5), tzinfo=ZoneInfo(ZONE)).isoformat(),
    }


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):  # time-machine's clock is process-wide
        yield


@pytest.fixture
def patient_token(pinned, nurse, care_team) -> tuple[Any, str]:
    """A patient with an active once-daily plan from DAY, and their phone's bearer token."""
    patient = activated_patient(care_team=care_team, time_zone=ZONE)
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, case=HIGH_RISK)
    assert patient.user is not None  # an activated patient
    _, token = auth_token_issue(user=patient.user)
    return patient, token


def post_all_at_once(
    token: str, bodies: list[dict[str, Any]], *, with_sweep_at: datetime | None = None
) -> list[tuple[int, Any]]:
    """POST each body from its own thread and client, all released together by a barrier
    (with the missed-dose sweep in one more thread at the same moment, if asked)."""
    parties = len(bodies) + (1 if with_sweep_at is not None else 0)
    barrier = threading.Barrier(parties, timeout=30)

    def sweep() -> int:
        try:
            barrier.wait()
            return doses_mark_missed(with_sweep_at)  # type: ignore[arg-type]
        finally:
            connection.close()

    def send(body: dict[str, Any]) -> tuple[int, Any]:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            response = client.post("/api/v1/me/doses/", body, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=parties) as pool:
        swept = pool.submit(sweep) if with_sweep_at is not None else None
        results = list(pool.map(send, bodies, timeout=120))
        if swept is not None:
            assert swept.result(timeout=120) in (0, 1)
        return results


def stored_log_body() -> dict[str, Any]:
    """The one stored log, as the API renders it."""
    return json.loads(
        JSONRenderer().render(DoseLogOutput(ScheduledDose.objects.logged().get()).data)
    )


def test_twenty_identical_posts_store_one_log(patient_token):
    patient, token = patient_token
    client_id = str(uuid4())

    results = post_all_at_once(token, [dose_body(client_id)] * THREADS)

    codes = sorted(code for code, _ in results)
    assert set(codes) <= {200, 201}, results
    assert codes.count(201) == 1, codes
    assert codes.count(200) == THREADS - 1
    log = ScheduledDose.objects.logged().get()
    assert (log.patient_id, log.local_date, log.slot, log.state) == (
        patient.pk,
        DAY,
        1,
        "taken",
    )
    assert str(log.client_id) == client_id
    assert {body["id"] for _, body in results} == {str(log.pk)}
    assert {body["client_id"] for _, body in results} == {client_id}
    assert not DoseLogRevision.objects.exists()


def test_twenty_different_logs_of_one_dose_store_one_and_conflict_the_rest(patient_token):
    patient, token = patient_token
    client_ids = [str(uuid4()) for _ in range(THREADS)]

    results = post_all_at_once(token, [dose_body(client_id) for client_id in client_ids])

    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1, results
    assert codes.count(409) == THREADS - 1, results
    log = ScheduledDose.objects.logged().get()
    assert log.patient_id == patient.pk
    (winner_id,) = [cid for cid, (code, _) in zip(client_ids, results, strict=True) if code == 201]
    assert str(log.client_id) == winner_id
    created = next(body for code, body in results if code == 201)
    assert created["id"] == str(log.pk)
    stored = stored_log_body()
    assert created == stored
    for code, body in results:
        if code == 409:
            assert body["code"] == "conflict"
            assert body["existing"] == stored
    assert not DoseLogRevision.objects.exists()


def test_twenty_identical_posts_for_a_dose_already_marked_missed(patient_token):
    """The phone was offline past the grace window: its log replaces the sweep's, once."""
    _, token = patient_token
    next_morning = NOW + timedelta(days=1)  # 3 June 09:00: 2 June's grace window has ended
    assert doses_mark_missed(next_morning) == 1
    missed = ScheduledDose.objects.logged().get()
    client_id = str(uuid4())

    with time_machine.travel(next_morning, tick=False):
        results = post_all_at_once(token, [dose_body(client_id)] * THREADS)

    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1, results
    assert codes.count(200) == THREADS - 1, results
    log = ScheduledDose.objects.logged().get()
    assert log.pk == missed.pk and log.state == "taken" and str(log.client_id) == client_id
    assert {body["id"] for _, body in results} == {str(log.pk)}
    assert DoseLogRevision.objects.get().before["status"] == "missed"  # exactly one change


def test_twenty_different_posts_for_a_dose_already_marked_missed(patient_token):
    _, token = patient_token
    next_morning = NOW + timedelta(days=1)
    assert doses_mark_missed(next_morning) == 1
    client_ids = [str(uuid4()) for _ in range(THREADS)]

    with time_machine.travel(next_morning, tick=False):
        results = post_all_at_once(token, [dose_body(client_id) for client_id in client_ids])

    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1, results
    assert codes.count(409) == THREADS - 1, results
    stored = stored_log_body()
    assert stored["status"] == "taken"
    assert all(body["existing"] == stored for code, body in results if code == 409)
    assert DoseLogRevision.objects.count() == 1


def test_posts_racing_the_missed_sweep_store_one_log(patient_token):
    """Whichever of the sweep and the phones writes first, the patient's log is what stays."""
    _, token = patient_token
    next_morning = NOW + timedelta(days=1)
    client_id = str(uuid4())

    with time_machine.travel(next_morning, tick=False):
        results = post_all_at_once(
            token, [dose_body(client_id)] * (THREADS - 1), with_sweep_at=next_morning
        )

    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1, results
    assert codes.count(200) == THREADS - 2, results
    log = ScheduledDose.objects.logged().get()
    assert log.state == "taken" and str(log.client_id) == client_id
    assert {body["id"] for _, body in results} == {str(log.pk)}
    # One revision if the sweep's "missed" row came first, none if the phones did.
    assert DoseLogRevision.objects.count() <= 1

"""Dose logging and adherence metrics read a fixed number of queries whatever the length of the
patient's history: a year of logs costs what a week does."""

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.adherence.metrics import LOG_STATUSES
from backend.adherence.models import DoseStatus, ScheduledDose
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.doses import DoseRecord, doses_logged
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, HIGH_RISK_CASE, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

ZONE = "Europe/Madrid"
TODAY = date(2025, 6, 20)
HIGH_RISK = HIGH_RISK_CASE
ADVANCED_EXON_9 = ADVANCED_KIT_EXON_9_CASE


def local(day: date, wall: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(wall), tzinfo=ZoneInfo(ZONE))


def history(plan, first: date, count: int, slots: tuple[str, ...]) -> None:
    """`count` taken-dose rows, oldest first from `first`, filling each day's slots in turn."""
    logs = []
    day, slot = first, 1
    for _ in range(count):
        logs.append(
            DoseRecord(
                plan,
                day,
                slot,
                DoseStatus.TAKEN,
                taken_at=local(day, slots[slot - 1]).astimezone(UTC),
                recorded_by=plan.patient.user,
            )
        )
        slot += 1
        if slot > len(slots):
            day, slot = day + timedelta(days=1), 1
    doses_logged(logs)


def logged_count(patient) -> int:
    """The patient's logged doses (the ledger rows taken, skipped or missed)."""
    return ScheduledDose.objects.filter(patient=patient, state__in=LOG_STATUSES).count()


@pytest.fixture
def nurse_client(nurse):
    return client_for(nurse)


@pytest.fixture
def pinned():
    with time_machine.travel(local(TODAY, "09:00"), tick=False):
        yield


def _post_today(patient) -> list[str]:
    """The SQL of logging today's dose from the patient's phone (a 201)."""
    phone = client_for(patient.user)
    body = {
        "client_id": str(uuid4()),
        "date": TODAY.isoformat(),
        "slot": 1,
        "status": "taken",
        "taken_at": local(TODAY, "08:05").isoformat(),
    }
    with CaptureQueriesContext(connection) as queries:
        response = phone.post("/api/v1/me/doses/", body, format="json")
    assert response.status_code == 201, response.json()
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.usefixtures("pinned")
def test_dose_log_post_query_count_does_not_grow_with_history(nurse, care_team):
    short = activated_patient(care_team=care_team, time_zone=ZONE)
    long = activated_patient(care_team=care_team, time_zone=ZONE)
    short_plan = TreatmentPlanFactory.create(
        patient=short,
        created_by=nurse,
        case=HIGH_RISK,
        start_date=TODAY - timedelta(days=5),
    )
    long_plan = TreatmentPlanFactory.create(
        patient=long,
        created_by=nurse,
        case=HIGH_RISK,
        start_date=TODAY - timedelta(days=200),
    )
    history(short_plan, TODAY - timedelta(days=5), 5, ("08:00",))
    history(long_plan, TODAY - timedelta(days=200), 200, ("08:00",))
    assert logged_count(short) == 5
    assert logged_count(long) == 200

    with_5_days = len(_post_today(short))
    with_200_days = len(_post_today(long))
    assert with_200_days == with_5_days
    assert logged_count(long) == 201


@pytest.mark.usefixtures("pinned")
def test_adherence_metrics_query_count_does_not_grow_with_logs(nurse, nurse_client, care_team):
    first = TODAY - timedelta(days=365)  # 366 days, the longest range allowed
    slots = ("08:00", "20:00")
    few = activated_patient(care_team=care_team, time_zone=ZONE)
    many = activated_patient(care_team=care_team, time_zone=ZONE)
    for patient, logs in ((few, 10), (many, 700)):
        plan = TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            case=ADVANCED_EXON_9,
            start_date=first,
            dose_times=slots,
        )
        history(plan, first, logs, slots)

    def metrics(patient):
        url = f"/api/v1/patients/{patient.pk}/adherence/?from={first}&to={TODAY}"
        with CaptureQueriesContext(connection) as queries:
            response = nurse_client.get(url)
        assert response.status_code == 200, response.json()
        return response.json(), len(queries)

    few_body, with_10_logs = metrics(few)
    many_body, with_700_logs = metrics(many)
    assert (few_body["first"], few_body["last"]) == (first.isoformat(), TODAY.isoformat())
    for body, logged in ((few_body, 10), (many_body, 700)):
        assert body["taken"] == body["scheduled_doses"] == logged  # only logged doses resolve
        assert body["taken"] + body["pending"] == 366 * 2  # the whole year was expanded
    assert with_700_logs == with_10_logs


@pytest.mark.postgres
@pytest.mark.usefixtures("pinned")
@pytest.mark.django_db(transaction=True)
def test_a_dose_logged_on_time_is_one_write(nurse, care_team):
    """The hot path of issue 20: the token (with user, patient and care team), the patient's
    zone history for "today", then the log as one UPDATE ... RETURNING on the ledger, and no
    other statement on a table: no read of plans, revisions, holds or logs."""
    patient = activated_patient(care_team=care_team, time_zone=ZONE)
    TreatmentPlanFactory.create(
        patient=patient,
        created_by=nurse,
        case=HIGH_RISK,
        start_date=TODAY - timedelta(days=5),
    )
    # A fresh token: its expiry is already where renewal would put it, so no renewal write.
    queries = _post_today(patient)
    # No request transaction around it: the UPDATE is the outermost atomic block, so no
    # savepoint is made (the view is non-atomic; its service opens what it needs).
    assert not [sql for sql in queries if sql.startswith(("SAVEPOINT", "RELEASE"))], queries
    control = ("BEGIN", "COMMIT")
    statements = [sql for sql in queries if not sql.startswith(control)]
    assert len(statements) == 3, statements
    assert statements[0].startswith("SELECT") and '"knox_authtoken"' in statements[0]
    assert statements[1].startswith("SELECT") and "zone" in statements[1]
    assert (
        statements[2].lstrip().startswith("UPDATE") and "adherence_scheduleddose" in statements[2]
    )
    assert logged_count(patient) == 1

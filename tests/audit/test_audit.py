"""Every staff read of a patient's record through the API is in the append-only audit log."""

import pytest
from django.db import connection, transaction

from backend.audit.models import AppendOnlyError, AuditEvent
from backend.audit.services import audit_record
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db


def test_staff_detail_read_is_recorded(nurse, patient):
    client = client_for(nurse)
    client.get(f"/api/v1/patients/{patient.pk}/", HTTP_USER_AGENT="ward-pc", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get()
    assert event.actor == nurse
    assert event.actor_username == nurse.username
    assert event.actor_role == "nurse"
    assert event.action == "patient.view"
    assert event.patient == patient
    assert event.ip_address == "10.1.2.3"
    assert event.user_agent == "ward-pc"
    assert event.occurred_at is not None


def test_staff_list_records_each_patient_shown(coordinator, care_team):
    from tests.factories.accounts import activated_patient

    patients = [activated_patient(care_team=care_team) for _ in range(3)]
    client_for(coordinator).get("/api/v1/patients/")
    recorded = set(
        AuditEvent.objects.filter(action="patient.list").values_list("patient", flat=True)
    )
    assert recorded == {p.pk for p in patients}


def test_refused_read_of_a_foreign_patient_records_nothing(nurse, foreign_patient):
    assert client_for(nurse).get(f"/api/v1/patients/{foreign_patient.pk}/").status_code == 404
    assert not AuditEvent.objects.exists()


def test_patient_reading_their_own_record_is_not_a_staff_read(patient):
    client_for(patient.user).get(f"/api/v1/patients/{patient.pk}/")
    assert not AuditEvent.objects.exists()


def test_events_cannot_be_changed_or_deleted_through_the_orm(nurse, patient):
    event = audit_record(actor=nurse, action="patient.view", patient=patient)
    event.action = "something.else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get().action == "patient.view"


@pytest.mark.postgres
def test_database_refuses_update_and_delete_on_postgres(nurse, patient):
    from django.db import DatabaseError

    audit_record(actor=nurse, action="patient.view", patient=patient)
    for statement in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.get().action == "patient.view"
    # A queryset update bypasses save(); the trigger still refuses it.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="x")


def test_enrolment_invitation_and_activation_are_recorded(nurse, api_client):
    body = {"display_name": "A", "medical_record_number": "1", "time_zone": "UTC"}
    enrolled = client_for(nurse).post("/api/v1/patients/", body).json()
    api_client.post(
        "/api/v1/auth/activate/",
        {"invitation_code": enrolled["invitation_code"], "password": "saffron-lantern-47-quiet"},
    )
    events = AuditEvent.objects.filter(patient_id=enrolled["id"]).order_by("id")
    assert [(e.action, e.actor_role) for e in events] == [
        ("patient.enrol", "nurse"),
        ("patient.invite", "nurse"),
        ("patient.activate", "patient"),
    ]
    assert enrolled["invitation_code"] not in str(events[1].detail)


def test_changes_made_inside_services_record_where_the_request_came_from(nurse):
    body = {"display_name": "A", "medical_record_number": "7", "time_zone": "UTC"}
    client_for(nurse).post(
        "/api/v1/patients/", body, REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="ward-pc"
    )
    enrol = AuditEvent.objects.get(action="patient.enrol")
    assert (enrol.ip_address, enrol.user_agent) == ("10.9.8.7", "ward-pc")


def test_events_outside_a_request_have_no_origin(nurse, patient):
    event = audit_record(actor=nurse, action="test.event", patient=patient)
    assert (event.ip_address, event.user_agent) == (None, "")


# ------------------------------------------------ one mechanism: the request's context only

ORIGIN = {"REMOTE_ADDR": "10.4.5.6", "HTTP_USER_AGENT": "ward-pc/2"}


def test_audit_services_take_no_request():
    import inspect

    from backend.audit import services

    for function in (services.audit_record, services.audit_record_patient_reads):
        assert "request" not in inspect.signature(function).parameters


def test_a_bearer_api_requests_audit_rows_carry_its_origin(nurse, patient):
    # Bearer requests skip the session middlewares; AuditOriginMiddleware still runs for them.
    client_for(nurse).get(f"/api/v1/patients/{patient.pk}/", **ORIGIN)
    body = {"display_name": "B", "medical_record_number": "8", "time_zone": "UTC"}
    client_for(nurse).post("/api/v1/patients/", body, **ORIGIN)
    events = AuditEvent.objects.filter(action__in=["patient.view", "patient.enrol"])
    assert len(events) == 2
    assert {(e.ip_address, e.user_agent) for e in events} == {("10.4.5.6", "ward-pc/2")}


def test_a_streamed_export_read_after_the_view_returned_keeps_its_origin(
    coordinator, care_team, monkeypatch
):
    from backend.reports import tabular
    from tests.factories.accounts import activated_patient

    for n in range(3):
        activated_patient(care_team=care_team, display_name=f"S{n}")
    query = {"from": "2026-10-01", "to": "2026-10-31"}
    response = client_for(coordinator).get("/api/v1/exports/adherence.csv", query, **ORIGIN)
    assert response.streaming
    # Nothing is written before the body is read, after the middleware let go of the request.
    assert not AuditEvent.objects.exists()
    b"".join(response.streaming_content)
    events = AuditEvent.objects.all()
    assert sorted(e.action for e in events) == [
        "export.adherence_csv",
        "export.adherence_csv",
        "export.patient_included",
        "export.patient_included",
        "export.patient_included",
    ]
    assert {(e.ip_address, e.user_agent) for e in events} == {("10.4.5.6", "ward-pc/2")}

    # A client that goes away: the rows written when the stream is closed keep it too.
    seen = set(AuditEvent.objects.values_list("pk", flat=True))
    monkeypatch.setattr(tabular, "BLOCK_ROWS", 1)
    response = client_for(coordinator).get("/api/v1/exports/adherence.csv", query, **ORIGIN)
    stream = iter(response.streaming_content)
    next(stream)
    next(stream)
    with monkeypatch.context() as keep:
        keep.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
        response.close()
    new = AuditEvent.objects.exclude(pk__in=seen)
    finished = new.get(detail__phase="finished")
    assert finished.detail["completed"] is False
    assert {(e.ip_address, e.user_agent) for e in new} == {("10.4.5.6", "ward-pc/2")}


def test_a_staff_session_ended_by_middleware_records_its_origin(nurse):
    # StaffSessionTimeoutMiddleware audits before any view: AuditOriginMiddleware runs first.
    from datetime import timedelta

    import time_machine
    from django.test import Client
    from django.utils import timezone

    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(nurse)
        client.get("/api/v1/patients/", **ORIGIN)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        client.get("/api/v1/patients/", **ORIGIN)
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert (event.ip_address, event.user_agent) == ("10.4.5.6", "ward-pc/2")

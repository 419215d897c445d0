"""The admin (issue 18): every read and write of patient data leaves an audit row; no one
deletes an alert; a patient's care team and time zone cannot be changed in place (the zone
moves only through patient_time_zone_change, which keeps the history).

The admin is used as staff use it: a superuser whose session is verified by a TOTP device,
with STAFF_MFA_REQUIRED on."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from backend.accounts import mfa
from backend.accounts.models import Patient, PatientTimeZoneChange
from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.labs.models import LabResult
from backend.notifications.models import Device
from tests.factories.accounts import CareTeamFactory, PatientFactory, StaffFactory

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AGENT = "admin-audit-test-browser"


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_MFA_REQUIRED = True
    return settings


def verified_client(user) -> Client:
    """A browser signed in as `user`, the session verified by their TOTP device (what the
    dashboard's code step leaves behind)."""
    device = mfa.totp_device_provision(user=user, secret=SECRET, via="test")
    client = Client(HTTP_USER_AGENT=AGENT)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_client(mfa_on, admin_user) -> Client:
    client = verified_client(admin_user)
    assert client.get("/admin/").status_code == 200
    return client


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def make_alert(patient: Patient, kind: str = "red_flag") -> Alert:
    at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    return Alert.objects.create(
        patient=patient,
        kind=kind,
        priority="urgent",
        priority_rank=0,
        rule="test",
        summary="Black stools",
        opened_at=at,
        last_seen_at=at,
    )


def patient_url(patient: Patient, suffix: str = "change/") -> str:
    return f"/admin/accounts/patient/{patient.pk}/{suffix}"


def change_form(patient: Patient, **changes: str) -> dict[str, str]:
    """What the patient change form posts, with `changes` on top (the time zone history
    inline's management form included)."""
    data = {
        "display_name": patient.display_name,
        "medical_record_number": patient.medical_record_number,
        "language": patient.language,
        "new_time_zone": "",
        "zone_changes-TOTAL_FORMS": "0",
        "zone_changes-INITIAL_FORMS": "0",
        "zone_changes-MIN_NUM_FORMS": "0",
        "zone_changes-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- the session


def test_an_unverified_admin_session_does_not_open_the_admin(mfa_on, admin_user):
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 302
    assert not events("admin.list")


# ---------------------------------------------------------------- reads


def test_opening_a_patient_writes_admin_view_with_the_patient(admin_client, admin_user, patient):
    response = admin_client.get(patient_url(patient))
    assert response.status_code == 200
    (event,) = events("admin.view")
    assert event.patient == patient
    assert event.actor == admin_user
    assert event.actor_username == admin_user.username
    assert event.user_agent == AGENT
    assert event.ip_address == "127.0.0.1"
    assert event.detail == {
        "model": "accounts.patient",
        "object_id": str(patient.pk),
        "page": "change",
    }


def test_the_history_page_is_a_read_too(admin_client, patient):
    assert admin_client.get(patient_url(patient, "history/")).status_code == 200
    (event,) = events("admin.view")
    assert (event.patient, event.detail["page"]) == (patient, "history")


def test_the_patient_list_writes_one_read_per_patient_shown(admin_client, admin_user, care_team):
    shown = [PatientFactory(care_team=care_team) for _ in range(3)]
    response = admin_client.get("/admin/accounts/patient/")
    assert response.status_code == 200
    reads = events("admin.list")
    assert {event.patient_id for event in reads} == {p.pk for p in shown}
    assert all(event.actor == admin_user for event in reads)
    assert all(event.detail["model"] == "accounts.patient" for event in reads)
    assert all(event.detail["count"] == 1 for event in reads)


def test_a_search_is_kept_with_the_reads(admin_client, care_team):
    wanted = PatientFactory(care_team=care_team, medical_record_number="MRN-WANTED")
    PatientFactory(care_team=care_team)
    admin_client.get("/admin/accounts/patient/?q=MRN-WANTED")
    (read,) = events("admin.list")
    assert read.patient == wanted
    assert read.detail["search"] == "MRN-WANTED"


def test_a_list_of_rows_with_a_patient_fk_audits_each_patient_once(
    admin_client, patient, foreign_patient
):
    make_alert(patient)
    make_alert(foreign_patient)
    make_alert(patient, kind="missed_dose_streak")
    assert admin_client.get("/admin/alerts/alert/").status_code == 200
    reads = {event.patient_id: event.detail["count"] for event in events("admin.list")}
    assert reads == {patient.pk: 2, foreign_patient.pk: 1}


def test_rows_of_a_patients_account_are_audited_as_theirs(admin_client, patient, nurse):
    Device.objects.create(
        user=patient.user, token="patient-token-1", platform="web", last_seen_at="2026-06-01T08:00Z"
    )
    staff_device = Device.objects.create(
        user=nurse, token="nurse-token-1", platform="web", last_seen_at="2026-06-01T08:00Z"
    )
    response = admin_client.get("/admin/notifications/device/")
    assert response.status_code == 200
    assert b"patient-token-1" not in response.content  # only its last characters are shown
    reads = sorted(events("admin.list"), key=lambda e: e.patient_id is None)
    assert [(e.patient_id, e.detail["count"]) for e in reads] == [(patient.pk, 1), (None, 1)]
    # A staff member's device: a read without a patient.
    admin_client.get(f"/admin/notifications/device/{staff_device.pk}/change/")
    (view,) = events("admin.view")
    assert view.patient is None
    assert view.detail["model"] == "notifications.device"


def test_a_model_without_patients_writes_one_row_with_the_count(
    admin_client, care_team, other_care_team
):
    assert admin_client.get("/admin/accounts/careteam/").status_code == 200
    (read,) = events("admin.list")
    assert read.patient is None
    assert read.detail == {"model": "accounts.careteam", "page": 1, "count": 2}


def test_reading_the_audit_log_is_audited_and_it_stays_read_only(admin_client, patient):
    admin_client.get(patient_url(patient))
    view = events("admin.view")[0]
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert events("admin.list")
    assert admin_client.get(f"/admin/audit/auditevent/{view.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    page = admin_client.get("/admin/audit/auditevent/")
    assert b'value="delete_selected"' not in page.content


# ---------------------------------------------------------------- writes


def test_changing_a_field_writes_admin_change_with_the_field_names(admin_client, patient):
    response = admin_client.post(patient_url(patient), change_form(patient, display_name="New"))
    assert response.status_code == 302, response.content[:2000]
    patient.refresh_from_db()
    assert patient.display_name == "New"
    (event,) = events("admin.change")
    assert event.patient == patient
    assert event.detail["fields"] == ["display_name"]
    assert event.detail["model"] == "accounts.patient"
    assert "New" not in str(event.detail)  # names, never values


def test_the_care_team_and_the_time_zone_are_not_changed_by_the_form(admin_client, patient):
    team, zone = patient.care_team_id, patient.time_zone
    elsewhere = CareTeamFactory(name="Elsewhere")
    response = admin_client.post(
        patient_url(patient),
        change_form(patient, care_team=str(elsewhere.pk), time_zone="Asia/Tokyo"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.care_team_id, patient.time_zone) == (team, zone)
    assert not PatientTimeZoneChange.objects.exists()
    (event,) = events("admin.change")
    assert "care_team" not in event.detail["fields"]
    assert "time_zone" not in event.detail["fields"]


def test_the_change_form_shows_both_read_only(admin_client, patient):
    page = admin_client.get(patient_url(patient)).content.decode()
    assert 'name="care_team"' not in page
    assert 'name="time_zone"' not in page
    assert 'name="new_time_zone"' in page
    assert "Move to time zone" in page


def test_moving_the_time_zone_through_the_admin_keeps_the_history(
    admin_client, admin_user, patient
):
    previous = patient.time_zone
    response = admin_client.post(
        patient_url(patient), change_form(patient, new_time_zone="America/New_York")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.time_zone == "America/New_York"
    (change,) = PatientTimeZoneChange.objects.filter(patient=patient)
    assert (change.previous_time_zone, change.time_zone) == (previous, "America/New_York")
    assert change.changed_by == admin_user
    (zone_event,) = events("patient.time_zone")
    assert zone_event.actor == admin_user
    assert zone_event.patient == patient
    (event,) = events("admin.change")
    assert event.detail["fields"] == ["new_time_zone"]


def test_a_bad_time_zone_is_refused(admin_client, patient):
    zone = patient.time_zone
    response = admin_client.post(
        patient_url(patient), change_form(patient, new_time_zone="Mars/Base")
    )
    assert response.status_code == 200
    assert b"is not an IANA time zone" in response.content
    patient.refresh_from_db()
    assert patient.time_zone == zone
    assert not events("admin.change")


def test_patients_are_not_added_or_deleted_in_the_admin(admin_client, patient):
    assert admin_client.get("/admin/accounts/patient/add/").status_code == 403
    assert admin_client.get(patient_url(patient, "delete/")).status_code == 403
    assert admin_client.post(patient_url(patient, "delete/"), {"post": "yes"}).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_adding_and_deleting_write_audit_rows(admin_client):
    response = admin_client.post(
        "/admin/accounts/careteam/add/",
        {
            "name": "West Unit",
            "phone": "",
            "emergency_number": "112",
            "careteammembership_set-TOTAL_FORMS": "0",
            "careteammembership_set-INITIAL_FORMS": "0",
            "careteammembership_set-MIN_NUM_FORMS": "0",
            "careteammembership_set-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    (added,) = events("admin.add")
    assert added.detail["model"] == "accounts.careteam"
    assert "name" in added.detail["fields"]
    team_id = added.detail["object_id"]
    response = admin_client.post(f"/admin/accounts/careteam/{team_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    (deleted,) = events("admin.delete")
    assert deleted.detail == {"model": "accounts.careteam", "object_id": team_id}


def test_an_inline_change_is_part_of_the_audited_change(admin_client, care_team):
    newcomer = StaffFactory(role="nurse")
    response = admin_client.post(
        f"/admin/accounts/careteam/{care_team.pk}/change/",
        {
            "name": care_team.name,
            "phone": care_team.phone,
            "emergency_number": care_team.emergency_number,
            "careteammembership_set-TOTAL_FORMS": "1",
            "careteammembership_set-INITIAL_FORMS": "0",
            "careteammembership_set-MIN_NUM_FORMS": "0",
            "careteammembership_set-MAX_NUM_FORMS": "1000",
            "careteammembership_set-0-user": str(newcomer.pk),
            "careteammembership_set-0-care_team": str(care_team.pk),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    (event,) = events("admin.change")
    assert event.detail["related"] == [
        {"change": "added", "model": "care team membership", "fields": []}
    ]


def test_a_password_hash_is_never_in_the_audit(admin_client, patient):
    user = patient.user
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "A-new-long-passphrase-42", "password2": "A-new-long-passphrase-42"},
    )
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    (event,) = events("admin.change")
    assert event.patient == patient  # the account is the patient's
    assert user.password not in str(event.detail)
    assert "A-new-long-passphrase-42" not in str(event.detail)


def test_an_admin_action_is_audited(admin_client, patient):
    from backend.notifications.models import OutboxMessage

    message = OutboxMessage.objects.create(
        recipient=patient.user, kind="dose_reminder", dedupe_key="k1", status="failed"
    )
    response = admin_client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "retry_failed", "_selected_action": [str(message.pk)]},
    )
    assert response.status_code == 302
    (event,) = events("admin.action")
    assert event.patient == patient
    assert event.detail["action"] == "retry_failed"


# ---------------------------------------------------------------- alerts are never deleted


def test_the_alert_delete_page_is_403_and_the_bulk_delete_action_is_absent(admin_client, patient):
    alert = make_alert(patient)
    assert admin_client.get(f"/admin/alerts/alert/{alert.pk}/delete/").status_code == 403
    page = admin_client.get("/admin/alerts/alert/")
    assert page.status_code == 200
    assert b'value="delete_selected"' not in page.content
    # The form's page is view-only.
    change = admin_client.get(f"/admin/alerts/alert/{alert.pk}/change/")
    assert change.status_code == 200
    assert b'name="status"' not in change.content


def test_a_superuser_cannot_delete_an_alert(admin_client, admin_user, patient):
    assert admin_user.is_superuser
    alert = make_alert(patient)
    assert (
        admin_client.post(f"/admin/alerts/alert/{alert.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    # The bulk action by hand: refused (no such action), the alert stays.
    response = admin_client.post(
        "/admin/alerts/alert/",
        {"action": "delete_selected", "_selected_action": [str(alert.pk)], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Alert.objects.filter(pk=alert.pk).exists()
    assert not events("admin.delete")
    assert not LogEntry.objects.filter(action_flag=3).exists()


def test_lab_results_are_read_only_and_not_deleted(admin_client, patient):
    assert admin_client.get("/admin/labs/labresult/").status_code == 200
    page = admin_client.get("/admin/labs/labresult/")
    assert b'value="delete_selected"' not in page.content
    assert not LabResult.objects.exists()

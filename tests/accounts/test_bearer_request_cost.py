"""Issue 20: a bearer API request authenticates with one query (the token with its user and
patient), never deletes tokens on the way (an hourly task does), renews a token at most once a
minute, and does no session or message work."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from backend.accounts.services import auth_token_issue, auth_tokens_delete_expired

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ME = "/api/v1/me/"


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL sent, without the savepoints of the request's transaction."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]


def token_writes(sql: list[str]) -> list[str]:
    return [s for s in sql if s.startswith(("UPDATE", "DELETE")) and '"knox_authtoken"' in s]


def expired_token_of(user, *, ago: timedelta) -> AuthToken:
    token, _ = auth_token_issue(user=user)
    AuthToken.objects.filter(pk=token.pk).update(expiry=START - ago)
    return token


def test_a_bearer_get_is_one_query_for_token_user_and_patient(patient):
    with at(START):
        stale = expired_token_of(patient.user, ago=timedelta(days=1))
        _, token = auth_token_issue(user=patient.user)
        with CaptureQueriesContext(connection) as queries:
            response = bearer_client(token).get(ME)
    assert response.status_code == 200, response.json()
    # /me/ reads the patient and its care team twice; both come with the token.
    assert response.json()["patient_id"] == str(patient.pk)
    assert response.json()["care_team"]["name"] == patient.care_team.name
    sql = statements(queries)
    assert len(sql) == 1, sql
    assert '"knox_authtoken"' in sql[0] and '"accounts_patient"' in sql[0]
    # Knox's per-request housekeeping would have deleted the user's other, expired token.
    assert token_writes(sql) == []
    assert AuthToken.objects.filter(pk=stale.pk).exists()


def test_a_staff_bearer_get_is_one_query(nurse):
    with at(START):
        _, token = auth_token_issue(user=nurse)
        with CaptureQueriesContext(connection) as queries:
            response = bearer_client(token).get(ME)
    assert response.status_code == 200
    assert len(statements(queries)) == 1, statements(queries)


@pytest.mark.parametrize("user_fixture", ["patient", "nurse"])
def test_a_token_is_renewed_at_most_once_a_minute(user_fixture, request):
    user = request.getfixturevalue(user_fixture)
    user = getattr(user, "user", user)  # a patient fixture is the Patient
    with at(START):
        instance, token = auth_token_issue(user=user)
    client = bearer_client(token)
    first_expiry = instance.expiry

    def writes_at(seconds: int) -> int:
        with at(START + timedelta(seconds=seconds)), CaptureQueriesContext(connection) as queries:
            assert client.get(ME).status_code == 200
        return len(token_writes(statements(queries)))

    assert writes_at(0) == 0
    assert writes_at(30) == 0
    assert writes_at(59) == 0
    assert writes_at(61) == 1  # the expiry moves by more than a minute: one UPDATE
    assert AuthToken.objects.get(pk=instance.pk).expiry == first_expiry + timedelta(seconds=61)
    assert writes_at(62) == 0
    assert writes_at(61 + 60) == 0
    assert writes_at(61 + 61) == 1
    assert AuthToken.objects.get(pk=instance.pk).expiry == first_expiry + timedelta(seconds=122)


def test_an_expired_token_is_refused_and_kept_for_the_cleanup(patient):
    with at(START):
        _, token = auth_token_issue(user=patient.user)
    expiry = AuthToken.objects.get(user=patient.user).expiry
    with at(expiry + timedelta(seconds=1)), CaptureQueriesContext(connection) as queries:
        response = bearer_client(token).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert token_writes(statements(queries)) == []
    assert AuthToken.objects.filter(user=patient.user).count() == 1


def test_the_cleanup_deletes_only_expired_tokens(patient, nurse):
    with at(START):
        expired = [expired_token_of(patient.user, ago=timedelta(seconds=1)) for _ in range(3)]
        expired.append(expired_token_of(nurse, ago=timedelta(days=40)))
        live, live_token = auth_token_issue(user=patient.user)
        just_valid = expired_token_of(nurse, ago=timedelta(0))  # expiry == now: not yet past
        never = AuthToken.objects.create(user=nurse, expiry=None)[0]
        assert auth_tokens_delete_expired(START, batch_size=2) == 4
        assert auth_tokens_delete_expired(START, batch_size=2) == 0  # a rerun finds none
    remaining = set(AuthToken.objects.values_list("pk", flat=True))
    assert remaining == {live.pk, just_valid.pk, never.pk}
    assert not remaining & {token.pk for token in expired}
    with at(START):
        assert bearer_client(live_token).get(ME).status_code == 200


def test_the_cleanup_task_calls_the_service(patient):
    from worker.tasks.accounts import delete_expired_tokens

    with at(START):
        expired_token_of(patient.user, ago=timedelta(hours=1))
        auth_token_issue(user=patient.user)
        assert delete_expired_tokens.apply().get() == 1
    assert AuthToken.objects.filter(user=patient.user).count() == 1


def test_an_inactive_users_token_is_refused(patient):
    _, token = auth_token_issue(user=patient.user)
    type(patient.user).objects.filter(pk=patient.user.pk).update(is_active=False)
    response = bearer_client(token).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_token_that_is_not_utf8_is_a_401_not_a_500() -> None:
    response = Client().get(ME, HTTP_AUTHORIZATION="Bearer caf\xe9-not-utf8")
    assert response.status_code == 401


def test_a_bearer_request_does_not_load_the_session_or_messages(nurse, patient):
    """A nurse signed in on the dashboard (a session cookie) whose browser also sends a
    patient's bearer token: the token alone decides, and the session is not read."""
    browser = Client()
    browser.force_login(nurse)
    _, token = auth_token_issue(user=patient.user)
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["id"] == patient.user.pk
    assert not any('"django_session"' in sql for sql in statements(queries)), statements(queries)
    assert len(statements(queries)) == 1
    assert response.wsgi_request.session.accessed is False
    assert "Cookie" not in response.get("Vary", "")
    assert "sessionid" not in response.cookies
    assert not hasattr(response.wsgi_request, "_messages")


def test_session_authentication_of_the_api_still_works(nurse):
    browser = Client()
    browser.force_login(nurse)
    response = browser.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == nurse.pk
    assert response.wsgi_request.session.accessed is True
    assert hasattr(response.wsgi_request, "_messages")

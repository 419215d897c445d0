"""Twenty copies of one severe side-effect report at once, on PostgreSQL: one report, one
alert, one notification per nurse."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.accounts.services import auth_token_issue
from backend.alerts.models import Alert
from backend.notifications.models import OutboxMessage
from backend.sideeffects.models import SideEffectReport

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COPIES = 20


def post_all_at_once(token: str, body: dict[str, Any]) -> list[int]:
    barrier = threading.Barrier(COPIES, timeout=30)

    def send(_: int) -> int:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            return client.post("/api/v1/me/side-effects/", body, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        return list(pool.map(send, range(COPIES), timeout=120))


def test_twenty_copies_of_a_report_store_one_and_alert_once(patient, nurse):
    _, token = auth_token_issue(user=patient.user)
    body = {
        "client_id": str(uuid4()),
        "symptom": "vomiting",
        "answers": {"frequency": 3, "severity": 3},
    }
    codes = post_all_at_once(token, body)
    assert sorted(codes) == [200] * (COPIES - 1) + [201]
    assert SideEffectReport.objects.count() == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.occurrences) == ("severe_symptom", 1)
    assert OutboxMessage.objects.filter(recipient=nurse).count() == 1


def test_twenty_different_severe_reports_make_one_open_alert(patient):
    _, token = auth_token_issue(user=patient.user)
    barrier = threading.Barrier(COPIES, timeout=30)

    def send(_: int) -> int:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            body = {
                "client_id": str(uuid4()),
                "symptom": "vomiting",
                "answers": {"frequency": 3, "severity": 3},
            }
            return client.post("/api/v1/me/side-effects/", body, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        codes = list(pool.map(send, range(COPIES), timeout=120))
    assert codes == [201] * COPIES
    alert = Alert.objects.get()  # never two open alerts for the same patient, kind, symptom
    assert alert.occurrences == COPIES

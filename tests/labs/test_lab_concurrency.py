"""Ten copies of one abnormal lab panel at once, on PostgreSQL: each result stored once, one
hold alert, one push per nurse."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.accounts.services import auth_token_issue
from backend.alerts.models import Alert
from backend.labs.models import LabResult
from backend.notifications.models import OutboxMessage
from tests.labs.conftest import labs_url, liver_panel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COPIES = 10


def test_ten_copies_of_a_panel_store_it_once_and_alert_once(patient, nurse):
    _, token = auth_token_issue(user=nurse)
    body = liver_panel("2026-05-18", alt=400)
    barrier = threading.Barrier(COPIES, timeout=30)

    def send(_: int) -> int:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            return client.post(labs_url(patient), body, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        codes = list(pool.map(send, range(COPIES), timeout=120))
    assert sorted(codes) == [200] * (COPIES - 1) + [201]
    assert LabResult.objects.count() == 3
    alert = Alert.objects.get()
    assert (alert.kind, alert.occurrences) == ("liver_hold", 1)
    assert OutboxMessage.objects.filter(recipient=nurse, kind="alert_opened").count() == 1

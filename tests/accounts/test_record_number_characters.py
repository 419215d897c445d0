"""A medical record number is printable text: it ends up in file names and report headers."""

import pytest

from backend.accounts.models import Patient
from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "number", ["A\r\nB", "MRN\t1", "MRN\x1b[31m", "MRN\u2028X", "MRN\x7f", "MRN\u200bX"]
)
def test_control_characters_in_a_record_number_are_a_400(nurse, number):
    body = {"display_name": "A", "medical_record_number": number, "time_zone": "UTC"}
    response = client_for(nurse).post("/api/v1/patients/", body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["medical_record_number"]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("number", ["MRN-00042", "Hß 12/3 (B)", 'A"B'])
def test_printable_record_numbers_are_accepted(nurse, number):
    body = {"display_name": "A", "medical_record_number": number, "time_zone": "UTC"}
    response = client_for(nurse).post("/api/v1/patients/", body, format="json")
    assert response.status_code == 201, response.content

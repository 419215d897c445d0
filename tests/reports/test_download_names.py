"""Every download's Content-Disposition is RFC 6266 encoded: a record number holding a CR/LF
or quotes (stored before enrolment checked them) can neither break the header nor rename
the file."""

import pytest
import time_machine

from tests.factories.clients import client_for

pytestmark = pytest.mark.django_db

NOW = "2026-03-10 12:00:00+01:00"
CASE = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
    "start_date": "2026-03-01",
}
HOSTILE = 'A"B\r\nSet-Cookie: x=1; filename="evil.exe'


def assert_safe(value: str, suffix: str) -> None:
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in value
    plain = value.split('filename="', 1)[1].split('"', 1)[0]
    assert plain.endswith(suffix) and "evil" not in plain.split("_")[0]
    assert value.split("filename*=UTF-8''", 1)[1].endswith(suffix)
    assert value.count('"') == 2


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_pdf_name_with_a_hostile_record_number(nurse, patient):
    client_for(nurse).post(
        f"/api/v1/patients/{patient.pk}/plans/",
        {"case": CASE, "dose_times": ["08:00"]},
        format="json",
    )
    patient.medical_record_number = HOSTILE
    patient.save(update_fields=["medical_record_number"])
    response = client_for(nurse).get(
        f"/api/v1/patients/{patient.pk}/report.pdf", {"from": "2026-03-01", "to": "2026-03-09"}
    )
    assert response.status_code == 200
    assert_safe(response["Content-Disposition"], ".pdf")
    assert "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"


def test_the_fhir_bundle_is_no_store(nurse, patient):
    patient.medical_record_number = HOSTILE
    patient.save(update_fields=["medical_record_number"])
    response = client_for(nurse).get(f"/api/v1/patients/{patient.pk}/fhir/")
    assert response.status_code == 200
    assert "\n" not in response.get("Content-Disposition", "")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "suffix"),
    [
        ("exports/adherence.csv", ".csv"),
        ("exports/doses.csv", ".csv"),
        ("exports/adherence.xlsx", ".xlsx"),
    ],
)
def test_cohort_file_names(coordinator, patient, path, suffix):
    response = client_for(coordinator).get(
        f"/api/v1/{path}", {"from": "2026-03-01", "to": "2026-03-09"}
    )
    assert response.status_code == 200, response.content[:300]
    assert_safe(response["Content-Disposition"], suffix)
    assert response["Cache-Control"] == "no-store"

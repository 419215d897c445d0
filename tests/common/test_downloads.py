"""Download file names: RFC 6266 with RFC 5987's filename*, whatever a record number holds."""

import pytest
from django.http import HttpResponse

from backend.common.downloads import content_disposition, safe_file_name, set_download_name


@pytest.mark.parametrize(
    "name",
    [
        'report_A"B_2026-01-01.pdf',
        "report_A\r\nSet-Cookie: x=1_2026.pdf",
        "report_../../etc/passwd.pdf",
        "report_\x00\x1b\x7f\u2028.pdf",
        "report_Müller_ñ_東京.pdf",
        'report_"; filename="evil.exe.pdf',
    ],
)
def test_a_header_value_is_safe_for_any_name(name):
    value = content_disposition(name)
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in value
    plain = value.split('filename="', 1)[1].split('"', 1)[0]
    assert plain and all(c.isalnum() or c in "._-" for c in plain)
    encoded = value.split("filename*=UTF-8''", 1)[1]
    assert all(c not in encoded for c in ' ";\\/')
    response = HttpResponse(b"x")
    set_download_name(response, name)  # Django refuses a header with a newline
    assert response["Content-Disposition"] == value


def test_unicode_survives_in_filename_star():
    value = content_disposition("report_Müller.pdf")
    assert value.endswith("filename*=UTF-8''report_M%C3%BCller.pdf")
    assert 'filename="report_Muller.pdf"' in value


def test_an_empty_or_dotted_name_still_has_a_name():
    assert safe_file_name("") == "download"
    assert safe_file_name("../..") == "download"
    assert not safe_file_name(".hidden").startswith(".")


def test_a_long_name_keeps_its_suffix():
    name = safe_file_name("x" * 500 + ".xlsx")
    assert len(name) <= 150 and name.endswith(".xlsx")

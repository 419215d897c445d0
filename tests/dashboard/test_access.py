"""Who may open the dashboard: anonymous visitors go to the staff sign-in (htmx requests are
told to go there), patients are refused, failed sign-ins lock out, POSTs need a CSRF token,
and staff see only their own teams' patients (admins see all). Every answer carries a strict
Content-Security-Policy and no page has inline code for it to block."""

from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client

from backend.accounts.models import Patient
from backend.alerts.models import Alert, AlertStatus
from backend.audit.models import AuditEvent
from tests.dashboard.conftest import (
    HTMX,
    TODAY,
    inline_code_problems,
    text,
    title_of,
)
from tests.factories.accounts import TEST_PASSWORD, StaffFactory, activated_patient
from tests.factories.alerts import AlertFactory
from tests.factories.plans import TreatmentPlanFactory
from tests.factories.side_effects import SideEffectReportFactory

pytestmark = pytest.mark.django_db

SIGN_IN = "/dashboard/sign-in/"


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN}?next={quote(next_path)}"


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# ---------------------------------------------------------------- anonymous visitors


def test_anonymous_pages_redirect_to_the_sign_in_with_next(client, patient, nurse):
    alert = AlertFactory.create(patient=patient)
    paths = [
        "/dashboard/",
        "/dashboard/?priority=urgent&kind=rash",
        "/dashboard/cohort/",
        f"/dashboard/patients/{patient.pk}/",
        "/dashboard/alerts/rows/",
        f"/dashboard/alerts/{alert.pk}/resolve/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == sign_in_url(path), path
    assert sign_in_url("/dashboard/?priority=urgent&kind=rash") == (
        "/dashboard/sign-in/?next=/dashboard/%3Fpriority%3Durgent%26kind%3Drash"
    )
    # A POST while signed out changes nothing.
    response = client.post(f"/dashboard/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.acknowledged_at is None


def test_anonymous_htmx_request_is_told_to_load_the_sign_in_page(client, patient):
    alert = AlertFactory.create(patient=patient)
    rows = client.get("/dashboard/alerts/rows/?priority=high", headers=HTMX)
    assert rows.status_code == 200
    assert rows["HX-Redirect"] == sign_in_url("/dashboard/alerts/rows/?priority=high")
    assert "Alert queue" not in text(rows)  # no data, only the instruction
    ack = client.post(f"/dashboard/alerts/{alert.pk}/acknowledge/", headers=HTMX)
    assert ack["HX-Redirect"] == sign_in_url(f"/dashboard/alerts/{alert.pk}/acknowledge/")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    # Without the header the same URL answers with an ordinary redirect.
    assert "HX-Redirect" not in client.get("/dashboard/alerts/rows/")


def test_after_an_htmx_sign_in_redirect_the_nurse_returns_to_the_page(client, nurse, patient):
    """htmx sends the page's address (HX-Current-URL): signing in must lead back there, not
    to the bare fragment the poll asked for, nor to a POST-only URL (which would be 405)."""
    alert = AlertFactory.create(patient=patient)
    page = {**HTMX, "HX-Current-URL": "http://testserver/dashboard/?priority=high"}
    rows = client.get("/dashboard/alerts/rows/?priority=high", headers=page)
    assert rows["HX-Redirect"] == sign_in_url("/dashboard/?priority=high")
    ack = client.post(f"/dashboard/alerts/{alert.pk}/acknowledge/", headers=page)
    assert ack["HX-Redirect"] == sign_in_url("/dashboard/?priority=high")
    # Another site's address is never used.
    elsewhere = {**HTMX, "HX-Current-URL": "https://evil.example/dashboard/"}
    rows = client.get("/dashboard/alerts/rows/", headers=elsewhere)
    assert rows["HX-Redirect"] == sign_in_url("/dashboard/alerts/rows/")
    # Following it through: the sign-in lands on the whole queue page.
    signed_in = client.post(
        SIGN_IN,
        {
            "username": nurse.username,
            "password": TEST_PASSWORD,
            "next": "/dashboard/?priority=high",
        },
        follow=True,
    )
    assert signed_in.redirect_chain == [("/dashboard/?priority=high", 302)]
    assert text(signed_in).startswith("<!doctype html>")


def test_sign_in_page_renders_for_anonymous_visitors(client):
    response = client.get(sign_in_url("/dashboard/cohort/"))
    assert response.status_code == 200
    body = text(response)
    assert "Care team sign-in" in body
    assert '<input type="hidden" name="next" value="/dashboard/cohort/">' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "no-cache" in response["Cache-Control"]


# ---------------------------------------------------------------- patients are refused


def test_a_signed_in_patient_gets_403_on_every_page(browser, patient, nurse):
    report = SideEffectReportFactory.create(patient=patient)
    alert = AlertFactory.create(patient=patient)
    phone = browser(patient.user)
    gets = [
        "/dashboard/",
        "/dashboard/alerts/rows/",
        "/dashboard/cohort/",
        f"/dashboard/patients/{patient.pk}/",  # not even their own
        f"/dashboard/alerts/{alert.pk}/resolve/",
    ]
    for path in gets:
        assert phone.get(path).status_code == 403, path
        assert phone.get(path, headers=HTMX).status_code == 403, path
    posts = {
        f"/dashboard/alerts/{alert.pk}/acknowledge/": {},
        f"/dashboard/alerts/{alert.pk}/resolve/": {"outcome": "other", "note": "me"},
        f"/dashboard/patients/{patient.pk}/grades/": {"report": str(report.pk), "grade": "1"},
    }
    for path, body in posts.items():
        assert phone.post(path, body).status_code == 403, path
    home = phone.get("/dashboard/home/", follow=True)
    assert home.redirect_chain == [("/dashboard/", 302)]
    assert home.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert not report.assessments.exists()
    assert not AuditEvent.objects.filter(action__startswith="dashboard.").exists()


def test_inactive_staff_are_refused(browser, nurse, patient):
    AlertFactory.create(patient=patient)
    client = browser(nurse)
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    response = client.get("/dashboard/")
    # Django drops the session of an inactive user: they are anonymous again.
    assert response.status_code == 302
    assert response["Location"] == sign_in_url("/dashboard/")


# ---------------------------------------------------------------- sign-in


def test_patient_credentials_are_refused_with_a_pointer_to_the_app(client, patient):
    response = client.post(SIGN_IN, {"username": patient.user.username, "password": TEST_PASSWORD})
    assert response.status_code == 400
    body = text(response)
    assert "This sign-in is for care staff." in body
    assert "Patients sign in with the patient app at /app/." in body
    assert signed_in_user_id(client) is None
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_is_400_without_a_session(client, nurse):
    response = client.post(SIGN_IN, {"username": nurse.username, "password": "wrong-password"})
    assert response.status_code == 400
    assert "Please enter a correct username and password." in text(response)
    assert signed_in_user_id(client) is None


def test_nurse_signs_in_to_home_then_the_queue(client, nurse):
    response = client.post(SIGN_IN, {"username": nurse.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/home/"
    assert signed_in_user_id(client) == str(nurse.pk)
    home = client.get("/dashboard/home/")
    assert home.status_code == 302 and home["Location"] == "/dashboard/"
    queue = client.get("/dashboard/")
    assert queue.status_code == 200
    assert "<h1>Alert queue</h1>" in text(queue)
    # Signed in, the sign-in page sends the nurse on.
    again = client.get(SIGN_IN)
    assert again.status_code == 302 and again["Location"] == "/dashboard/home/"


def test_coordinator_home_is_the_cohort(client, coordinator):
    client.force_login(coordinator)
    home = client.get("/dashboard/home/")
    assert home.status_code == 302 and home["Location"] == "/dashboard/cohort/"
    assert "<h1>Cohort</h1>" in text(client.get(home["Location"]))


def test_sign_in_follows_next_but_never_off_site(client, nurse):
    body = {"username": nurse.username, "password": TEST_PASSWORD}
    to_cohort = client.post(SIGN_IN, {**body, "next": "/dashboard/cohort/"})
    assert to_cohort["Location"] == "/dashboard/cohort/"
    other = Client()
    off_site = other.post(SIGN_IN, {**body, "next": "https://evil.example/dashboard/"})
    assert off_site.status_code == 302
    assert off_site["Location"] == "/dashboard/home/"


def test_sign_out_ends_the_session(nurse_browser, nurse):
    assert nurse_browser.get("/dashboard/").status_code == 200
    response = nurse_browser.post("/dashboard/sign-out/")
    assert response.status_code == 302 and response["Location"] == SIGN_IN
    assert signed_in_user_id(nurse_browser) is None
    assert nurse_browser.get("/dashboard/").status_code == 302


def test_lockout_after_the_failure_limit_even_with_the_right_password(client, nurse):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    bad = {"username": nurse.username, "password": "not-the-password"}
    statuses = [client.post(SIGN_IN, bad).status_code for _ in range(limit - 1)]
    assert statuses == [400] * (limit - 1)
    # The failure that reaches the limit locks the username for this address at once.
    assert client.post(SIGN_IN, bad).status_code == 429
    response = client.post(SIGN_IN, {"username": nurse.username, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    body = text(response)
    assert "<h1>Too many failed sign-in attempts</h1>" in body
    assert "Signing in with this username, or from this address, is paused" in body
    assert signed_in_user_id(client) is None
    # Another staff member on the same address is not locked out.
    colleague = StaffFactory(role="nurse")
    ok = client.post(SIGN_IN, {"username": colleague.username, "password": TEST_PASSWORD})
    assert ok.status_code == 302


def test_lockout_on_the_api_stays_json(api_client, nurse):
    """The dashboard's lockout page must not leak into the API's error shape."""
    from django.test import RequestFactory

    from backend.api.exceptions import lockout_response

    response = lockout_response(RequestFactory().post("/api/v1/auth/login/"))
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"


def test_posts_without_a_csrf_token_are_refused(browser, nurse, patient):
    alert = AlertFactory.create(patient=patient)
    anonymous = Client(enforce_csrf_checks=True)
    sign_in = anonymous.post(SIGN_IN, {"username": nurse.username, "password": TEST_PASSWORD})
    assert sign_in.status_code == 403
    assert signed_in_user_id(anonymous) is None

    staff = browser(nurse, enforce_csrf_checks=True)
    ack = staff.post(f"/dashboard/alerts/{alert.pk}/acknowledge/", headers=HTMX)
    assert ack.status_code == 403
    resolve = staff.post(
        f"/dashboard/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "x"}
    )
    assert resolve.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.acknowledged_at is None

    # With the token the page hands out (htmx sends it as X-CSRFToken), the same POST works.
    staff.get("/dashboard/")
    token = staff.cookies[settings.CSRF_COOKIE_NAME].value
    ok = staff.post(
        f"/dashboard/alerts/{alert.pk}/acknowledge/", headers={**HTMX, "X-CSRFToken": token}
    )
    assert ok.status_code == 200
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


# ---------------------------------------------------------------- scoping by care team


@pytest.fixture
def foreign(other_care_team) -> Patient:
    return activated_patient(care_team=other_care_team, display_name="Foreign Fiona Zeta")


@pytest.fixture
def own(care_team) -> Patient:
    return activated_patient(care_team=care_team, display_name="Own Olga Alpha")


def test_another_teams_patient_page_is_404(nurse_browser, coordinator_browser, foreign):
    SideEffectReportFactory.create(patient=foreign)
    for client in (nurse_browser, coordinator_browser):
        response = client.get(f"/dashboard/patients/{foreign.pk}/")
        assert response.status_code == 404
        assert "Foreign Fiona" not in text(response)
    assert not AuditEvent.objects.filter(patient=foreign).exists()


def test_another_teams_alert_cannot_be_acknowledged_or_resolved(nurse_browser, foreign):
    alert = AlertFactory.create(patient=foreign, priority="urgent")
    before = Alert.objects.values().get(pk=alert.pk)
    base = f"/dashboard/alerts/{alert.pk}"
    assert nurse_browser.post(f"{base}/acknowledge/").status_code == 404
    assert nurse_browser.post(f"{base}/acknowledge/", headers=HTMX).status_code == 404
    assert nurse_browser.get(f"{base}/resolve/", headers=HTMX).status_code == 404
    body = {"outcome": "no_action_needed", "note": "Not mine"}
    assert nurse_browser.post(f"{base}/resolve/", body).status_code == 404
    assert nurse_browser.post(f"{base}/resolve/", body, headers=HTMX).status_code == 404
    assert Alert.objects.values().get(pk=alert.pk) == before
    # An alert id that does not exist at all answers the same.
    missing = "/dashboard/alerts/00000000-0000-0000-0000-000000000000/acknowledge/"
    assert nurse_browser.post(missing).status_code == 404


def test_a_grade_for_another_teams_patient_is_404(nurse_browser, foreign):
    report = SideEffectReportFactory.create(patient=foreign)
    response = nurse_browser.post(
        f"/dashboard/patients/{foreign.pk}/grades/", {"report": str(report.pk), "grade": "1"}
    )
    assert response.status_code == 404
    assert not report.assessments.exists()


def test_queue_and_cohort_never_list_another_teams_patients(
    nurse_browser, coordinator_browser, nurse, own, foreign
):
    AlertFactory.create(patient=own, priority="normal", symptom="rash", summary="Own summary text")
    AlertFactory.create(patient=foreign, priority="urgent", summary="Foreign summary text")
    TreatmentPlanFactory.create(patient=own, created_by=nurse, start_date=TODAY)
    for client in (nurse_browser, coordinator_browser):
        for path in (
            "/dashboard/",
            "/dashboard/?priority=urgent",
            f"/dashboard/?patient={foreign.pk}",
            f"/dashboard/alerts/rows/?patient={foreign.pk}",
            "/dashboard/alerts/rows/",
            "/dashboard/cohort/",
            "/dashboard/cohort/?sort=pdc_90&order=desc",
        ):
            body = text(client.get(path))
            assert "Foreign Fiona" not in body, path
            assert "Foreign summary text" not in body, path
            assert foreign.medical_record_number not in body, path
            assert f"/dashboard/patients/{foreign.pk}/" not in body, path
        for path in (
            "/dashboard/?priority=urgent",
            f"/dashboard/?patient={foreign.pk}",
        ):
            assert "No unresolved alerts match these filters." in text(client.get(path)), path
        queue = text(client.get("/dashboard/"))
        assert "Own Olga Alpha" in queue and "Own summary text" in queue
        # The counts in the title and status line count only the team's alerts.
        assert title_of(queue) == "(1) Alert queue · GIST adherence"
        assert "Own Olga Alpha" in text(client.get("/dashboard/cohort/"))
    assert not AuditEvent.objects.filter(patient=foreign).exists()


def test_admin_sees_every_team(admin_browser, own, foreign):
    AlertFactory.create(patient=own, priority="normal", symptom="rash")
    AlertFactory.create(patient=foreign, priority="urgent")
    queue = text(admin_browser.get("/dashboard/"))
    assert "Foreign Fiona Zeta" in queue and "Own Olga Alpha" in queue
    rows = queue.split('<table class="alerts">', 1)[1]
    assert rows.index("Foreign Fiona Zeta") < rows.index("Own Olga Alpha")  # urgent first
    cohort = text(admin_browser.get("/dashboard/cohort/"))
    assert "Foreign Fiona Zeta" in cohort and "Own Olga Alpha" in cohort
    assert admin_browser.get(f"/dashboard/patients/{foreign.pk}/").status_code == 200


def test_staff_of_two_teams_see_both(browser, care_team, other_care_team, own, foreign):
    both = StaffFactory(role="nurse", care_teams=[care_team, other_care_team])
    AlertFactory.create(patient=own)
    AlertFactory.create(patient=foreign)
    queue = text(browser(both).get("/dashboard/"))
    assert queue.count('class="alert-row ') == 2
    # Two memberships must not show a patient twice.
    assert queue.count("Foreign Fiona Zeta</a>") == 1


# ---------------------------------------------------------------- Content-Security-Policy


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_every_dashboard_response_has_a_strict_csp(client, browser, nurse, patient, foreign):
    alert = AlertFactory.create(patient=patient)
    SideEffectReportFactory.create(patient=patient)
    nurse_client = browser(nurse)
    phone = browser(patient.user)
    responses = {
        "sign-in": client.get(SIGN_IN),
        "sign-in 400": client.post(SIGN_IN, {"username": "x", "password": "y"}),
        "anonymous redirect": client.get("/dashboard/"),
        "anonymous htmx": client.get("/dashboard/alerts/rows/", headers=HTMX),
        "queue": nurse_client.get("/dashboard/"),
        "queue 400": nurse_client.get("/dashboard/?priority=bogus"),
        "rows": nurse_client.get("/dashboard/alerts/rows/", headers=HTMX),
        "resolve form": nurse_client.get(f"/dashboard/alerts/{alert.pk}/resolve/", headers=HTMX),
        "resolve page": nurse_client.get(f"/dashboard/alerts/{alert.pk}/resolve/"),
        "patient": nurse_client.get(f"/dashboard/patients/{patient.pk}/"),
        "patient 404": nurse_client.get(f"/dashboard/patients/{foreign.pk}/"),
        "cohort": nurse_client.get("/dashboard/cohort/"),
        "cohort 400": nurse_client.get("/dashboard/cohort/?band=bogus"),
        "acknowledge": nurse_client.post(
            f"/dashboard/alerts/{alert.pk}/acknowledge/", headers=HTMX
        ),
        "patient 403": phone.get("/dashboard/"),
    }
    expected_status = {
        "sign-in": 200,
        "sign-in 400": 400,
        "anonymous redirect": 302,
        "anonymous htmx": 200,
        "queue": 200,
        "queue 400": 400,
        "rows": 200,
        "resolve form": 200,
        "resolve page": 200,
        "patient": 200,
        "patient 404": 404,
        "cohort": 200,
        "cohort 400": 400,
        "acknowledge": 200,
        "patient 403": 403,
    }
    assert {name: r.status_code for name, r in responses.items()} == expected_status
    for name, response in responses.items():
        header = response.headers.get("Content-Security-Policy")
        assert header, name
        directives = csp_directives(header)
        assert directives["script-src"] == ["'self'"], name
        assert directives["style-src"] == ["'self'"], name
        assert directives["object-src"] == ["'none'"], name
        assert directives["frame-ancestors"] == ["'none'"], name
        assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, name


def test_pages_have_no_inline_script_style_or_handlers(client, nurse_browser, nurse, patient):
    alert = AlertFactory.create(patient=patient)
    TreatmentPlanFactory.create(patient=patient, created_by=nurse, start_date=TODAY)
    SideEffectReportFactory.create(patient=patient, level=2, note="Felt sick after lunch")
    pages = {
        "sign-in": client.get(SIGN_IN),
        "queue": nurse_browser.get("/dashboard/"),
        "rows": nurse_browser.get("/dashboard/alerts/rows/", headers=HTMX),
        "resolve page": nurse_browser.get(f"/dashboard/alerts/{alert.pk}/resolve/"),
        "patient": nurse_browser.get(f"/dashboard/patients/{patient.pk}/"),
        "cohort": nurse_browser.get("/dashboard/cohort/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = text(response)
        assert inline_code_problems(html) == [], name
    # The checker itself finds what it looks for.
    assert len(inline_code_problems('<p style="x" onclick="y">a</p><script>z()</script>')) >= 3
    # Scripts come only from our static files.
    patient_html = text(pages["patient"])
    assert '<script src="/static/dashboard/htmx-2.0.11.min.js" defer></script>' in patient_html
    assert "<svg" in patient_html  # the symptom chart is there, and it passed the checks

"""What a caregiver can reach: their minimal view of the one patient who invited them and
their own account (who am I, sign out, this phone's pushes). Every other route of the site,
enumerated from the URL configuration (so a route added later is covered), answers 403 or 404
for them, with a bearer token as the app uses and with a session; the patient's own data,
another patient's, staff pages and the dashboard included, and nothing after removal."""

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from backend.caregivers.models import CaregiverLink
from tests.caregivers.helpers import STRONG, accept, bearer, invite
from tests.factories.clients import client_for
from tests.factories.plans import TreatmentPlanFactory

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")

# Open to anyone, signed in or not: nothing here is a patient's (sign-in, activation,
# acceptance, the health probe, the patient web app's static shell, the staff sign-in and
# sign-out forms, and the dashboard's old home address, a redirect to /dashboard/).
PUBLIC = {
    "/healthz",
    "/api/v1/auth/login/",
    "/api/v1/auth/activate/",
    "/api/v1/caregiver/accept/",
}
PUBLIC_PREFIXES = (
    "/app/",
    "/dashboard/sign-in/",
    "/dashboard/sign-out/",
    "/dashboard/home/",
    "/admin/login/",
    "/admin/logout/",
)

# A caregiver's own: their account and their phone's push registration (any method the view
# has), and the minimal view.
OWN_ACCOUNT = {
    "/api/v1/me/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/logout-everywhere/",
    "/api/v1/me/devices/",
    "/api/v1/me/devices/1/",
    "/api/v1/me/devices/unregister/",
    "/api/v1/me/notification-preferences/",
    "/api/v1/caregiver/patients/",
}


def _routes(patterns, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def concrete_paths(patient_id: str) -> list[str]:
    """Every route with its parameters filled: uuids with the given patient's id (the linked
    patient's own data, or another's), numbers with 1. Regular-expression routes (the admin's)
    get their literal part; the admin's index and model pages are covered by that."""
    paths = set()
    for route in _routes(get_resolver().url_patterns):
        route = re.sub(r"<uuid:\w+>", patient_id, route)
        route = re.sub(r"<int:\w+>", "1", route)
        route = re.sub(r"<(?:str|slug|path):\w+>", "x", route)
        route = route.replace("^", "").replace("$", "").replace("\\Z", "")
        if re.search(r"[()\[\]<>?*+\\]", route):
            route = route.split("(")[0]
        paths.add("/" + route)
    return sorted(paths)


def refused(response) -> bool:
    """403 or 404 (405 for a method the route does not serve: nothing done, nothing shown);
    for the pages of a browser (dashboard, admin), which never read a bearer token, a
    redirect to their sign-in form."""
    if response.status_code == 302:
        return any(form in response["Location"] for form in ("/sign-in/", "/admin/login/"))
    return response.status_code in (403, 404, 405)


@pytest.fixture
def linked(patient, foreign_patient):
    """A caregiver of `patient` with a bearer token; the patient has a plan (doses today)."""
    TreatmentPlanFactory.create(patient=patient)
    TreatmentPlanFactory.create(patient=foreign_patient)
    body = accept(invite(patient)).json()
    return bearer(body["token"]), CaregiverLink.objects.get(patient=patient)


def _is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


@pytest.mark.parametrize("whose", ["own_patient", "another_patient"])
def test_every_other_route_refuses_a_caregivers_token(linked, patient, foreign_patient, whose):
    client, _ = linked
    patient_id = str(patient.pk if whose == "own_patient" else foreign_patient.pk)
    allowed = {*OWN_ACCOUNT, f"/api/v1/caregiver/patients/{patient.pk}/today/"}
    reached = []
    checked = 0
    for path in concrete_paths(patient_id):
        if _is_public(path) or path in allowed:
            continue
        for method in METHODS:
            response = getattr(client, method)(path, {}, format="json")
            checked += 1
            if not refused(response):
                reached.append(
                    (method.upper(), path, response.status_code, response.get("Location"))
                )
    assert checked > 200  # the whole site was walked (API, dashboard, admin)
    assert reached == [], "\n".join(map(str, reached))


def test_the_same_routes_refuse_a_caregivers_session(linked, patient):
    """A session (as a browser would hold after some other sign-in) gets no further: the API's
    session authentication refuses them too, the dashboard and the admin are staff only."""
    _, link = linked
    browser = Client()
    browser.force_login(link.user)
    reached = []
    allowed = {*OWN_ACCOUNT, f"/api/v1/caregiver/patients/{patient.pk}/today/"}
    for path in concrete_paths(str(patient.pk)):
        if _is_public(path) or path in allowed:
            continue
        response = browser.get(path)
        if not refused(response):
            reached.append((path, response.status_code, response.get("Location")))
    assert reached == [], "\n".join(map(str, reached))


def test_what_a_caregiver_may_reach(linked, patient, foreign_patient):
    client, _ = linked
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["role"] == "caregiver"
    assert me.json()["patient_id"] is None
    assert client.get("/api/v1/me/devices/").status_code == 200
    assert client.get("/api/v1/me/notification-preferences/").status_code == 200
    today = client.get(f"/api/v1/caregiver/patients/{patient.pk}/today/")
    assert today.status_code == 200
    assert client.get(f"/api/v1/caregiver/patients/{foreign_patient.pk}/today/").status_code == 404
    assert (
        client.get(
            "/api/v1/caregiver/patients/00000000-0000-0000-0000-000000000000/today/"
        ).status_code
        == 404
    )


def test_the_minimal_view_says_logged_or_not_and_nothing_else(linked, patient):
    client, _ = linked
    body = client.get(f"/api/v1/caregiver/patients/{patient.pk}/today/").json()
    assert set(body) == {
        "patient_name",
        "date",
        "show_medication_name",
        "doses",
        "alert_after_minutes",
    }
    assert body["show_medication_name"] is False
    assert body["doses"], "the patient's plan has a dose today"
    for dose in body["doses"]:
        assert set(dose) == {"local_time", "due_at", "status"}
        assert dose["status"] in {"logged", "not_logged", "on_hold"}


def test_patients_and_staff_cannot_open_a_caregivers_view(linked, patient, nurse, admin_user):
    path = f"/api/v1/caregiver/patients/{patient.pk}/today/"
    for user in (patient.user, nurse, admin_user):
        assert client_for(user).get(path).status_code == 403
        assert client_for(user).get("/api/v1/caregiver/patients/").status_code == 403


def test_nothing_after_removal(linked, patient):
    client, link = linked
    assert client_for(patient.user).delete(f"/api/v1/me/caregivers/{link.pk}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    signed_in = bearer("").post(
        "/api/v1/auth/login/", {"username": link.user.username, "password": STRONG}
    )
    again = bearer(signed_in.json()["token"])
    assert again.get(f"/api/v1/caregiver/patients/{patient.pk}/today/").status_code == 404
    assert again.get("/api/v1/caregiver/patients/").json() == []
    assert again.get(f"/api/v1/patients/{patient.pk}/").status_code == 403

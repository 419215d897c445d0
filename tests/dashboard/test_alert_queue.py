"""The nurse's alert queue: order, filters, the title's count and its htmx refresh,
acknowledge and resolve (htmx and plain forms), a fixed number of queries however long the
queue, and the audit trail of who looked at which patient."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine

from backend.accounts.models import Patient
from backend.alerts.models import Alert, AlertStatus
from backend.audit.models import AuditEvent
from tests.dashboard.conftest import (
    AUDIT_CHAIN_QUERIES,
    HTMX,
    NOW,
    queries_of,
    text,
    title_of,
)
from tests.factories.accounts import CareTeamFactory, StaffFactory, activated_patient
from tests.factories.alerts import AlertFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

QUEUE = "/dashboard/"
ROWS = "/dashboard/alerts/rows/"
ROW_ID = re.compile(r'<tr id="alert-([0-9a-f-]{36})"')


def row_ids(html: str) -> list[str]:
    return ROW_ID.findall(html)


def ack_url(alert: Alert) -> str:
    return f"/dashboard/alerts/{alert.pk}/acknowledge/"


def resolve_url(alert: Alert) -> str:
    return f"/dashboard/alerts/{alert.pk}/resolve/"


def person(care_team, name: str, mrn: str | None = None) -> Patient:
    extra = {"medical_record_number": mrn} if mrn else {}
    return activated_patient(care_team=care_team, display_name=name, **extra)


# ---------------------------------------------------------------- order and filters


def test_rows_are_urgent_then_high_then_normal_then_oldest_first(nurse_browser, care_team):
    start = NOW - timedelta(hours=6)

    def opened(name: str, priority: str, minutes: int) -> Alert:
        return AlertFactory.create(
            patient=person(care_team, name),
            priority=priority,
            now=start + timedelta(minutes=minutes),
        )

    alerts = {
        "normal-old": opened("Nora Normal-Old", "normal", 0),
        "high-new": opened("Hugo High-New", "high", 20),
        "urgent-new": opened("Uma Urgent-New", "urgent", 30),
        "high-old": opened("Hana High-Old", "high", 10),
        "urgent-old": opened("Ugo Urgent-Old", "urgent", 5),
        "normal-new": opened("Nils Normal-New", "normal", 40),
    }
    expected = ["urgent-old", "urgent-new", "high-old", "high-new", "normal-old", "normal-new"]
    response = nurse_browser.get(QUEUE)
    assert response.status_code == 200
    html = text(response)
    assert row_ids(html) == [str(alerts[key].pk) for key in expected]
    names = [alerts[key].patient.display_name for key in expected]
    table = html.split('<table class="alerts">', 1)[1]
    positions = [table.index(name) for name in names]
    assert positions == sorted(positions)
    # Acknowledged alerts stay in the queue in their place; resolved ones leave it.
    nurse_browser.post(ack_url(alerts["urgent-old"]))
    nurse_browser.post(
        resolve_url(alerts["high-old"]), {"outcome": "no_action_needed", "note": "Seen in clinic"}
    )
    after = row_ids(text(nurse_browser.get(QUEUE)))
    assert after == [str(alerts[key].pk) for key in expected if key != "high-old"]


@pytest.fixture
def mixed_queue(care_team):
    smith = person(care_team, "Jane Smith", "MRN-SMITH-1")
    jones = person(care_team, "Tom Jones", "MRN-JONES-2")
    smithers = person(care_team, "Al Smithers", "MRN-SMI-3")

    def ago(minutes: int):
        return NOW - timedelta(minutes=minutes)

    return {
        "smith_nausea": AlertFactory.create(
            patient=smith, priority="urgent", symptom="nausea", now=ago(5)
        ),
        "smith_streak": AlertFactory.create(
            patient=smith, priority="normal", kind="missed_dose_streak", symptom="", now=ago(50)
        ),
        "jones_rash": AlertFactory.create(
            patient=jones, priority="high", symptom="rash", now=ago(40)
        ),
        "jones_streak": AlertFactory.create(
            patient=jones, priority="high", kind="missed_dose_streak", symptom="", now=ago(30)
        ),
        "smithers_fatigue": AlertFactory.create(
            patient=smithers,
            priority="normal",
            kind="worsening_symptom",
            symptom="fatigue",
            now=ago(20),
        ),
    }


ALL = ["smith_nausea", "jones_rash", "jones_streak", "smith_streak", "smithers_fatigue"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ALL),
        ({"kind": "missed_dose_streak"}, ["jones_streak", "smith_streak"]),
        ({"kind": "worsening_symptom"}, ["smithers_fatigue"]),
        ({"priority": "high"}, ["jones_rash", "jones_streak"]),
        ({"priority": "normal", "kind": "missed_dose_streak"}, ["smith_streak"]),
        ({"patient": "smith_nausea"}, ["smith_nausea", "smith_streak"]),
        ({"patient": "jones_rash"}, ["jones_rash", "jones_streak"]),
        ({"patient": "jones_rash", "kind": "missed_dose_streak"}, ["jones_streak"]),
        ({"patient": "smithers_fatigue", "priority": "urgent"}, []),
        ({"kind": "severe_symptom", "priority": "normal"}, []),
    ],
)
def test_filters(nurse_browser, mixed_queue, filters, expected):
    """`patient` names one of mixed_queue's alerts: its patient's id is sent."""
    values = dict(filters)
    if "patient" in values:
        values["patient"] = str(mixed_queue[values["patient"]].patient_id)
    query = urlencode(values)
    response = nurse_browser.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    html = text(response)
    assert row_ids(html) == [str(mixed_queue[key].pk) for key in expected]
    # The rows partial applies the same filters.
    rows = nurse_browser.get(f"{ROWS}?{query}", headers=HTMX)
    assert row_ids(text(rows)) == [str(mixed_queue[key].pk) for key in expected]
    if query:
        assert '<a href="/dashboard/">Clear filters</a>' in html
        assert f"{len(expected)} match the filters" in html
    if not expected:
        assert "No unresolved alerts match these filters." in html


def test_patient_filter_lists_whoever_has_something_unresolved(
    nurse_browser, mixed_queue, care_team, other_care_team
):
    settled = person(care_team, "Sam Settled", "MRN-SETTLED")
    done = AlertFactory.create(patient=settled)
    Alert.objects.filter(pk=done.pk).update(status=AlertStatus.RESOLVED, resolved_at=NOW)
    AlertFactory.create(patient=person(other_care_team, "Olaf Other-Team", "MRN-OTHER"))
    jones = mixed_queue["jones_rash"].patient
    html = text(nurse_browser.get(f"{QUEUE}?patient={jones.pk}"))
    assert row_ids(html) == [str(mixed_queue["jones_rash"].pk), str(mixed_queue["jones_streak"].pk)]
    select = html.split('<select name="patient" id="id_patient">', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    by_id = {alert.patient.display_name: str(alert.patient_id) for alert in mixed_queue.values()}
    # Name order; only this team's patients with an unresolved alert; the chosen one selected.
    assert options == [
        ("", "", "Any patient"),
        (by_id["Al Smithers"], "", "Al Smithers (MRN-SMI-3)"),
        (by_id["Jane Smith"], "", "Jane Smith (MRN-SMITH-1)"),
        (by_id["Tom Jones"], " selected", "Tom Jones (MRN-JONES-2)"),
    ]
    assert "Sam Settled" not in html and "Olaf Other-Team" not in html
    # The refresh keeps the filter; no name is ever put in a URL (there is no name search).
    assert f'hx-get="/dashboard/alerts/rows/?patient={jones.pk}"' in html
    assert 'name="q"' not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("priority=bogus", "priority"),
        ("kind=headache", "kind"),
        ("patient=not-a-uuid", "patient"),
        ("page=0", "page"),
    ],
)
def test_bad_filters_are_400_naming_the_field(nurse_browser, mixed_queue, query, field):
    response = nurse_browser.get(f"{QUEUE}?{query}")
    assert response.status_code == 400
    html = text(response)
    assert f"<li><strong>{field}</strong>: " in html
    assert row_ids(html) == []  # nothing is listed under a filter that could not be read


def test_bad_filter_reason_is_readable(nurse_browser, mixed_queue):
    html = text(nurse_browser.get(f"{QUEUE}?priority=bogus&kind=rash_alert"))
    assert (
        "<li><strong>priority</strong>: Select a valid choice. bogus is not one of the "
        "available choices.</li>"
    ) in html
    assert "<li><strong>kind</strong>: " in html


def test_bad_filter_on_the_rows_partial_is_400_naming_the_field(nurse_browser, mixed_queue):
    """htmx swaps a 400 in (base.html's responseHandling), so the answer must say what was
    wrong and must not claim the queue is empty."""
    response = nurse_browser.get(f"{ROWS}?priority=bogus", headers=HTMX)
    assert response.status_code == 400
    html = text(response)
    assert "<strong>priority</strong>: " in html
    assert "No unresolved alerts" not in html


def test_pagination_keeps_the_filters(nurse_browser, care_team, settings):
    settings.DASHBOARD_PAGE_SIZE = 2
    alerts = [
        AlertFactory.create(
            patient=person(care_team, f"Paged {name}"), now=NOW - timedelta(minutes=10 - i)
        )
        for i, name in enumerate(["Ann", "Ben", "Cid"])
    ]
    first = text(nurse_browser.get(f"{QUEUE}?priority=high"))
    assert row_ids(first) == [str(alerts[0].pk), str(alerts[1].pk)]
    assert "Page 1 of 2" in first
    assert 'href="?priority=high&amp;page=2" rel="next"' in first
    second = text(nurse_browser.get(f"{QUEUE}?priority=high&page=2"))
    assert row_ids(second) == [str(alerts[2].pk)]
    assert 'href="?priority=high&amp;page=1" rel="prev"' in second
    # A page past the end shows the last page rather than an error.
    assert row_ids(text(nurse_browser.get(f"{QUEUE}?page=9"))) == [str(alerts[2].pk)]


def test_names_are_escaped(nurse_browser, care_team):
    AlertFactory.create(patient=person(care_team, '<img src=x onerror="alert(1)">Eve'))
    html = text(nurse_browser.get(QUEUE))
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Eve" in html
    assert "<img src=x" not in html


# ---------------------------------------------------------------- the title and the refresh


def test_title_counts_the_new_alerts(nurse_browser, care_team):
    alerts = [
        AlertFactory.create(patient=person(care_team, f"Title {n}")) for n in ("Ada", "Bo", "Cy")
    ]
    html = text(nurse_browser.get(QUEUE))
    assert title_of(html) == "(3) Alert queue · GIST adherence"
    assert "<strong>3</strong> new, <strong>3</strong> not yet resolved." in html

    nurse_browser.post(ack_url(alerts[0]))
    nurse_browser.post(resolve_url(alerts[1]), {"outcome": "other", "note": "Done"})
    html = text(nurse_browser.get(QUEUE))
    assert title_of(html) == "(1) Alert queue · GIST adherence"
    assert "<strong>1</strong> new, <strong>2</strong> not yet resolved." in html
    # A filter narrows the rows, not the counts.
    filtered = text(nurse_browser.get(f"{QUEUE}?patient={alerts[0].patient_id}"))
    assert title_of(filtered) == "(1) Alert queue · GIST adherence"
    assert "; 1 match the filters." in filtered

    nurse_browser.post(ack_url(alerts[2]))
    assert title_of(text(nurse_browser.get(QUEUE))) == "Alert queue · GIST adherence"


def test_refresh_partial_starts_with_the_title(nurse_browser, care_team):
    AlertFactory.create(patient=person(care_team, "Refresh Rita"))
    AlertFactory.create(patient=person(care_team, "Refresh Rolf"))
    response = nurse_browser.get(f"{ROWS}?priority=high", headers=HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.startswith("<title>")
    assert title_of(html) == "(2) Alert queue · GIST adherence"
    assert "<!doctype" not in html.lower() and "<body" not in html  # a fragment
    assert '<section id="alert-queue"' in html
    assert 'hx-get="/dashboard/alerts/rows/?priority=high"' in html
    assert 'hx-trigger="every 15s, alerts-changed from:body"' in html
    assert "Refresh Rita" in html and "Refresh Rolf" in html
    # Without htmx (a plain GET) the fragment carries no <title>.
    plain = text(nurse_browser.get(ROWS))
    assert "<title>" not in plain and '<section id="alert-queue"' in plain


def test_queue_page_polls_the_rows_partial(nurse_browser, settings):
    settings.DASHBOARD_POLL_SECONDS = 7
    html = text(nurse_browser.get(f"{QUEUE}?kind=rash"))
    assert 'hx-get="/dashboard/alerts/rows/?kind=rash"' not in html  # 400: kind is not a kind
    html = text(nurse_browser.get(f"{QUEUE}?kind=severe_symptom"))
    assert 'hx-get="/dashboard/alerts/rows/?kind=severe_symptom"' in html
    assert 'hx-trigger="every 7s, alerts-changed from:body"' in html
    assert "refreshes every 7 seconds" in html
    assert "No unresolved alerts match these filters." in html


# ---------------------------------------------------------------- acknowledge


def test_acknowledge_with_htmx_returns_the_row(nurse_browser, nurse, patient):
    alert = AlertFactory.create(patient=patient, priority="urgent")
    response = nurse_browser.post(ack_url(alert), headers=HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith(f'<tr id="alert-{alert.pk}"')
    assert "status-acknowledged" in html
    assert '<span class="status-text">Acknowledged</span>' in html
    assert f"by {nurse.username}" in html
    assert "Acknowledge</button>" not in html  # done: only "Resolve…" is left
    assert f'hx-get="{resolve_url(alert)}"' in html
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_at == NOW
    assert alert.acknowledged_by == nurse
    assert (
        AuditEvent.objects.filter(action="alert.acknowledge", actor=nurse, patient=patient).count()
        == 1
    )


def test_acknowledging_again_keeps_the_first(browser, nurse, care_team, patient):
    alert = AlertFactory.create(patient=patient)
    browser(nurse).post(ack_url(alert), headers=HTMX)
    colleague = StaffFactory(role="nurse", care_teams=[care_team])
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        response = browser(colleague).post(ack_url(alert), headers=HTMX)
    assert response.status_code == 200
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (nurse, NOW)
    assert f"by {nurse.username}" in text(response)


def test_acknowledge_without_htmx_redirects_to_the_queue(nurse_browser, nurse, patient):
    alert = AlertFactory.create(patient=patient)
    response = nurse_browser.post(ack_url(alert))
    assert response.status_code == 302 and response["Location"] == QUEUE
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == nurse


def test_acknowledging_a_resolved_alert_is_409(nurse_browser, nurse, patient):
    alert = AlertFactory.create(patient=patient)
    nurse_browser.post(resolve_url(alert), {"outcome": "other", "note": "Phoned"})
    response = nurse_browser.post(ack_url(alert), headers=HTMX)
    assert response.status_code == 409
    assert "This alert is already resolved." in text(response)
    assert nurse_browser.post(ack_url(alert)).status_code == 302  # plain form: back to queue
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_acknowledge_and_resolve_only_accept_their_methods(nurse_browser, patient):
    alert = AlertFactory.create(patient=patient)
    assert nurse_browser.get(ack_url(alert)).status_code == 405
    put = nurse_browser.put(resolve_url(alert))
    assert put.status_code == 405 and put["Allow"] == "GET, POST"
    assert nurse_browser.post(QUEUE).status_code == 405
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


# ---------------------------------------------------------------- resolve


def test_resolve_form_as_fragment_or_page(nurse_browser, patient):
    alert = AlertFactory.create(patient=patient)
    fragment = text(nurse_browser.get(resolve_url(alert), headers=HTMX))
    assert fragment.startswith('<div class="panel">')
    assert f"Resolve: {patient.display_name}" in fragment
    assert 'name="csrfmiddlewaretoken"' in fragment
    page = text(nurse_browser.get(resolve_url(alert)))
    assert page.startswith("<!doctype html>")
    assert f"Resolve: {patient.display_name}" in page


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"outcome": "dose_held"}, "note", "This field is required."),
        ({"outcome": "dose_held", "note": "   "}, "note", "This field is required."),
        ({"outcome": "cured", "note": "x"}, "outcome", "Select a valid choice."),
        ({"note": "Called"}, "outcome", "This field is required."),
        ({"outcome": "other", "note": "x" * 2001}, "note", "at most 2000 characters"),
    ],
)
def test_resolve_with_htmx_refuses_an_incomplete_form_with_422(
    nurse_browser, patient, body, field, reason
):
    alert = AlertFactory.create(patient=patient)
    response = nurse_browser.post(resolve_url(alert), body, headers=HTMX)
    assert response.status_code == 422
    assert "HX-Trigger" not in response
    html = text(response)
    errors = re.findall(r'<p class="field-error">(.*?)</p>', html)
    assert len(errors) == 1 and reason in errors[0]
    # The error sits under its own field.
    field_block = html.split(f'for="id_{field}"', 1)[1].split('<div class="field">')[0]
    assert reason in field_block
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert (alert.resolved_at, alert.resolution_note, alert.resolution_outcome) == (None, "", "")


def test_resolve_with_htmx(nurse_browser, nurse, patient):
    alert = AlertFactory.create(patient=patient)
    response = nurse_browser.post(
        resolve_url(alert),
        {"outcome": "dose_held", "note": "  Held 3 days, review Friday.  "},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "alerts-changed"
    assert f"Resolved the alert for {patient.display_name} (dose held)." in text(response)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_outcome == "dose_held"
    assert alert.resolution_note == "Held 3 days, review Friday."
    assert alert.resolved_by == nurse and alert.resolved_at == NOW
    # Never acknowledged before: resolving counts as seeing it.
    assert alert.acknowledged_by == nurse and alert.acknowledged_at == NOW
    event = AuditEvent.objects.get(action="alert.resolve")
    assert (event.actor, event.patient, event.detail["outcome"]) == (nurse, patient, "dose_held")
    # The queue no longer lists it.
    assert row_ids(text(nurse_browser.get(QUEUE))) == []


def test_resolving_twice_is_409_and_keeps_the_first(browser, nurse, care_team, patient):
    alert = AlertFactory.create(patient=patient)
    first = browser(nurse).post(
        resolve_url(alert), {"outcome": "contacted_patient", "note": "Phoned"}, headers=HTMX
    )
    assert first.status_code == 200
    colleague = StaffFactory(role="nurse", care_teams=[care_team])
    second = browser(colleague).post(
        resolve_url(alert), {"outcome": "other", "note": "Me too"}, headers=HTMX
    )
    assert second.status_code == 409
    assert "HX-Trigger" not in second
    assert "This alert is already resolved." in text(second)
    plain = browser(colleague).post(resolve_url(alert), {"outcome": "other", "note": "Me too"})
    assert plain.status_code == 409
    alert.refresh_from_db()
    assert (alert.resolved_by, alert.resolution_outcome, alert.resolution_note) == (
        nurse,
        "contacted_patient",
        "Phoned",
    )
    assert AuditEvent.objects.filter(action="alert.resolve").count() == 1


def test_resolve_without_htmx_redirects(nurse_browser, nurse, patient):
    alert = AlertFactory.create(patient=patient)
    refused = nurse_browser.post(resolve_url(alert), {"outcome": "other"})
    assert refused.status_code == 422
    assert text(refused).startswith("<!doctype html>")  # the whole page, with the error
    response = nurse_browser.post(resolve_url(alert), {"outcome": "other", "note": "Seen"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_by == nurse


# ---------------------------------------------------------------- queries and audit


def team_with_alerts(count: int) -> tuple[object, list[Alert]]:
    """A team and its nurse, with `count` unresolved alerts spread over count // 3 patients
    (three symptoms each), mixed priorities, some acknowledged."""
    team = CareTeamFactory(name=f"Queue team of {count}")
    nurse = StaffFactory(role="nurse", care_teams=[team])
    alerts = []
    symptoms = ("nausea", "rash", "fatigue")
    priorities = ("urgent", "high", "normal")
    for index in range(count // 3):
        patient = activated_patient(care_team=team)
        for offset, symptom in enumerate(symptoms):
            alerts.append(
                AlertFactory.create(
                    patient=patient,
                    priority=priorities[(index + offset) % 3],
                    symptom=symptom,
                    now=NOW - timedelta(minutes=index * 3 + offset),
                )
            )
    for alert in alerts[::4]:
        Alert.objects.filter(pk=alert.pk).update(
            status=AlertStatus.ACKNOWLEDGED, acknowledged_at=NOW, acknowledged_by=nurse
        )
    return nurse, alerts


# Measured on SQLite and PostgreSQL, counting the statements ATOMIC_REQUESTS (savepoint and
# release) and the session save (savepoint, update, release) add. The page: session, user,
# the counts (all, new, matching the filters: one query), one page of rows, the patient
# filter's options, one audit insert.
QUEUE_PAGE_QUERIES = 11 + AUDIT_CHAIN_QUERIES
# The page again within the audit interval: no audit insert and no session save.
QUEUE_PAGE_REFRESH_QUERIES = 7
# The rows partial (the page's periodic refresh): as the page, without the patient options.
ROWS_QUERIES = 10 + AUDIT_CHAIN_QUERIES
ROWS_REFRESH_QUERIES = 6


def test_queue_queries_do_not_grow_with_the_queue(browser):
    counts = {}
    for size in (3, 60):
        nurse, _ = team_with_alerts(size)
        assert Alert.objects.filter(patient__care_team__members=nurse).count() == size
        client = browser(nurse)
        page, page_first = queries_of(lambda client=client: client.get(QUEUE))
        shown = len(row_ids(text(page)))
        _, page_again = queries_of(lambda client=client: client.get(QUEUE))
        _, rows_again = queries_of(lambda client=client: client.get(ROWS, headers=HTMX))
        other = browser(nurse)  # a new session audits again, through the partial
        _, rows_first = queries_of(lambda other=other: other.get(ROWS, headers=HTMX))
        counts[size] = (shown, page_first, page_again, rows_first, rows_again)
    assert counts[3][0] == 3 and counts[60][0] == 50  # one page of DASHBOARD_PAGE_SIZE
    assert counts[3][1:] == counts[60][1:]
    assert counts[3][1:] == (
        QUEUE_PAGE_QUERIES,
        QUEUE_PAGE_REFRESH_QUERIES,
        ROWS_QUERIES,
        ROWS_REFRESH_QUERIES,
    )


def test_viewing_the_queue_audits_each_patient_shown_once(browser, nurse, care_team):
    two_alerts = person(care_team, "Audit Anna")
    one_alert = person(care_team, "Audit Ben")
    resolved_only = person(care_team, "Audit Carl")
    AlertFactory.create(patient=two_alerts, symptom="nausea")
    AlertFactory.create(patient=two_alerts, symptom="rash")
    AlertFactory.create(patient=one_alert, priority="urgent")
    gone = AlertFactory.create(patient=resolved_only)
    Alert.objects.filter(pk=gone.pk).update(status=AlertStatus.RESOLVED, resolved_at=NOW)

    def queue_events():
        return AuditEvent.objects.filter(action="dashboard.alert_queue")

    client = browser(nurse, HTTP_USER_AGENT="QueueTest/1.0", REMOTE_ADDR="10.1.2.3")
    assert client.get(QUEUE).status_code == 200
    events = list(queue_events())
    assert sorted(event.patient_id for event in events) == sorted([two_alerts.pk, one_alert.pk])
    for event in events:
        assert (event.actor, event.actor_username, event.actor_role) == (
            nurse,
            nurse.username,
            "nurse",
        )
        assert (event.ip_address, event.user_agent) == ("10.1.2.3", "QueueTest/1.0")

    # The page refreshes itself every few seconds: no new events for the same patients.
    assert client.get(ROWS, headers=HTMX).status_code == 200
    assert client.get(QUEUE).status_code == 200
    assert queue_events().count() == 2

    # A patient newly in the queue is audited at once; the others are not again.
    AlertFactory.create(patient=resolved_only, priority="high", symptom="fatigue")
    client.get(ROWS, headers=HTMX)
    assert queue_events().count() == 3
    assert queue_events().filter(patient=resolved_only).count() == 1

    # Once the interval has passed, a refresh audits what it shows again.
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        client.get(f"{ROWS}?patient={two_alerts.pk}", headers=HTMX)
    assert queue_events().count() == 4
    assert queue_events().filter(patient=two_alerts).count() == 2


def test_an_invalid_filter_audits_nothing(nurse_browser, patient):
    AlertFactory.create(patient=patient)
    assert nurse_browser.get(f"{QUEUE}?priority=bogus").status_code == 400
    assert not AuditEvent.objects.filter(action="dashboard.alert_queue").exists()

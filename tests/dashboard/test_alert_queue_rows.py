"""What each row of the nurse's alert queue shows and offers, for a fixed set of alerts that
covers every kind of row (open and counting down to escalation, escalated, acknowledged with a
call requested and full advice, a red flag of a patient without the app and with markup in
the name): the visible text of each cell, every link, form and button with its attributes,
in English and with a Spanish browser. The queue page, its refresh and a row's htmx answer
show the same row. The page is built for speed (docs/performance.md, "Alert queue page"): this
holds what it shows while how it is built changes."""

import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

from backend.accounts.models import Patient
from backend.alerts.models import Alert, AlertStatus
from backend.dashboard.presenters import instant_iso, instant_words
from backend.guidelines.advice import Advice
from tests.dashboard.conftest import HTMX, NOW, text
from tests.factories.accounts import PatientFactory, activated_patient
from tests.factories.alerts import AlertFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

QUEUE = "/dashboard/"
ROWS = "/dashboard/alerts/rows/"
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')
# The attributes of these elements are what a row links to, sends, and says to a screen reader.
INTERACTIVE = {"tr", "a", "form", "button", "input", "time", "span", "ul", "li", "cite", "p"}


class _Row(HTMLParser):
    """One <tr>: each cell's visible text (whitespace collapsed), and the start tags of
    INTERACTIVE elements with their attributes (the CSRF token's value left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self._cell = []
        if tag in INTERACTIVE:
            values = dict(attrs)
            if values.get("name") == "csrfmiddlewaretoken":
                values["value"] = "(token)"
            self.tags.append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rows_of(html: str) -> dict[str, _Row]:
    """Each row of the queue by its alert id."""
    found = {}
    for match in re.finditer(r'<tr id="alert-([0-9a-f-]{36})".*?</tr>', html, re.DOTALL):
        parser = _Row()
        parser.feed(match.group(0))
        parser.close()
        found[match.group(1)] = parser
    return found


def patient(care_team, name: str, mrn: str, *, app: bool = True) -> Patient:
    if app:
        return activated_patient(care_team=care_team, display_name=name, medical_record_number=mrn)
    return PatientFactory.create(care_team=care_team, display_name=name, medical_record_number=mrn)


# Advice as the alerts service stores it, with every part a row shows.
FULL_ADVICE = asdict(
    Advice(
        text="Supportive measures: take imatinib with a meal. [DESIGN convention, not a "
        "clinical fact]",
        rule="advice.patient_reported",
        sources=("S3", "S16"),
        status="DESIGN",
        flags=("unconfirmed_rule:toxicity.below_300",),
        actions=("supportive_care", "call_patient"),
        basis="patient_reported",
    )
)


@pytest.fixture
def queue(care_team, nurse) -> dict[str, Alert]:
    """Four alerts, one of each kind of row, in queue order: escalated first, then urgent,
    then normal."""
    counting_down = AlertFactory.create(
        patient=patient(care_team, "Ana Urgent", "MRN-A"),
        priority="urgent",
        symptom="nausea",
        now=NOW - timedelta(minutes=10),
    )
    escalated = AlertFactory.create(
        patient=patient(care_team, "Ben Escalated", "MRN-B"),
        priority="high",
        symptom="rash",
        now=NOW - timedelta(hours=5, minutes=3),
    )
    Alert.objects.filter(pk=escalated.pk).update(escalated_at=NOW - timedelta(hours=1))
    acknowledged = AlertFactory.create(
        patient=patient(care_team, "Cat Acknowledged", "MRN-C"),
        priority="normal",
        kind="missed_dose_streak",
        symptom="",
        summary="missed 3 days in a row",
        now=NOW - timedelta(days=60, hours=3),  # April: "Apr", "Abr"
    )
    Alert.objects.filter(pk=acknowledged.pk).update(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=NOW - timedelta(minutes=20),
        acknowledged_by=nurse,
        call_requested_at=NOW - timedelta(minutes=5),
        call_requested_by=nurse,
        occurrences=3,
        advice=FULL_ADVICE,
    )
    red_flag = AlertFactory.create(
        patient=patient(care_team, "Dan <b>No-App</b> & Co", "MRN-D", app=False),
        priority="normal",
        kind="red_flag",
        symptom="black_stools",
        summary="red flag: black stools",
        now=NOW - timedelta(minutes=90),
    )
    Alert.objects.filter(pk=red_flag.pk).update(
        advice={"text": "Urgent review.", "rule": "advice.red_flag", "sources": ["S1"]}
    )
    return {
        "escalated": escalated,
        "counting_down": counting_down,
        "acknowledged": acknowledged,
        "red_flag": red_flag,
    }


def expected_cells(nurse, *, spanish: bool) -> dict[str, list[str]]:
    """Visible text of each cell. A Spanish browser gets Django's Spanish for the elapsed
    times (the rest of the dashboard is in English)."""
    ago = {
        "10m": "10 minutos" if spanish else "10 minutes",
        "5h": "5 horas, 3 minutos" if spanish else "5 hours, 3 minutes",
        "60d": "1 mes, 4 semanas" if spanish else "1 month, 4 weeks",
        "20m": "20 minutos" if spanish else "20 minutes",
        "5m": "5 minutos" if spanish else "5 minutes",
        "90m": "1 hora, 30 minutos" if spanish else "1 hour, 30 minutes",
    }
    return {
        "escalated": [
            "High ▲ Escalated",
            "Ben Escalated MRN-B",
            "Severe symptom: rash: high Details",
            f"{ago['5h']} ago",
            "None",
            "New",
            "Acknowledge Ask to call Resolve…",
        ],
        "counting_down": [
            "Urgent Escalates in 50 min unless acknowledged",
            "Ana Urgent MRN-A",
            "Severe symptom: nausea: urgent Details",
            f"{ago['10m']} ago",
            "None",
            "New",
            "Acknowledge Ask to call Resolve…",
        ],
        "acknowledged": [
            "Normal",
            "Cat Acknowledged MRN-C",
            "Missed-dose streak: missed 3 days in a row (seen 3 times) Details",
            f"{ago['60d']} ago",
            # The two actions are list items (no space between them in the text).
            "Supportive care for the symptomCall the patient Advice Based on the patient's "
            "answers (not a CTCAE grade) Supportive measures: take imatinib with a meal. "
            "not confirmed by a primary sourcea product convention, not a clinical fact "
            "Sources: Novartis product information for health-care professionals (gleevec.com "
            "and glivec.com adjuvant and safety pages); NCI Common Terminology Criteria for "
            "Adverse Events (CTCAE) v5.0, NCI/CTEP, 27 Nov 2017",
            f"Acknowledged by {nurse.username}, {ago['20m']} ago "
            f"Asked the patient to call, {ago['5m']} ago",
            "Ask to call Resolve…",
        ],
        "red_flag": [
            "Normal",
            "Dan <b>No-App</b> & Co MRN-D",
            "⚑ Red flag Red-flag symptom: red flag: black stools Details",
            f"{ago['90m']} ago",
            "Advice Urgent review. Sources: Gleevec (imatinib) US Prescribing Information, "
            "Novartis",
            "New",
            "Acknowledge Resolve…",
        ],
    }


Tag = tuple[str, dict[str, str | None]]


def actions(alert: Alert, name: str, *, acknowledge: bool, ask_to_call: bool) -> list[Tag]:
    """The row's buttons: each a plain form (or link) and its htmx twin, labelled by patient."""
    url = f"/dashboard/alerts/{alert.pk}/"
    tags: list[Tag] = []
    for shown, action, label, button_class in (
        (acknowledge, "acknowledge", f"Acknowledge the alert for {name}", None),
        (ask_to_call, "ask-to-call", f"Ask {name} to call", "button-secondary"),
    ):
        if not shown:
            continue
        tags.append(
            (
                "form",
                {
                    "method": "post",
                    "action": f"{url}{action}/",
                    "hx-post": f"{url}{action}/",
                    "hx-target": "closest tr",
                    "hx-swap": "outerHTML",
                },
            )
        )
        tags.append(
            ("input", {"type": "hidden", "name": "csrfmiddlewaretoken", "value": "(token)"})
        )
        button: dict[str, str | None] = {"type": "submit", "aria-label": label}
        tags.append(
            ("button", button if button_class is None else {**button, "class": button_class})
        )
    tags.append(
        (
            "a",
            {
                "class": "button button-secondary",
                "href": f"{url}resolve/",
                "hx-get": f"{url}resolve/",
                "hx-target": "#side-panel",
                "aria-label": f"Resolve the alert for {name}",
            },
        )
    )
    return tags


def head(alert: Alert, status: str, priority: str) -> list[Tag]:
    """The row itself and its priority badge."""
    return [
        (
            "tr",
            {"id": f"alert-{alert.pk}", "class": f"alert-row priority-{priority} status-{status}"},
        ),
        ("span", {"class": f"badge badge-{priority}"}),
    ]


def patient_and_details(alert: Alert, name: str, *, red_flag: bool = False) -> list[Tag]:
    """The patient's link and record number, the red-flag badge, the link to the details."""
    badge: list[Tag] = [("span", {"class": "badge badge-red-flag"})] if red_flag else []
    return [
        ("a", {"href": f"/dashboard/patients/{alert.patient_id}/"}),
        ("span", {"class": "muted"}),
        *badge,
        (
            "a",
            {
                "href": f"/dashboard/alerts/{alert.pk}/",
                "aria-label": f"Details of the alert for {name}",
            },
        ),
    ]


def expected_tags(queue: dict[str, Alert], *, spanish: bool) -> dict[str, list[Tag]]:
    """Links, forms and labels of each row."""
    april = "Abr" if spanish else "Apr"
    escalated, counting_down = queue["escalated"], queue["counting_down"]
    acknowledged, red_flag = queue["acknowledged"], queue["red_flag"]
    red_flag_name = "Dan <b>No-App</b> & Co"
    return {
        "escalated": [
            *head(escalated, "open", "high"),
            (
                "span",
                {
                    "class": "badge badge-escalated",
                    "title": "Escalated to the whole care team at 20 Jun 06:00 UTC",
                },
            ),
            *patient_and_details(escalated, "Ben Escalated"),
            ("time", {"datetime": "2025-06-20T01:57:00+00:00", "title": "20 Jun 2025 01:57 UTC"}),
            ("span", {"class": "muted"}),
            ("span", {"class": "status-text"}),
            *actions(escalated, "Ben Escalated", acknowledge=True, ask_to_call=True),
        ],
        "counting_down": [
            *head(counting_down, "open", "urgent"),
            ("p", {"class": "escalation-due"}),
            ("time", {"datetime": "2025-06-20T07:50:00+00:00"}),
            ("span", {"class": "muted"}),
            *patient_and_details(counting_down, "Ana Urgent"),
            ("time", {"datetime": "2025-06-20T06:50:00+00:00", "title": "20 Jun 2025 06:50 UTC"}),
            ("span", {"class": "muted"}),
            ("span", {"class": "status-text"}),
            *actions(counting_down, "Ana Urgent", acknowledge=True, ask_to_call=True),
        ],
        "acknowledged": [
            *head(acknowledged, "acknowledged", "normal"),
            ("a", {"href": f"/dashboard/patients/{acknowledged.patient_id}/"}),
            ("span", {"class": "muted"}),
            ("span", {"class": "muted"}),  # seen 3 times
            (
                "a",
                {
                    "href": f"/dashboard/alerts/{acknowledged.pk}/",
                    "aria-label": "Details of the alert for Cat Acknowledged",
                },
            ),
            (
                "time",
                {"datetime": "2025-04-21T04:00:00+00:00", "title": f"21 {april} 2025 04:00 UTC"},
            ),
            ("ul", {"class": "advice-actions", "aria-label": "Advised actions"}),
            ("li", {"data-action": "supportive_care"}),
            ("li", {"data-action": "call_patient"}),
            ("p", {"class": "muted basis"}),
            ("p", {}),
            ("ul", {"class": "flag-list", "aria-label": "About this advice"}),
            ("li", {}),
            ("span", {"class": "badge badge-status", "title": "Rule: toxicity.below_300"}),
            ("li", {}),
            ("span", {"class": "badge badge-status", "title": "Rule: advice.patient_reported"}),
            ("p", {"class": "muted"}),
            ("cite", {"title": "S3"}),
            (
                "cite",
                {
                    "title": "S16: Read in a secondary copy (a transcription of the NCI "
                    "spreadsheet, cross-checked); re-verify against the primary."
                },
            ),
            ("span", {"class": "status-text"}),
            ("span", {"class": "muted"}),
            ("p", {"class": "muted"}),
            *actions(acknowledged, "Cat Acknowledged", acknowledge=False, ask_to_call=True),
        ],
        "red_flag": [
            *head(red_flag, "open", "normal"),
            *patient_and_details(red_flag, red_flag_name, red_flag=True),
            ("time", {"datetime": "2025-06-20T05:30:00+00:00", "title": "20 Jun 2025 05:30 UTC"}),
            ("p", {}),
            ("p", {"class": "muted"}),
            (
                "cite",
                {
                    "title": "S1: Read in a secondary copy (the label text on a third-party "
                    "site), not on DailyMed; re-verify against the primary."
                },
            ),
            ("span", {"class": "status-text"}),
            *actions(red_flag, red_flag_name, acknowledge=True, ask_to_call=False),
        ],
    }


def assert_rows(html: str, queue: dict[str, Alert], nurse, *, spanish: bool) -> None:
    rows = rows_of(html)
    assert list(rows) == [str(queue[key].pk) for key in queue]  # queue order
    cells = expected_cells(nurse, spanish=spanish)
    tags = expected_tags(queue, spanish=spanish)
    for key, alert in queue.items():
        row = rows[str(alert.pk)]
        assert row.cells == cells[key], key
        assert row.tags == tags[key], key


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_row_shows_and_offers_the_same(nurse, browser, queue, language):
    client = browser(nurse, HTTP_ACCEPT_LANGUAGE=language)
    page = text(client.get(QUEUE))
    assert_rows(page, queue, nurse, spanish=language == "es")
    # The markup in a name is text, everywhere it is used (the link and every label).
    assert page.count("Dan &lt;b&gt;No-App&lt;/b&gt; &amp; Co") == 5
    assert "<b>No-App</b>" not in page
    # One token for the page's forms, in every row's forms.
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1
    refreshed = text(client.get(ROWS, headers=HTMX))
    assert_rows(refreshed, queue, nurse, spanish=language == "es")


def test_a_rows_htmx_answer_is_the_same_row(nurse, browser, queue):
    """Asking Ana to call answers with her row as the queue then shows it: acknowledged by the
    nurse who asked (no countdown, no Acknowledge button), with the request under the status."""
    client = browser(nurse)
    alert = queue["counting_down"]
    response = client.post(f"/dashboard/alerts/{alert.pk}/ask-to-call/", headers=HTMX)
    assert response.status_code == 200
    row = rows_of(text(response))[str(alert.pk)]
    assert row.cells == [
        "Urgent",
        "Ana Urgent MRN-A",
        "Severe symptom: nausea: urgent Details",
        "10 minutes ago",
        "None",
        f"Acknowledged by {nurse.username}, 0 minutes ago Asked the patient to call, 0 minutes ago",
        "Ask to call Resolve…",
    ]
    assert row.tags == [
        (
            "tr",
            {"id": f"alert-{alert.pk}", "class": "alert-row priority-urgent status-acknowledged"},
        ),
        ("span", {"class": "badge badge-urgent"}),
        *patient_and_details(alert, "Ana Urgent"),
        ("time", {"datetime": "2025-06-20T06:50:00+00:00", "title": "20 Jun 2025 06:50 UTC"}),
        ("span", {"class": "muted"}),
        ("span", {"class": "status-text"}),
        ("span", {"class": "muted"}),
        ("p", {"class": "muted"}),
        *actions(alert, "Ana Urgent", acknowledge=False, ask_to_call=True),
    ]
    # The same row on the queue page.
    page_row = rows_of(text(client.get(QUEUE)))[str(alert.pk)]
    assert (page_row.cells, page_row.tags) == (row.cells, row.tags)


def test_a_rows_conflict_is_said_on_the_row(nurse, browser, queue):
    client = browser(nurse)
    alert = queue["red_flag"]
    response = client.post(f"/dashboard/alerts/{alert.pk}/ask-to-call/", headers=HTMX)
    assert response.status_code == 409
    row = rows_of(text(response))[str(alert.pk)]
    assert row.cells[5] == "New The patient has not activated the app: phone them."
    assert ("p", {"class": "field-error", "role": "alert"}) in row.tags


INSTANTS = [
    datetime(2025, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2025, 3, 30, 0, 59, 59, 999999, tzinfo=UTC),  # Madrid's clocks go forward at 01:00
    datetime(2025, 4, 9, 23, 5, 7, 120000, tzinfo=UTC),
    datetime(2025, 10, 26, 1, 30, tzinfo=UTC),  # Madrid's repeated hour
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
]


@pytest.mark.parametrize("language", ["en", "es", "de"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Madrid", "America/New_York"])
def test_a_rows_instants_are_written_as_the_date_filter_writes_them(language, zone):
    """The rows write their instants in Python (dashboard.presenters) rather than with the
    template's `date` filter: the same text in every language and current time zone."""
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        for moment in INSTANTS:
            assert instant_iso(moment) == date_filter(template_localtime(moment), "c")
            assert instant_words(moment) == date_filter(template_localtime(moment), "j M Y H:i")
            assert instant_words(moment, year=False) == date_filter(
                template_localtime(moment), "j M H:i"
            )

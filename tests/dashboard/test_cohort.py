"""The coordinator's cohort: only their teams' patients, PDC figures equal to
patient_adherence's, sorting, the band and plan-end filters, pages, refusals, the audit trail
and a fixed number of queries however many patients there are."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from backend.adherence.models import DoseStatus, TreatmentPlan
from backend.adherence.selectors.doses import patient_adherence
from backend.alerts.models import AlertStatus
from backend.audit.models import AuditEvent
from tests.dashboard.conftest import (
    AUDIT_CHAIN_QUERIES,
    TODAY,
    dose_history,
    queries_of,
    text,
)
from tests.factories.accounts import CareTeamFactory, StaffFactory, activated_patient
from tests.factories.alerts import AlertFactory
from tests.factories.plans import TreatmentPlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

COHORT = "/dashboard/cohort/"
TAKEN, MISSED = DoseStatus.TAKEN, DoseStatus.MISSED
BAND_WORDS = {
    "adherent": "adherent",
    "suboptimal": "sub-optimal",
    "non_adherent": "non-adherent",
    None: "no figure yet",
}


@dataclass(frozen=True)
class Row:
    patient_id: str
    name: str
    cells: dict[str, str]  # data-label -> text of the cell, tags and extra spaces removed
    html: dict[str, str]  # data-label -> inner HTML


def cohort_rows(html: str) -> list[Row]:
    if '<table class="cohort">' not in html:
        return []
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for block in body.split("<tr>")[1:]:
        link = re.search(r'<a href="/dashboard/patients/([0-9a-f-]{36})/">([^<]*)</a>', block)
        assert link, block
        inner = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', block, re.DOTALL))
        cells = {
            label: " ".join(re.sub(r"<[^>]+>", " ", value).split())
            for label, value in inner.items()
        }
        rows.append(Row(link.group(1), link.group(2), cells, inner))
    return rows


def names(html: str) -> list[str]:
    return [row.name for row in cohort_rows(html)]


def pdc_cell(metrics) -> str:
    percent = metrics.pdc.percent
    figure = "—" if percent is None else f"{percent:g} %"
    return f"{figure} {BAND_WORDS[metrics.pdc.band]}"


def enrol(by, care_team, name: str, days: int | None, statuses=()):
    """A patient `days` days into a once-daily plan (None: no plan), with one log per day
    ending yesterday."""
    patient = activated_patient(care_team=care_team, display_name=name)
    if days is not None:
        plan = TreatmentPlanFactory.create(
            patient=patient, created_by=by, start_date=TODAY - timedelta(days=days - 1)
        )
        if statuses:
            dose_history(plan, statuses, last=TODAY - timedelta(days=1))
    return patient


@pytest.fixture
def cohort(nurse, care_team, other_care_team):
    """Five patients of the team, and one of another team who must never appear."""
    sixty_days = [TAKEN] * 59
    for day in (35, 40, 45, 50):  # all in the last 30 days
        sixty_days[day] = MISSED
    people = {
        "ada": enrol(nurse, care_team, "Ada Adherent", 40, [TAKEN] * 39),
        "ben": enrol(nurse, care_team, "ben Borderline", 60, sixty_days),
        "cy": enrol(nurse, care_team, "Cy Careless", 20, [TAKEN] * 9 + [MISSED] * 10),
        "dee": enrol(nurse, care_team, "Dee Newcomer", 1),
        "eve": enrol(nurse, care_team, "Eve Noplan", None),
    }
    stranger = enrol(nurse, other_care_team, "Zed Stranger", 30, [MISSED] * 29)
    AlertFactory.create(patient=stranger, priority="urgent")
    AlertFactory.create(
        patient=people["cy"], priority="normal", kind="missed_dose_streak", symptom=""
    )
    AlertFactory.create(patient=people["cy"], priority="high", symptom="nausea")
    AlertFactory.create(patient=people["ben"], priority="normal", symptom="fatigue")
    gone = AlertFactory.create(patient=people["ada"], priority="high", symptom="rash")
    type(gone).objects.filter(pk=gone.pk).update(status=AlertStatus.RESOLVED)
    return people


def test_rows_of_own_teams_with_patient_adherence_figures(coordinator_browser, cohort):
    response = coordinator_browser.get(COHORT)
    assert response.status_code == 200
    html = text(response)
    rows = {row.name: row for row in cohort_rows(html)}
    assert list(rows) == [
        "Ada Adherent",
        "ben Borderline",  # names sort without regard to case
        "Cy Careless",
        "Dee Newcomer",
        "Eve Noplan",
    ]
    assert "Zed Stranger" not in html
    assert "5 of 5 patients." in html
    for patient in cohort.values():
        row = rows[patient.display_name]
        assert row.patient_id == str(patient.pk)
        pdc_30 = patient_adherence(patient, TODAY - timedelta(days=29), TODAY)
        pdc_90 = patient_adherence(patient, TODAY - timedelta(days=89), TODAY)
        assert row.cells["PDC 30 days"] == pdc_cell(pdc_30), patient.display_name
        assert row.cells["PDC 90 days"] == pdc_cell(pdc_90), patient.display_name
        streak = pdc_90.current_missed_streak
        assert row.cells["Current missed streak"] == f"{streak} day{'s' if streak != 1 else ''}"
    # The figures themselves, so a shared mistake in both would still show.
    assert rows["Ada Adherent"].cells["PDC 90 days"] == "100 % adherent"
    assert rows["ben Borderline"].cells["PDC 30 days"] == "86.21 % sub-optimal"  # 25/29
    assert rows["ben Borderline"].cells["PDC 90 days"] == "93.22 % adherent"  # 55/59
    assert rows["Cy Careless"].cells["PDC 30 days"] == "47.37 % non-adherent"  # 9/19
    assert rows["Cy Careless"].cells["Current missed streak"] == "10 days"
    assert rows["Dee Newcomer"].cells["PDC 90 days"] == "— no figure yet"
    assert rows["Eve Noplan"].cells["PDC 90 days"] == "— no figure yet"
    # Open alerts (the resolved one does not count) link to the patient's queue.
    cy = rows["Cy Careless"]
    assert cy.html["Open alerts"] == f'<a href="/dashboard/?patient={cohort["cy"].pk}">2</a>'
    assert rows["Ada Adherent"].cells["Open alerts"] == "0"
    # Plan end and days on drug come from the current plan.
    ada_plan = TreatmentPlan.objects.get(patient=cohort["ada"])
    assert rows["Ada Adherent"].cells["Plan end date"] == (
        f"{ada_plan.planned_end_date.day} {ada_plan.planned_end_date:%b %Y}"
    )
    assert rows["Ada Adherent"].cells["Days on drug"] == "40"
    assert rows["Eve Noplan"].cells["Plan end date"] == "no plan"
    assert rows["Eve Noplan"].cells["Days on drug"] == "—"


def test_admin_and_multi_team_staff_see_more(
    browser, admin_user, care_team, other_care_team, cohort
):
    assert "Zed Stranger" in names(text(browser(admin_user).get(COHORT)))
    both = StaffFactory(role="coordinator", care_teams=[care_team, other_care_team])
    client = browser(both)
    html = text(client.get(COHORT))
    assert len(names(html)) == 6
    assert '<option value="">All my teams</option>' in html
    only_other = text(client.get(f"{COHORT}?care_team={other_care_team.pk}"))
    assert names(only_other) == ["Zed Stranger"]
    assert "1 of 1 patients." in only_other


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=name", ["Ada", "ben", "Cy", "Dee", "Eve"]),
        ("sort=name&order=desc", ["Eve", "Dee", "Cy", "ben", "Ada"]),
        # No figure yet stays last in either direction (then by name, as read).
        ("sort=pdc_90", ["Cy", "ben", "Ada", "Dee", "Eve"]),
        ("sort=pdc_90&order=asc", ["Cy", "ben", "Ada", "Dee", "Eve"]),
        ("sort=pdc_90&order=desc", ["Ada", "ben", "Cy", "Dee", "Eve"]),
        ("sort=pdc_30&order=desc", ["Ada", "ben", "Cy", "Dee", "Eve"]),
        ("sort=open_alerts&order=desc", ["Cy", "ben", "Ada", "Dee", "Eve"]),
        ("sort=days_on_drug", ["Dee", "Cy", "Ada", "ben", "Eve"]),
    ],
)
def test_sorting(coordinator_browser, cohort, query, expected):
    html = text(coordinator_browser.get(f"{COHORT}?{query}"))
    assert [name.split()[0] for name in names(html)] == expected


def test_sorting_by_streak(coordinator_browser, cohort):
    """Only Cy has a current streak; the others tie at 0 (their order among themselves is the
    database's, so it is not asserted)."""
    desc = [
        name.split()[0]
        for name in names(text(coordinator_browser.get(f"{COHORT}?sort=streak&order=desc")))
    ]
    assert desc[0] == "Cy" and sorted(desc[1:]) == ["Ada", "Dee", "Eve", "ben"]
    asc = [
        name.split()[0] for name in names(text(coordinator_browser.get(f"{COHORT}?sort=streak")))
    ]
    assert asc[-1] == "Cy"


def test_sort_headers_reverse_the_active_column(coordinator_browser, cohort):
    html = text(coordinator_browser.get(f"{COHORT}?sort=pdc_90&order=asc&band=adherent"))
    assert (
        '<th scope="col" aria-sort="ascending"><a href="?band=adherent&amp;sort=pdc_90&amp;'
        'order=desc">PDC 90 days'
    ) in html
    assert (
        '<th scope="col" aria-sort="none"><a href="?band=adherent&amp;sort=name&amp;order=asc">'
        in html
    )


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("adherent", ["Ada Adherent", "ben Borderline"]),
        ("suboptimal", []),
        ("non_adherent", ["Cy Careless"]),
        ("no_data", ["Dee Newcomer", "Eve Noplan"]),
    ],
)
def test_band_filter_on_the_90_day_pdc(coordinator_browser, cohort, band, expected):
    html = text(coordinator_browser.get(f"{COHORT}?band={band}"))
    assert names(html) == expected
    assert f"{len(expected)} of 5 patients." in html
    if not expected:
        assert "No patients match these filters." in html


def test_ending_within_keeps_plans_ending_in_that_many_days(coordinator_browser, cohort):
    plans = TreatmentPlan.objects.filter
    plans(patient=cohort["ada"]).update(planned_end_date=TODAY + timedelta(days=10))
    plans(patient=cohort["ben"]).update(planned_end_date=TODAY + timedelta(days=40))
    plans(patient=cohort["cy"]).update(planned_end_date=TODAY)
    # Dee's plan runs 36 months; Eve has none.
    expected = {
        0: ["Cy Careless"],
        10: ["Ada Adherent", "Cy Careless"],
        39: ["Ada Adherent", "Cy Careless"],
        40: ["Ada Adherent", "ben Borderline", "Cy Careless"],
        3650: ["Ada Adherent", "ben Borderline", "Cy Careless", "Dee Newcomer"],
    }
    for days, wanted in expected.items():
        html = text(coordinator_browser.get(f"{COHORT}?ending_within={days}"))
        assert names(html) == wanted, days
    # Combined with a sort and a band.
    html = text(
        coordinator_browser.get(f"{COHORT}?ending_within=40&sort=pdc_90&order=desc&band=adherent")
    )
    assert names(html) == ["Ada Adherent", "ben Borderline"]


def test_a_plan_that_already_ended_is_not_ending_within(coordinator_browser, cohort):
    TreatmentPlan.objects.filter(patient=cohort["ada"]).update(
        planned_end_date=TODAY - timedelta(days=1)
    )
    assert "Ada Adherent" not in names(text(coordinator_browser.get(f"{COHORT}?ending_within=30")))


def test_pages(coordinator_browser, cohort, settings):
    settings.DASHBOARD_PAGE_SIZE = 2
    first = text(coordinator_browser.get(f"{COHORT}?sort=name"))
    assert names(first) == ["Ada Adherent", "ben Borderline"]
    assert "Page 1 of 3" in first
    assert 'href="?sort=name&amp;page=2" rel="next"' in first
    second = text(coordinator_browser.get(f"{COHORT}?sort=name&page=2"))
    assert names(second) == ["Cy Careless", "Dee Newcomer"]
    assert 'rel="prev"' in second and 'rel="next"' in second
    third = text(coordinator_browser.get(f"{COHORT}?sort=name&page=3"))
    assert names(third) == ["Eve Noplan"]
    # Paging applies after the filter and the sort.
    desc = text(coordinator_browser.get(f"{COHORT}?sort=pdc_90&order=desc&page=2"))
    assert names(desc) == ["Cy Careless", "Dee Newcomer"]
    assert "5 of 5 patients." in desc
    assert names(text(coordinator_browser.get(f"{COHORT}?band=no_data&page=1"))) == [
        "Dee Newcomer",
        "Eve Noplan",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("band=excellent", "band"),
        ("sort=age", "sort"),
        ("order=sideways", "order"),
        ("ending_within=-1", "ending_within"),
        ("ending_within=soon", "ending_within"),
        ("page=0", "page"),
        ("care_team=abc", "care_team"),
    ],
)
def test_bad_filters_are_400(coordinator_browser, cohort, query, field):
    response = coordinator_browser.get(f"{COHORT}?{query}")
    assert response.status_code == 400
    html = text(response)
    assert f"<li><strong>{field}</strong>: " in html
    assert cohort_rows(html) == []


def test_a_care_team_not_ones_own_is_400(coordinator_browser, care_team, other_care_team, cohort):
    response = coordinator_browser.get(f"{COHORT}?care_team={other_care_team.pk}")
    assert response.status_code == 400
    html = text(response)
    assert "<li><strong>care_team</strong>: Not one of your care teams.</li>" in html
    assert "Zed Stranger" not in html and cohort_rows(html) == []
    assert not AuditEvent.objects.filter(action="dashboard.cohort").exists()
    own = coordinator_browser.get(f"{COHORT}?care_team={care_team.pk}")
    assert own.status_code == 200 and len(names(text(own))) == 5


def test_viewing_the_cohort_audits_the_patients_shown(browser, coordinator, cohort, settings):
    settings.DASHBOARD_PAGE_SIZE = 2
    client = browser(coordinator)
    client.get(f"{COHORT}?sort=name&page=2")
    events = AuditEvent.objects.filter(action="dashboard.cohort")
    assert sorted(e.patient_id for e in events) == sorted([cohort["cy"].pk, cohort["dee"].pk])
    assert {(e.actor_id, e.actor_role) for e in events} == {(coordinator.pk, "coordinator")}


# ---------------------------------------------------------------- queries


def team_of(size: int):
    """A team with its coordinator and `size` patients, each with a plan, a short history
    and some with an open alert."""
    team = CareTeamFactory(name=f"Cohort team of {size}")
    coordinator = StaffFactory(role="coordinator", care_teams=[team])
    nurse = StaffFactory(role="nurse", care_teams=[team])
    for index in range(size):
        statuses = [MISSED if day % (index + 2) == 0 else TAKEN for day in range(9)]
        patient = enrol(nurse, team, f"Sized {size} patient {index:02d}", 10, statuses)
        if index % 2:
            AlertFactory.create(patient=patient, priority="high")
    return coordinator


# Measured on SQLite and PostgreSQL, counting ATOMIC_REQUESTS' savepoints: session, user,
# teams, patients, open-alert counts, then cohort_rows' plans, revisions, holds, zone changes
# and dose logs, one audit insert, the coordinator's recent exports, the patients' zone
# changes (for each one's local today), and the two savepoint statements. All patients here
# are on one local date; patients on two or three dates add cohort_rows' five per date.
COHORT_PAGE_QUERIES = 15 + AUDIT_CHAIN_QUERIES


def test_queries_do_not_grow_with_the_cohort(browser):
    counts = {}
    for size in (3, 20):
        client = browser(team_of(size))
        response, counts[size] = queries_of(lambda client=client: client.get(COHORT))
        assert len(names(text(response))) == size
        _, sorted_count = queries_of(
            lambda client=client: client.get(f"{COHORT}?sort=pdc_90&order=desc&ending_within=3650")
        )
        assert sorted_count == counts[size]
    assert counts[3] == counts[20] == COHORT_PAGE_QUERIES


def test_a_patient_ahead_of_utc_has_the_figures_of_their_own_page(
    coordinator_browser, coordinator, nurse, care_team
):
    """At 13:00 UTC it is already tomorrow in Auckland: the cohort's PDC for an Auckland
    patient is over their own last 30 and 90 days, as on their page, not UTC's."""
    import time_machine

    from backend.accounts.selectors import patient_local_today

    patient = enrol(nurse, care_team, "Aroha Auckland", 40, [TAKEN] * 30 + [MISSED] * 9)
    patient.time_zone = "Pacific/Auckland"
    patient.save()
    with time_machine.travel(f"{TODAY.isoformat()}T13:00:00+00:00", tick=False):
        local_today = patient_local_today(patient)
        assert local_today == TODAY + timedelta(days=1)
        coordinator_browser.force_login(coordinator)  # six hours on: past the idle limit
        rows = {row.name: row for row in cohort_rows(text(coordinator_browser.get(COHORT)))}
        page = text(coordinator_browser.get(f"/dashboard/patients/{patient.pk}/"))
    expected_30 = patient_adherence(patient, local_today - timedelta(days=29), local_today)
    expected_90 = patient_adherence(patient, local_today - timedelta(days=89), local_today)
    assert rows["Aroha Auckland"].cells["PDC 30 days"] == pdc_cell(expected_30)
    assert rows["Aroha Auckland"].cells["PDC 90 days"] == pdc_cell(expected_90)
    assert f"{expected_30.pdc.percent:g} %" in page

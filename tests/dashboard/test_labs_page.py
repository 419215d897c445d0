"""Lab results on the nurse's patient page (issue 17): the form for nurses and admins (through
the labs service, source "dashboard", each refusal on its field), the hold alert it raises
once, the trend of each test with the label's hold and resume lines, and what is due next."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from backend.alerts.models import Alert, AlertPriority
from backend.common.presentation.charts import LAB_THRESHOLDS, build_lab_chart
from backend.dashboard.forms import lab_unit_choices
from backend.dashboard.words import ACTION_WORDS, BASIS_WORDS
from backend.guidelines import rules
from backend.guidelines.labs import LAB_ACTIONS, LAB_RESULT, TESTS
from backend.labs.models import LabResult, LabSource
from backend.labs.selectors import review_points_of_patient
from backend.labs.services import lab_results_record, panel_inputs
from tests.dashboard.conftest import (
    TODAY,
    inline_code_problems,
    queries_of,
    text,
)
from tests.factories.plans import TreatmentPlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

TIMES = "\u00d7"
COUNT_UNIT = f"{TIMES} 10\u2079/L"


def page_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/"


def labs_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/labs/"


def form_data(**rows: dict) -> dict:
    """The form as a browser sends it: every row (empty unless given), canonical units."""
    data = {"client_id": str(uuid.uuid4()), "taken_on": TODAY.isoformat()}
    for test in TESTS:
        data[f"{test}_value"] = ""
        data[f"{test}_unit"] = lab_unit_choices(test)[0][0]
        data[f"{test}_uln"] = ""
    for test, row in rows.items():
        for key, value in row.items():
            data[f"{test}_{key}"] = str(value)
    return data


def record(patient, by, day, results):
    """Results stored as the API stores them."""
    return lab_results_record(
        patient=patient,
        recorded_by=by,
        items=panel_inputs(day, results),
        source=LabSource.MANUAL,
    )


def cell_of(html: str, field: str) -> str:
    """The table cell (or form field block) holding the input named ``field``."""
    match = re.search(
        rf'<(td|div class="field")[^>]*>(?:(?!</td>|</div>).)*name="{field}".*?</(td|div)>',
        html,
        re.DOTALL,
    )
    assert match, f"no field {field}"
    return match.group(0)


def errors_in(fragment: str) -> list[str]:
    return re.findall(r'<p class="field-error">(.*?)</p>', fragment, re.DOTALL)


# ---------------------------------------------------------------- the form, by role


def test_nurses_and_admins_get_the_form(nurse_browser, admin_browser, patient):
    for browser in (nurse_browser, admin_browser):
        html = text(browser.get(page_url(patient)))
        assert "Record lab results" in html
        assert f'action="{labs_url(patient)}"' in html
        for test in TESTS:
            assert f'name="{test}_value"' in html
            assert f'name="{test}_unit"' in html
        # ULN inputs for the liver tests (required) and ALP and creatinine (optional) only
        for test in ("alt", "ast", "bilirubin_total", "alkaline_phosphatase", "creatinine"):
            assert f'name="{test}_uln"' in html
        for test in ("anc", "platelets", "haemoglobin", "creatinine_clearance"):
            assert f'name="{test}_uln"' not in html
        assert f'max="{TODAY.isoformat()}"' in html
        assert inline_code_problems(html) == []


def test_unit_selects_offer_each_conversion_once(nurse_browser, patient):
    assert [unit for unit, _ in lab_unit_choices("bilirubin_total")] == ["µmol/L", "mg/dL"]
    assert [unit for unit, _ in lab_unit_choices("platelets")] == ["10^9/L", "/µL"]
    html = text(nurse_browser.get(page_url(patient)))
    select = cell_of(html, "bilirubin_total_unit")
    assert ">mg/dL</option>" in select and ">µmol/L</option>" in select


def test_coordinators_see_no_form_and_may_not_post(coordinator_browser, patient):
    html = text(coordinator_browser.get(page_url(patient)))
    assert "Record lab results" not in html
    assert f'action="{labs_url(patient)}"' not in html
    response = coordinator_browser.post(labs_url(patient), form_data(alt={"value": 250, "uln": 40}))
    assert response.status_code == 403
    assert LabResult.objects.count() == 0
    assert Alert.objects.count() == 0


def test_only_by_post(nurse_browser, patient):
    assert nurse_browser.get(labs_url(patient)).status_code == 405


def test_another_teams_patient_is_not_found(browser, nurse, care_team):
    from tests.factories.accounts import CareTeamFactory, activated_patient

    stranger = activated_patient(care_team=CareTeamFactory(name="Elsewhere"))
    response = browser(nurse).post(labs_url(stranger), form_data(anc={"value": 2}))
    assert response.status_code == 404
    assert LabResult.objects.count() == 0


# ---------------------------------------------------------------- recording


def test_a_nurse_records_results_converted_through_the_service(nurse, nurse_browser, patient):
    data = form_data(
        bilirubin_total={"value": "1.2", "unit": "mg/dL", "uln": "1.2"},
        alt={"value": "30", "uln": "40"},
        platelets={"value": "180000", "unit": "/µL"},
    )
    data["taken_on"] = (TODAY - timedelta(days=2)).isoformat()
    response = nurse_browser.post(labs_url(patient), data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"{page_url(patient)}#labs-heading")
    stored = {r.test: r for r in LabResult.objects.filter(patient=patient)}
    assert set(stored) == {"bilirubin_total", "alt", "platelets"}
    assert all(r.source == LabSource.DASHBOARD for r in stored.values())
    assert all(r.recorded_by == nurse for r in stored.values())
    assert all(r.taken_on == TODAY - timedelta(days=2) for r in stored.values())
    bilirubin = stored["bilirubin_total"]
    assert bilirubin.value == Decimal("20.52") and bilirubin.unit == "µmol/L"
    assert bilirubin.upper_limit_of_normal == Decimal("20.52")
    assert bilirubin.unit_entered == "mg/dL" and bilirubin.value_entered == Decimal("1.2")
    assert stored["platelets"].value == Decimal(180)
    assert Alert.objects.count() == 0
    # the same form sent again (same client_id) stores nothing more
    assert nurse_browser.post(labs_url(patient), data).status_code == 302
    assert LabResult.objects.count() == 3
    page = text(nurse_browser.get(page_url(patient)))
    assert "Entered on the dashboard" in page
    assert "1.2 mg/dL (ULN 1.2)" in page


@pytest.mark.parametrize(
    ("rows", "taken_on", "field", "reason"),
    [
        ({"alt": {"value": "250"}}, None, "alt_uln", "Required for ALT"),
        ({"bilirubin_total": {"value": "60"}}, None, "bilirubin_total_uln", "Required for"),
        ({"alt": {"value": "abc", "uln": "40"}}, None, "alt_value", "Enter a number"),
        ({"platelets": {"value": "-3"}}, None, "platelets_value", "Must be more than 0"),
        ({"platelets": {"value": "250000"}}, None, "platelets_value", "not a plausible"),
        ({"alt": {"value": "250", "uln": "0"}}, None, "alt_uln", "Must be more than 0"),
        ({"ast": {"uln": "40"}}, None, "ast_value", "Give the value"),
        ({"anc": {"value": "2", "unit": "furlongs"}}, None, "anc_unit", "valid choice"),
        ({"anc": {"value": "0.1234567"}}, None, "anc_value", "decimal places"),
        ({"anc": {"value": "2"}}, "tomorrow", "taken_on", "Must not be in the future"),
        ({"anc": {"value": "2"}}, "", "taken_on", "required"),
    ],
)
def test_a_bad_input_is_400_on_its_field(nurse_browser, patient, rows, taken_on, field, reason):
    data = form_data(**rows)
    if taken_on == "tomorrow":
        data["taken_on"] = (TODAY + timedelta(days=1)).isoformat()
    elif taken_on is not None:
        data["taken_on"] = taken_on
    response = nurse_browser.post(labs_url(patient), data)
    assert response.status_code == 400
    html = text(response)
    errors = errors_in(cell_of(html, field))
    assert errors and reason in " ".join(errors), errors
    # on that field only
    assert len(re.findall(r'class="field-error"', html)) == len(errors)
    assert LabResult.objects.count() == 0
    # what the nurse typed is kept
    for row in rows.values():
        if "value" in row and row["value"] != "abc":
            assert f'value="{row["value"]}"' in html


def test_an_empty_form_asks_for_a_result(nurse_browser, patient):
    response = nurse_browser.post(labs_url(patient), form_data())
    assert response.status_code == 400
    assert "Enter at least one result." in text(response)
    assert 'role="alert"' in text(response)


def test_a_result_beyond_the_hold_threshold_raises_the_alert_once(nurse_browser, patient):
    data = form_data(alt={"value": "250", "uln": "40"}, bilirubin_total={"value": 10, "uln": 20})
    assert nurse_browser.post(labs_url(patient), data).status_code == 302
    alert = Alert.objects.get(patient=patient)
    assert alert.kind == "liver_hold"
    assert alert.priority == AlertPriority.URGENT
    # sent again, with the same or a new client_id: no second alert, nothing more stored
    assert nurse_browser.post(labs_url(patient), data).status_code == 302
    data["client_id"] = str(uuid.uuid4())
    assert nurse_browser.post(labs_url(patient), data).status_code == 302
    assert Alert.objects.filter(patient=patient).count() == 1
    assert LabResult.objects.filter(patient=patient).count() == 2
    html = text(nurse_browser.get(page_url(patient)))
    assert "Liver tests: hold imatinib" in html  # the kind's label (AlertKind)
    assert "Repeat the blood tests" in html
    assert "Withhold imatinib" in html
    assert "Based on lab results" in html
    assert "repeat_labs" not in re.sub(r'data-action="[^"]*"', "", html)


def test_every_lab_action_and_the_basis_have_words() -> None:
    for code in LAB_ACTIONS:
        assert code in ACTION_WORDS, code
    assert ACTION_WORDS["repeat_labs"] == "Repeat the blood tests"
    assert "resume_previous_dose" in ACTION_WORDS
    assert BASIS_WORDS[LAB_RESULT] == "Based on lab results"


# ---------------------------------------------------------------- trend and thresholds


@pytest.fixture
def results(nurse, patient):
    record(
        patient,
        nurse,
        TODAY - timedelta(days=60),
        [
            {
                "test": "alt",
                "value": Decimal(30),
                "unit": "U/L",
                "upper_limit_of_normal": Decimal(40),
            },
            {"test": "anc", "value": Decimal("2.1"), "unit": "10^9/L"},
        ],
    )
    record(
        patient,
        nurse,
        TODAY - timedelta(days=30),
        [
            {
                "test": "alt",
                "value": Decimal(250),
                "unit": "U/L",
                "upper_limit_of_normal": Decimal(40),
            },
            {"test": "anc", "value": Decimal("0.8"), "unit": "10^9/L"},
        ],
    )
    record(
        patient,
        nurse,
        TODAY - timedelta(days=10),
        [
            # exactly 5 x ULN and exactly 1.0: the label's thresholds are not crossed
            {
                "test": "alt",
                "value": Decimal(200),
                "unit": "U/L",
                "upper_limit_of_normal": Decimal(40),
            },
            {"test": "anc", "value": Decimal("1.0"), "unit": "10^9/L"},
            {"test": "haemoglobin", "value": Decimal("12.5"), "unit": "g/dL"},
        ],
    )


def lab_block(html: str, test: str) -> str:
    match = re.search(rf'<div class="lab-trend" id="lab-{test}">(.*?)</table>', html, re.DOTALL)
    assert match, f"no trend for {test}"
    return match.group(1)


def test_trend_of_each_test_with_its_thresholds(nurse_browser, patient, results):
    html = text(nurse_browser.get(page_url(patient)))
    assert inline_code_problems(html) == []
    assert re.findall(r'<div class="lab-trend" id="lab-(\w+)">', html) == [
        "alt",
        "anc",
        "haemoglobin",
    ]
    alt = lab_block(html, "alt")
    assert f"Hold: above 5 {TIMES} ULN" in alt
    assert f"Resume: below 2.5 {TIMES} ULN" in alt
    assert 'class="threshold-line threshold-hold"' in alt
    assert 'class="threshold-line threshold-resume"' in alt
    assert len(re.findall(r'<path class="lab-point', alt)) == 3
    assert len(re.findall(r'<path class="lab-point lab-point-hold"', alt)) == 1
    assert f"6.25 {TIMES} ULN" in alt and f"0.75 {TIMES} ULN" in alt
    assert f"5 {TIMES} ULN" in alt  # the boundary, not flagged
    assert len(re.findall(r'<tr class="lab-hold">', alt)) == 1
    assert f"Beyond: above 5 {TIMES} ULN" in alt
    assert "as a multiple of the upper limit of normal" in alt
    anc = lab_block(html, "anc")
    assert f"Hold: below 1.0 {COUNT_UNIT}" in anc
    assert f"Resume: 1.5 {COUNT_UNIT} or more" in anc
    assert len(re.findall(r'<path class="lab-point lab-point-hold"', anc)) == 1
    assert f"0.8 {COUNT_UNIT}" in anc
    haemoglobin = lab_block(html, "haemoglobin")
    assert "The label has no hold rule on this test." in haemoglobin
    assert "threshold-line" not in haemoglobin


def test_the_thresholds_are_the_guideline_modules() -> None:
    assert LAB_THRESHOLDS["bilirubin_total"].hold == rules.LIVER_HOLD_BILIRUBIN_X_ULN
    assert LAB_THRESHOLDS["bilirubin_total"].resume == rules.LIVER_RESUME_BILIRUBIN_X_ULN
    for test in ("alt", "ast"):
        assert LAB_THRESHOLDS[test].hold == rules.LIVER_HOLD_TRANSAMINASES_X_ULN
        assert LAB_THRESHOLDS[test].resume == rules.LIVER_RESUME_TRANSAMINASES_X_ULN
    assert LAB_THRESHOLDS["anc"].hold == rules.BLOOD_HOLD_ANC
    assert LAB_THRESHOLDS["anc"].resume == rules.BLOOD_RESUME_ANC
    assert LAB_THRESHOLDS["platelets"].hold == rules.BLOOD_HOLD_PLATELETS
    assert LAB_THRESHOLDS["platelets"].resume == rules.BLOOD_RESUME_PLATELETS


@pytest.mark.parametrize(
    ("test", "figure", "beyond"),
    [
        ("bilirubin_total", 3.0, False),
        ("bilirubin_total", 3.000001, True),
        ("alt", 5.0, False),
        ("ast", 5.01, True),
        ("anc", 1.0, False),
        ("anc", 0.99, True),
        ("platelets", 50.0, False),
        ("platelets", 49.9, True),
    ],
)
def test_hold_threshold_boundaries(test, figure, beyond) -> None:
    assert LAB_THRESHOLDS[test].crossed_hold(figure) is beyond


def test_lab_chart_geometry() -> None:
    first, last = TODAY - timedelta(days=90), TODAY
    chart = build_lab_chart(
        "platelets",
        "Platelets",
        "10^9/L",
        first,
        last,
        [(TODAY, 40.0, None), (first, 200.0, None), (first - timedelta(days=1), 1.0, None)],
    )
    assert [p.on for p in chart.points] == [first, TODAY]  # sorted, outside dropped
    assert chart.points[0].x == chart.plot_left and chart.points[1].x == chart.plot_right
    assert chart.points[1].beyond_hold and not chart.points[0].beyond_hold
    hold, resume = chart.lines
    assert hold.kind == "hold" and resume.kind == "resume"
    assert chart.plot_top <= resume.y < hold.y <= chart.plot_bottom  # 75 above 50
    assert float(chart.y_ticks[-1].label) >= 200
    assert "Label thresholds: hold below 50" in chart.description


def test_lab_results_do_not_add_queries(nurse, nurse_browser, care_team):
    from tests.factories.accounts import activated_patient

    few, many = activated_patient(care_team=care_team), activated_patient(care_team=care_team)
    record(few, nurse, TODAY, [{"test": "anc", "value": Decimal(2), "unit": "10^9/L"}])
    for days in range(0, 300, 10):
        record(
            many,
            nurse,
            TODAY - timedelta(days=days),
            [
                {"test": "anc", "value": Decimal(2), "unit": "10^9/L"},
                {"test": "alt", "value": Decimal(20), "unit": "U/L", "upper_limit_of_normal": 40},
            ],
        )
    counts = [queries_of(lambda p=p: nurse_browser.get(page_url(p)))[1] for p in (few, many)]
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- what is due next


def test_due_next_lists_overdue_and_due_first_then_upcoming_then_done(
    nurse, nurse_browser, patient
):
    TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, start_date=TODAY - timedelta(days=40)
    )
    # a blood count done two weeks in; the rest not
    record(
        patient,
        nurse,
        TODAY - timedelta(days=26),
        [
            {"test": "anc", "value": Decimal(2), "unit": "10^9/L"},
            {"test": "platelets", "value": Decimal(200), "unit": "10^9/L"},
        ],
    )
    points = review_points_of_patient(patient, TODAY)
    statuses = {p.status for p in points}
    assert {"done", "overdue", "upcoming"} <= statuses, statuses
    html = text(nurse_browser.get(page_url(patient)))
    section = html[html.index('id="due-heading"') : html.index('id="adherence-heading"')]
    shown = re.findall(r'<tr class="review-(\w+)"', section)
    pressing = [s for s in shown if s in ("overdue", "due")]
    assert shown[: len(pressing)] == pressing and pressing  # due and overdue first
    rank = {"overdue": 0, "due": 1, "upcoming": 2, "done": 3}
    assert shown == sorted(shown, key=rank.__getitem__)
    assert "overdue since" in section
    done_on = (TODAY - timedelta(days=26)).strftime("%-d %b %Y")
    assert f"done on {done_on}" in section
    upcoming = sorted((p for p in points if p.status == "upcoming"), key=lambda p: p.date)
    assert upcoming[0].what in section
    assert inline_code_problems(html) == []


def test_due_next_without_a_plan(nurse_browser, patient):
    html = text(nurse_browser.get(page_url(patient)))
    assert "What is due next" in html
    assert "there is no treatment plan yet" in html

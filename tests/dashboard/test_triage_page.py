"""Issue 16 on the nurse's pages: the CTCAE v5.0 term beside the grade (Stevens-Johnson
syndrome may be grade 4, maculo-papular rash may not), the weight trend and the nurse's
weight form, the patient-reported composite never called a CTCAE grade, red flags marked,
and red-flag and weight-gain alerts with their advice's actions in words."""

import html
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.sideeffects.models import ClinicianAssessment, WeightMeasurement
from backend.sideeffects.services import side_effect_report_record, weight_record
from tests.dashboard.conftest import TODAY, inline_code_problems, text
from tests.factories.side_effects import SideEffectReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

COMPOSITE_LABEL = "Patient-reported composite (PRO-CTCAE), not a CTCAE grade"


def page_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/"


def grade_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/grades/"


def fields_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/grades/fields/"


def weight_url(patient) -> str:
    return f"/dashboard/patients/{patient.pk}/weights/"


def report_of(patient, symptom: str, answers: dict):
    return side_effect_report_record(
        patient=patient,
        reported_by=patient.user,
        client_id=uuid.uuid4(),
        symptom=symptom,
        answers=answers,
    ).report


def visible(page: str) -> str:
    """The page's text as read: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def field_html(page: str, name: str) -> str:
    """From a field's label to the next field."""
    return page.split(f'for="id_{name}"', 1)[1].split('<div class="field', 1)[0]


def options_of(fragment: str, name: str) -> list[str]:
    select = fragment.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', select)


# ---------------------------------------------------------------- CTCAE term and grade


def test_the_term_select_offers_the_rash_terms_with_their_grades(nurse_browser, patient):
    SideEffectReportFactory.create(patient=patient)  # nausea: one term, nothing to choose
    report_of(patient, "rash", {"presence": 1})
    page = text(nurse_browser.get(page_url(patient)))
    term = field_html(page, "ctcae_term")
    assert '<optgroup label="Rash">' in term
    assert options_of(term, "ctcae_term") == [
        "",
        "Rash maculo-papular",
        "Erythema multiforme",
        "Stevens-Johnson syndrome",
        "Toxic epidermal necrolysis",
    ]
    assert "Stevens-Johnson syndrome (grades 3 to 5)" in term
    assert "The symptom&#x27;s usual term" in term  # the default
    # Without a chosen report the page offers every grade; htmx narrows them on load.
    assert options_of(field_html(page, "grade"), "grade") == ["", "1", "2", "3", "4", "5"]
    assert 'hx-trigger="load"' in page
    assert inline_code_problems(page) == []


def test_no_term_select_when_no_symptom_has_more_than_one_term(nurse_browser, patient):
    SideEffectReportFactory.create(patient=patient)
    page = text(nurse_browser.get(page_url(patient)))
    assert 'name="ctcae_term"' not in page


def test_stevens_johnson_grade_4_is_recorded_with_its_term(nurse, nurse_browser, patient):
    rash = report_of(patient, "rash", {"presence": 1, "blisters": 1})
    response = nurse_browser.post(
        grade_url(patient),
        {"report": str(rash.pk), "ctcae_term": "Stevens-Johnson syndrome", "grade": "4"},
    )
    assert response.status_code == 302, text(response)[:3000]
    assessment = ClinicianAssessment.objects.get()
    assert (assessment.ctcae_term, assessment.ctcae_grade) == ("Stevens-Johnson syndrome", 4)
    event = AuditEvent.objects.get(action="side_effect.assess")
    assert event.detail == {
        "report": str(rash.pk),
        "grade": 4,
        "ctcae_term": "Stevens-Johnson syndrome",
    }
    page = text(nurse_browser.get(page_url(patient)))
    assert '<span class="term">Stevens-Johnson syndrome</span>: Grade 4' in page


def test_maculo_papular_rash_grade_4_is_refused_on_the_grade_field(nurse_browser, patient):
    rash = report_of(patient, "rash", {"presence": 1})
    response = nurse_browser.post(
        grade_url(patient),
        {"report": str(rash.pk), "ctcae_term": "Rash maculo-papular", "grade": "4"},
    )
    assert response.status_code == 400
    page = text(response)
    grade = field_html(page, "grade")
    assert 'class="field-error"' in grade
    assert "&#x27;Rash maculo-papular&#x27; has no grade 4" in grade
    # The 400 page offers what the chosen term defines, and keeps the term chosen.
    assert options_of(grade, "grade") == ["", "1", "2", "3"]
    assert '<option value="Rash maculo-papular" selected>' in field_html(page, "ctcae_term")
    assert not ClinicianAssessment.objects.exists()


def test_a_term_of_another_symptom_is_refused_on_the_term_field(nurse_browser, patient):
    nausea = SideEffectReportFactory.create(patient=patient)
    report_of(patient, "rash", {"presence": 1})  # so the page offers terms
    response = nurse_browser.post(
        grade_url(patient),
        {"report": str(nausea.pk), "ctcae_term": "Stevens-Johnson syndrome", "grade": "3"},
    )
    assert response.status_code == 400
    term = field_html(text(response), "ctcae_term")
    assert 'class="field-error"' in term
    assert "not a term for nausea" in term
    assert not ClinicianAssessment.objects.exists()


def test_the_fields_follow_the_chosen_report_and_term(nurse_browser, patient):
    rash = report_of(patient, "rash", {"presence": 1})
    nausea = SideEffectReportFactory.create(patient=patient)
    ten = nurse_browser.get(
        fields_url(patient),
        {"report": str(rash.pk), "ctcae_term": "Toxic epidermal necrolysis", "grade": "4"},
    )
    assert ten.status_code == 200
    fragment = text(ten)
    assert fragment.lstrip().startswith('<div id="grade-term-fields"')
    assert 'hx-trigger="load"' not in fragment  # swapped in once, never reloading itself
    assert '<option value="Toxic epidermal necrolysis" selected>' in fragment
    assert options_of(fragment, "grade") == ["", "4", "5"]
    assert '<option value="4" selected>' in fragment
    usual = text(nurse_browser.get(fields_url(patient), {"report": str(rash.pk)}))
    assert '<option value="Rash maculo-papular" selected>' in usual
    assert options_of(usual, "grade") == ["", "1", "2", "3"]
    one_term = text(nurse_browser.get(fields_url(patient), {"report": str(nausea.pk)}))
    assert 'name="ctcae_term"' not in one_term
    assert "Nausea (grades 1 to 3)" in one_term
    assert options_of(one_term, "grade") == ["", "1", "2", "3"]
    for report_id in ("nonsense", str(uuid.uuid4()), ""):
        response = nurse_browser.get(fields_url(patient), {"report": report_id})
        assert response.status_code == 404, report_id


def test_the_fields_are_for_nurses_of_the_patients_team(
    coordinator_browser, nurse_browser, patient, foreign_patient
):
    rash = report_of(patient, "rash", {"presence": 1})
    assert coordinator_browser.get(fields_url(patient), {"report": str(rash.pk)}).status_code == (
        403
    )
    assert (
        nurse_browser.get(fields_url(foreign_patient), {"report": str(rash.pk)}).status_code == 404
    )


# ---------------------------------------------------------------- patient-reported levels


def test_the_composite_is_labelled_patient_reported_beside_the_clinician_grade(
    nurse, nurse_browser, patient
):
    report = report_of(patient, "nausea", {"frequency": 3, "severity": 1})
    assert (report.patient_level, report.composite_grade) == (3, 1)
    ClinicianAssessment.objects.create(
        report=report, ctcae_grade=1, ctcae_term="Nausea", assessed_by=nurse
    )
    page = text(nurse_browser.get(page_url(patient)))
    reports = page.split('<h3 id="reports-heading">', 1)[1].split("</table>", 1)[0]
    assert f'<th scope="col">{COMPOSITE_LABEL}</th>' in reports
    row = reports.split("<tbody>", 1)[1]
    assert "<strong>1</strong> of 3" in row
    assert '<td class="num">3</td>' in row  # the highest answer, apart from the composite
    assert '<span class="term">Nausea</span>: Grade 1' in row
    # The report choice names the level as the patient's, not as a grade.
    assert "patient-reported composite 1 of 3" in page
    assert "CTCAE grade 1" not in visible(page)


def test_red_flags_are_marked_in_the_history(nurse_browser, patient):
    report_of(patient, "black_stools", {"presence": 1})
    report_of(patient, "rash", {"presence": 1, "mouth_eye_sores": 1})
    page = text(nurse_browser.get(page_url(patient)))
    reports = page.split('<h3 id="reports-heading">', 1)[1].split("</table>", 1)[0]
    assert reports.count('<tr class="red-flag">') == 2
    words = visible(reports)
    assert "Red flag: Black, tarry or bloody stools" in words
    assert "Red flag: Blisters, peeling skin or mouth sores" in words
    assert "none (a yes/no question)" in words
    assert "RED FLAG, Black, tarry or bloody stools" in visible(page)  # in the grade form


# ---------------------------------------------------------------- weights


def test_a_nurse_records_a_new_baseline(nurse, nurse_browser, patient):
    client_id = uuid.uuid4()
    body = {
        "client_id": str(client_id),
        "weight_kg": "71.5",
        "measured_on": TODAY.isoformat(),
        "baseline": "on",
    }
    response = nurse_browser.post(weight_url(patient), body)
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(patient)}#weights-heading"
    weight = WeightMeasurement.objects.get()
    assert (weight.weight_kg, weight.measured_on, weight.source, weight.is_baseline) == (
        Decimal("71.5"),
        TODAY,
        "nurse",
        True,
    )
    assert weight.recorded_by == nurse
    event = AuditEvent.objects.get(action="weight.record")
    assert (event.actor, event.patient) == (nurse, patient)
    assert event.detail == {"weight": str(weight.pk), "baseline": True}
    # The same form sent twice stores one weight.
    assert nurse_browser.post(weight_url(patient), body).status_code == 302
    assert WeightMeasurement.objects.count() == 1


def test_a_weight_without_the_box_is_not_a_baseline(nurse_browser, patient):
    first = {"client_id": str(uuid.uuid4()), "weight_kg": "70"}
    assert nurse_browser.post(weight_url(patient), first).status_code == 302
    second = {"client_id": str(uuid.uuid4()), "weight_kg": "70.4"}
    assert nurse_browser.post(weight_url(patient), second).status_code == 302
    # The first weight ever is the baseline; the second is measured from it.
    assert list(
        WeightMeasurement.objects.order_by("weight_kg").values_list("is_baseline", flat=True)
    ) == [True, False]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"weight_kg": "12"}, "weight_kg", "Must be from 20 to 400 kg."),
        ({"weight_kg": "heavy"}, "weight_kg", "Enter a number."),
        ({"weight_kg": "70.25"}, "weight_kg", "no more than 1 decimal place"),
        ({"weight_kg": ""}, "weight_kg", "This field is required."),
        (
            {"weight_kg": "70", "measured_on": (TODAY + timedelta(days=1)).isoformat()},
            "measured_on",
            "Must not be in the future.",
        ),
        (
            {"weight_kg": "70", "measured_on": "0001-01-01"},
            "measured_on",
            "Must be a date between the years 1900 and 2200.",
        ),
    ],
)
def test_a_bad_weight_is_400_on_its_field(nurse_browser, patient, body, field, reason):
    response = nurse_browser.post(weight_url(patient), {"client_id": str(uuid.uuid4()), **body})
    assert response.status_code == 400
    assert reason in html.unescape(field_html(text(response), field))
    assert not WeightMeasurement.objects.exists()


def test_coordinators_see_weights_but_do_not_record_them(coordinator_browser, nurse, patient):
    weight_record(
        patient=patient, recorded_by=nurse, client_id=uuid.uuid4(), weight_kg=Decimal("70")
    )
    page = text(coordinator_browser.get(page_url(patient)))
    assert "70.0 kg" in page
    assert 'action="' + weight_url(patient) + '"' not in page
    body = {"client_id": str(uuid.uuid4()), "weight_kg": "80"}
    assert coordinator_browser.post(weight_url(patient), body).status_code == 403
    assert WeightMeasurement.objects.count() == 1


def test_the_weight_trend_with_changes_from_the_baseline(nurse, nurse_browser, patient):
    weight_record(
        patient=patient,
        recorded_by=nurse,
        client_id=uuid.uuid4(),
        weight_kg=Decimal("70.0"),
        measured_on=TODAY - timedelta(days=20),
        baseline=True,
    )
    weight_record(
        patient=patient,
        recorded_by=patient.user,
        client_id=uuid.uuid4(),
        weight_kg=Decimal("71.0"),
        measured_on=TODAY - timedelta(days=9),
    )
    weight_record(
        patient=patient, recorded_by=patient.user, client_id=uuid.uuid4(), weight_kg=Decimal("74")
    )
    page = text(nurse_browser.get(page_url(patient)))
    section = page.split('<h2 id="weights-heading">', 1)[1].split("</section>", 1)[0]
    rows = [
        [visible(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        for row in section.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("</tr>")[:-1]
    ]
    assert rows == [
        ["20 Jun 2025", "74.0 kg", "+4.0 kg (+5.7 %)", "", "Patient"],
        ["11 Jun 2025", "71.0 kg", "+1.0 kg (+1.4 %)", "", "Patient"],
        ["31 May 2025", "70.0 kg", "—", "Baseline", "Nurse"],
    ]
    assert "Baseline: 70.0 kg on 31 May 2025" in visible(section)
    # 5.7 % over the baseline: a fluid-retention alert, shown with its kind's words.
    assert Alert.objects.get().kind == "weight_gain"
    queue = text(nurse_browser.get("/dashboard/"))
    assert "<strong>Weight gain (fluid retention)</strong>: weight 74.0 kg" in queue
    assert inline_code_problems(page) == []


# ---------------------------------------------------------------- red-flag alerts


def test_a_red_flag_alert_with_its_actions_in_words(nurse_browser, patient):
    report_of(patient, "black_stools", {"presence": 1})
    alert = Alert.objects.get()
    assert (alert.kind, alert.priority) == ("red_flag", "urgent")
    assert alert.advice["actions"] == ["urgent_review", "clinician_assessment", "call_patient"]
    actions = ["Urgent review", "Clinician to assess the grade", "Call the patient"]

    queue = text(nurse_browser.get("/dashboard/"))
    row = queue.split(f'id="alert-{alert.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="badge badge-red-flag">⚑ Red flag</span>' in row
    assert "<strong>Red-flag symptom</strong>: red flag: black, tarry or bloody stools" in row
    listed = row.split('aria-label="Advised actions">', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<li data-action="[a-z_]+">([^<]+)</li>', listed) == actions
    # The actions are read without opening the advice; the basis is said in words.
    assert row.index("advice-actions") < row.index("<details>")
    assert "Based on the patient&#x27;s answers (not a CTCAE grade)" in row
    assert "urgent_review" not in visible(row)

    page = text(nurse_browser.get(page_url(patient)))
    history = page.split('<h2 id="alerts-heading">Alerts</h2>', 1)[1].split("</table>", 1)[0]
    assert '<span class="badge badge-red-flag">⚑ Red flag</span>' in history
    for words in actions:
        assert words in visible(history)
    assert inline_code_problems(page) == []
    assert inline_code_problems(queue) == []


def test_advice_after_a_clinician_grade_says_so(nurse_browser, patient):
    rash = report_of(patient, "rash", {"presence": 1, "blisters": 1})
    response = nurse_browser.post(
        grade_url(patient),
        {"report": str(rash.pk), "ctcae_term": "Stevens-Johnson syndrome", "grade": "3"},
    )
    assert response.status_code == 302
    graded = [a for a in Alert.objects.all() if (a.advice or {}).get("basis") == "clinician_grade"]
    assert graded
    queue = visible(text(nurse_browser.get("/dashboard/")))
    assert "Based on a clinician's CTCAE v5.0 grade" in queue
    assert "Withhold imatinib" in queue

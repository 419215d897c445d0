"""Issue 21: treatment plans from the dashboard. A plan made from the case with the guideline's
suggestion shown live beside the form, the nurse's override with its reason; dose changes on
the ladder's steps, holds, resume and stop, each through the plan services; refusals shown on
their field (400); a form sent twice changes the plan once; coordinators read only; other
teams' patients not found. Resolving an alert with "dose held" / "dose reduced" opens the
pre-filled form and changes nothing until it is sent."""

from datetime import timedelta

import pytest

from backend.accounts.selectors import patient_local_today
from backend.adherence.models import PlanHold, PlanRevision, PlanStatus, TreatmentPlan
from backend.adherence.services.plans import plan_hold_add
from tests.dashboard.conftest import HTMX, TODAY, text
from tests.factories.alerts import AlertFactory
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, HIGH_RISK_CASE, TreatmentPlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

LOW_RISK = {"size_cm": "1.5", "mitoses_per_50hpf": "2", "site": "stomach"}


def url(patient, what: str = "") -> str:
    return f"/dashboard/patients/{patient.pk}/{what}"


def case_form(**overrides: str) -> dict[str, str]:
    return {
        "setting": "adjuvant",
        "site": HIGH_RISK_CASE["site"],
        "size_cm": "7",
        "mitoses_per_50hpf": "8",
        "mutation": "kit_exon_11",
        "age_years": "58",
        "start_date": TODAY.isoformat(),
        "dose_time_1": "08:00",
        **overrides,
    }


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, text(response)[:2000]
    return {name: " ".join(messages) for name, messages in response.context["form"].errors.items()}


# ---------------------------------------------------------------- make a plan


def test_the_patient_page_offers_make_a_plan_and_the_form_shows_the_suggestion(
    nurse_browser, patient
):
    page = text(nurse_browser.get(url(patient)))
    assert f'href="{url(patient, "plan/new/")}"' in page and "Make a plan" in page
    response = nurse_browser.get(url(patient, "plan/new/"))
    assert response.status_code == 200
    html = text(response)
    assert 'hx-trigger="change"' in html and url(patient, "plan/recommendation/") in html
    assert "Fill in the case to see the suggestion." in html
    assert response.context["form"].initial["start_date"] == TODAY


def test_the_suggestion_follows_the_case_as_the_nurse_types(nurse_browser, patient):
    live = url(patient, "plan/recommendation/")
    partial = nurse_browser.post(live, {"setting": "adjuvant", "site": "stomach"}, headers=HTMX)
    assert partial.status_code == 200  # an incomplete case is not an error while typing
    assert "Still needed: Tumour size (cm)" in text(partial)

    full = text(nurse_browser.post(live, case_form(), headers=HTMX))
    assert "Treat with imatinib" in full
    assert "Modified NIH: high" in full and "AFIP: insufficient data" in full
    assert "400 mg/day (once a day)" in full and "36 months" in full
    end = TODAY.replace(year=TODAY.year + 3)
    assert f"{end.day} {end:%b %Y}" in full
    assert "Sources:" in full and "<cite" in full  # reasons with their sources

    low = text(nurse_browser.post(live, case_form(**LOW_RISK), headers=HTMX))
    assert "No adjuvant imatinib suggested" in low
    assert "needs your override below, with a reason" in low
    no_age = text(nurse_browser.post(live, case_form(age_years=""), headers=HTMX))
    assert 'class="flag-list"' in no_age  # a flag in plain words (the age is not given)


def test_a_nurse_makes_the_plan_the_guideline_suggests(nurse_browser, nurse, patient):
    response = nurse_browser.post(url(patient, "plan/new/"), case_form())
    assert response.status_code == 302
    assert response["Location"] == url(patient) + "#plan-heading"
    plan = TreatmentPlan.objects.get(patient=patient)
    assert (plan.status, plan.override, plan.created_by) == (PlanStatus.ACTIVE, None, nurse)
    assert plan.case["size_cm"] == 7 and plan.case["rupture"] is False
    revision = plan.revisions.get()
    assert (revision.dose_mg_per_day, revision.dose_times) == (400, ["08:00"])
    assert revision.tablet_strengths_mg == [400]  # none ticked: the fewest tablets for 400 mg
    page = text(nurse_browser.get(url(patient)))
    assert "400 mg/day" in page and "Change the dose" in page and "Make a plan" not in page
    assert "<dt>A dose as tablets</dt><dd>1 \u00d7 400 mg</dd>" in page
    # With an active plan the form sends the nurse back to it.
    assert nurse_browser.get(url(patient, "plan/new/")).status_code == 302


def test_a_nurse_overrides_the_guideline_with_a_reason(nurse_browser, patient):
    # Low risk: the guideline suggests no adjuvant imatinib; a plan needs the nurse's override.
    refused = nurse_browser.post(url(patient, "plan/new/"), case_form(**LOW_RISK))
    assert "no_adjuvant" in errors_of(refused)["override_reason"]
    assert "Still needed" not in text(refused) and "No adjuvant" in text(refused)
    response = nurse_browser.post(
        url(patient, "plan/new/"),
        case_form(
            **LOW_RISK,
            override_dose_mg_per_day="400",
            override_duration_months="12",
            override_reason="Tumour board: treat, patient's choice after discussion.",
        ),
    )
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=patient)
    assert plan.override == {
        "dose_mg_per_day": 400,
        "duration_months": 12,
        "reason": "Tumour board: treat, patient's choice after discussion.",
    }
    assert plan.planned_end_date == TODAY.replace(year=TODAY.year + 1)
    assert plan.revisions.get().reason.startswith("Tumour board")


def test_an_override_to_800_mg_takes_two_dose_times(nurse_browser, patient):
    sent = case_form(override_dose_mg_per_day="800", override_reason="KIT exon 9 on re-review.")
    assert (
        "Give 2 time(s)"
        in errors_of(nurse_browser.post(url(patient, "plan/new/"), sent))["dose_time_1"]
    )
    sent["dose_time_2"] = "20:00"
    assert nurse_browser.post(url(patient, "plan/new/"), sent).status_code == 302
    revision = PlanRevision.objects.get(plan__patient=patient)
    assert (revision.dose_mg_per_day, revision.doses_per_day, revision.dose_times) == (
        800,
        2,
        ["08:00", "20:00"],
    )


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"mitoses_per_50hpf": ""}, "mitoses_per_50hpf", "is required when setting is adjuvant"),
        ({"size_cm": "-2"}, "size_cm", ""),
        ({"setting": "palliative"}, "setting", "Select a valid choice"),
        ({"start_date": "1800-01-01"}, "start_date", ""),
        ({"dose_time_1": "25:00"}, "dose_time_1", "is not a 24-hour time"),
        ({"dose_time_1": ""}, "dose_time_1", "This field is required"),
        ({"override_dose_mg_per_day": "300"}, "override_reason", "An override needs a reason"),
        (
            {"override_duration_months": "500", "override_reason": "Long."},
            "override_duration_months",
            "Must be between 1 and 120 months",
        ),
        (
            {"override_reason": "Just because."},
            "override_reason",
            "must change the dose, doses per day or duration",
        ),
    ],
)
def test_bad_plan_input_is_refused_on_its_field(nurse_browser, patient, overrides, field, reason):
    errors = errors_of(nurse_browser.post(url(patient, "plan/new/"), case_form(**overrides)))
    assert field in errors and reason in errors[field], errors
    assert not TreatmentPlan.objects.exists()


def test_a_plan_form_sent_twice_makes_one_plan(nurse_browser, patient):
    first = nurse_browser.post(url(patient, "plan/new/"), case_form())
    again = nurse_browser.post(url(patient, "plan/new/"), case_form())
    assert (first.status_code, again.status_code) == (302, 302)
    assert TreatmentPlan.objects.filter(patient=patient).count() == 1
    # A different case while a plan is active is refused, not taken as the same.
    other = nurse_browser.post(url(patient, "plan/new/"), case_form(size_cm="9"))
    assert "already has an active plan" in " ".join(other.context["form"].non_field_errors())


# ---------------------------------------------------------------- dose, hold, resume, stop


@pytest.fixture
def plan(nurse, patient):
    return TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, start_date=TODAY - timedelta(days=30)
    )


def test_the_dose_form_offers_the_ladder_steps(nurse_browser, nurse, patient, plan):
    response = nurse_browser.get(url(patient, "plan/dose/"))
    assert response.status_code == 200
    choices = dict(response.context["form"].fields["dose_mg_per_day"].choices)
    assert list(choices) == ["", 300, 400]  # adjuvant 400 mg: one step down, or the times
    assert "one step down the ladder" in choices[300]
    # After a reduction to 300 mg, the way back up to the starting dose is offered.
    sent = {"dose_mg_per_day": "300", "dose_time_1": "09:00", "reason": "Grade 3 rash."}
    assert nurse_browser.post(url(patient, "plan/dose/"), sent).status_code == 302
    back = nurse_browser.get(url(patient, "plan/dose/"))
    assert list(dict(back.context["form"].fields["dose_mg_per_day"].choices)) == ["", 400, 300]


def test_in_advanced_disease_the_escalation_on_progression_is_offered(
    nurse_browser, nurse, patient
):
    advanced = {**ADVANCED_KIT_EXON_9_CASE, "mutation": "kit_exon_11"}  # 400 mg once a day
    TreatmentPlanFactory.create(
        patient=patient, created_by=nurse, start_date=TODAY - timedelta(days=30), case=advanced
    )
    response = nurse_browser.get(url(patient, "plan/dose/"))
    choices = dict(response.context["form"].fields["dose_mg_per_day"].choices)
    assert list(choices) == ["", 800, 600, 300, 400]
    assert "escalation on progression" in choices[800]
    sent = {"dose_mg_per_day": "800", "dose_time_1": "08:00", "reason": "Progression on CT."}
    assert (
        "Give 2 time(s)"
        in errors_of(nurse_browser.post(url(patient, "plan/dose/"), sent))["dose_time_1"]
    )
    sent["dose_time_2"] = "20:00"
    assert nurse_browser.post(url(patient, "plan/dose/"), sent).status_code == 302
    latest = PlanRevision.objects.filter(plan__patient=patient).order_by("-number").first()
    assert (latest.dose_mg_per_day, latest.doses_per_day) == (800, 2)


def test_a_dose_change_is_a_revision_with_who_and_why_made_once(
    nurse_browser, nurse, patient, plan
):
    sent = {"dose_mg_per_day": "300", "dose_time_1": "09:00", "reason": "Grade 3 rash."}
    first = nurse_browser.post(url(patient, "plan/dose/"), sent)
    again = nurse_browser.post(url(patient, "plan/dose/"), sent)  # a double click
    assert (first.status_code, again.status_code) == (302, 302)
    revisions = list(plan.revisions.order_by("number"))
    assert len(revisions) == 2
    latest = revisions[-1]
    assert (latest.dose_mg_per_day, latest.dose_times, latest.reason, latest.created_by) == (
        300,
        ["09:00"],
        "Grade 3 rash.",
        nurse,
    )
    assert latest.effective_date == patient_local_today(patient)
    assert "300 mg/day" in text(nurse_browser.get(url(patient)))
    assert "<dd>3 \u00d7 100 mg</dd>" in text(nurse_browser.get(url(patient)))


def test_the_dose_form_records_the_tablets_the_patient_has(nurse_browser, patient, plan):
    form = text(nurse_browser.get(url(patient, "plan/dose/")))
    assert "<legend>Tablets the patient has</legend>" in form and "100 mg tablets" in form
    sent = {"dose_mg_per_day": "300", "dose_time_1": "09:00", "reason": "Grade 3 rash."}
    both = nurse_browser.post(
        url(patient, "plan/dose/"), {**sent, "tablet_strengths_mg": ["100", "400"]}
    )
    assert both.status_code == 302
    assert plan.revisions.get(number=2).tablet_strengths_mg == [100, 400]
    assert "<dd>3 \u00d7 100 mg</dd>" in text(nurse_browser.get(url(patient)))


def test_tablets_that_cannot_make_the_dose_are_refused_on_their_field(nurse_browser, patient, plan):
    sent = {"dose_mg_per_day": "300", "dose_time_1": "09:00", "reason": "Rash."}
    errors = errors_of(
        nurse_browser.post(url(patient, "plan/dose/"), {**sent, "tablet_strengths_mg": "400"})
    )
    assert "300 mg dose cannot be made from 400 mg tablets" in errors["tablet_strengths_mg"]
    assert plan.revisions.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"dose_mg_per_day": "200"}, "dose_mg_per_day", "Select a valid choice"),
        ({"reason": " "}, "reason", "This field is required"),
        ({"effective_date": "2020-01-01"}, "effective_date", "before the plan's start date"),
        ({"dose_time_1": "9am"}, "dose_time_1", "is not a 24-hour time"),
    ],
)
def test_bad_dose_changes_are_refused_on_their_field(
    nurse_browser, patient, plan, overrides, field, reason
):
    sent = {"dose_mg_per_day": "300", "dose_time_1": "09:00", "reason": "Rash.", **overrides}
    errors = errors_of(nurse_browser.post(url(patient, "plan/dose/"), sent))
    assert field in errors and reason in errors[field], errors
    assert plan.revisions.count() == 1


def test_hold_then_resume_through_the_forms(nurse_browser, nurse, patient, plan):
    today = patient_local_today(patient)
    sent = {"start_date": today.isoformat(), "reason": "Severe diarrhoea: hold until reviewed."}
    first = nurse_browser.post(url(patient, "plan/hold/"), sent)
    again = nurse_browser.post(url(patient, "plan/hold/"), sent)
    assert (first.status_code, again.status_code) == (302, 302)
    hold = PlanHold.objects.get(plan=plan)
    assert (hold.start_date, hold.end_date, hold.created_by) == (today, None, nurse)
    page = text(nurse_browser.get(url(patient)))
    resume_url = url(patient, f"plan/holds/{hold.pk}/resume/")
    assert "On hold" in page or "on hold" in page
    assert resume_url in page
    form = nurse_browser.get(resume_url)
    assert form.context["form"].initial["end_date"] == today  # the hold started today
    refused = nurse_browser.post(resume_url, {"end_date": (today - timedelta(days=3)).isoformat()})
    assert "before the hold's start date" in errors_of(refused)["end_date"]
    ended = {"end_date": today.isoformat()}
    assert nurse_browser.post(resume_url, ended).status_code == 302
    assert nurse_browser.post(resume_url, ended).status_code == 302  # sent twice: done once
    hold.refresh_from_db()
    assert (hold.end_date, hold.ended_by) == (today, nurse)


@pytest.mark.parametrize(
    ("sent", "field", "reason"),
    [
        ({"start_date": "2020-01-01", "reason": "x"}, "start_date", "before the plan's start"),
        (
            {"start_date": TODAY.isoformat(), "end_date": "2025-06-01", "reason": "x"},
            "end_date",
            "before the start date",
        ),
        ({"start_date": TODAY.isoformat(), "reason": ""}, "reason", "This field is required"),
        ({"start_date": TODAY.isoformat(), "reason": "Other."}, "start_date", "Overlaps"),
    ],
)
def test_bad_holds_are_refused_on_their_field(
    nurse_browser, nurse, patient, plan, sent, field, reason
):
    plan_hold_add(
        plan=plan,
        created_by=nurse,
        start_date=TODAY - timedelta(days=2),
        end_date=None,
        reason="Earlier hold.",
    )
    errors = errors_of(nurse_browser.post(url(patient, "plan/hold/"), sent))
    assert field in errors and reason in errors[field], errors
    assert plan.holds.count() == 1


def test_stop_through_the_form_then_a_new_plan_is_offered(nurse_browser, nurse, patient, plan):
    assert "This field is required" in errors_of(
        nurse_browser.post(url(patient, "plan/stop/"), {"reason": ""})
    ).get("reason", "")
    sent = {"reason": "Progression on imaging: switching to sunitinib."}
    first = nurse_browser.post(url(patient, "plan/stop/"), sent)
    again = nurse_browser.post(url(patient, "plan/stop/"), sent)
    assert (first.status_code, again.status_code) == (302, 302)
    plan.refresh_from_db()
    assert (plan.status, plan.stopped_by, plan.stop_reason) == (
        PlanStatus.STOPPED,
        nurse,
        sent["reason"],
    )
    page = text(nurse_browser.get(url(patient)))
    assert "Progression on imaging" in page and "Make a plan" in page
    # A stopped plan cannot be changed: its forms are not found, and a post is refused.
    assert nurse_browser.get(url(patient, "plan/hold/")).status_code == 404
    late = nurse_browser.post(url(patient, "plan/hold/"), {"start_date": TODAY, "reason": "x"})
    assert "it can no longer be changed" in " ".join(late.context["form"].non_field_errors())


# ---------------------------------------------------------------- who may


PLAN_PAGES = ["plan/new/", "plan/dose/", "plan/hold/", "plan/stop/"]


def test_a_coordinator_sees_the_plan_but_cannot_change_it(coordinator_browser, patient, plan):
    page = text(coordinator_browser.get(url(patient)))
    assert "400 mg/day" in page and "Change the dose" not in page and "Make a plan" not in page
    for what in [*PLAN_PAGES, "plan/recommendation/"]:
        assert coordinator_browser.get(url(patient, what)).status_code in (403, 405)
        assert coordinator_browser.post(url(patient, what), {"reason": "x"}).status_code == 403
    assert plan.revisions.count() == 1 and not plan.holds.exists()


def test_another_teams_patient_is_not_found(nurse_browser, nurse, foreign_patient):
    for what in [*PLAN_PAGES, "plan/recommendation/", "plan/holds/1/resume/"]:
        assert nurse_browser.get(url(foreign_patient, what)).status_code in (404, 405)
        assert nurse_browser.post(url(foreign_patient, what), case_form()).status_code == 404
    assert not TreatmentPlan.objects.exists()


def test_an_admin_may_change_plans(admin_browser, patient, plan):
    assert admin_browser.get(url(patient, "plan/hold/")).status_code in (200, 404)


# ---------------------------------------------------------------- alert outcomes act


def resolve(browser, alert, outcome: str, note: str, **headers):
    return browser.post(
        f"/dashboard/alerts/{alert.pk}/resolve/", {"outcome": outcome, "note": note}, **headers
    )


def test_dose_held_opens_the_pre_filled_hold_form_and_changes_nothing_until_sent(
    nurse_browser, patient, plan
):
    alert = AlertFactory.create(
        patient=patient, symptom="diarrhoea", summary="Diarrhoea: very severe"
    )
    response = resolve(nurse_browser, alert, "dose_held", "Phoned: 8 stools a day. Hold.")
    hold_url = url(patient, f"plan/hold/?alert={alert.pk}")
    assert (response.status_code, response["Location"]) == (302, hold_url)
    assert not plan.holds.exists()  # nothing changed yet
    form = nurse_browser.get(hold_url)
    assert form.context["form"].initial["start_date"] == patient_local_today(patient)
    reason = form.context["form"].initial["reason"]
    assert "Diarrhoea: very severe" in reason and "Phoned: 8 stools a day. Hold." in reason
    assert "Pre-filled from the alert you resolved" in text(form)
    sent = {"start_date": patient_local_today(patient).isoformat(), "reason": reason}
    assert nurse_browser.post(url(patient, "plan/hold/"), sent).status_code == 302
    assert plan.holds.get().reason == reason


def test_dose_reduced_opens_the_dose_form_one_step_down(nurse_browser, patient, plan):
    alert = AlertFactory.create(patient=patient, symptom="rash", summary="Rash: severe")
    response = resolve(nurse_browser, alert, "dose_reduced", "Seen in clinic.", headers=HTMX)
    assert response["HX-Redirect"] == url(patient, f"plan/dose/?alert={alert.pk}")
    form = nurse_browser.get(response["HX-Redirect"])
    assert form.context["form"].initial["dose_mg_per_day"] == 300
    assert plan.revisions.count() == 1  # nothing changed until the nurse confirms


def test_other_outcomes_and_a_coordinator_resolve_as_before(
    nurse_browser, coordinator_browser, patient, plan
):
    first = AlertFactory.create(patient=patient, symptom="nausea")
    assert resolve(nurse_browser, first, "contacted_patient", "Phoned.")["Location"] == (
        "/dashboard/"
    )
    second = AlertFactory.create(patient=patient, symptom="rash")
    done = resolve(coordinator_browser, second, "dose_held", "Nurse told.", headers=HTMX)
    assert done.status_code == 200 and "HX-Redirect" not in done
    assert not plan.holds.exists()

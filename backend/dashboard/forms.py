"""Forms of the dashboard pages: what a nurse or coordinator may send, with the reason for
each refusal. Rules (what an outcome means, which grades exist) stay in the owning apps."""

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from backend.alerts.models import STAFF_RESOLUTION_OUTCOMES, AlertKind, AlertPriority
from backend.common.dates import BoundedDateField
from backend.guidelines.labs import (
    ALKALINE_PHOSPHATASE,
    CREATININE,
    TESTS,
    ULN_REQUIRED,
)
from backend.labs import units
from backend.labs.models import LabTest

from .charts import unit_words

PATIENT_APP_PATH = "/app/"


class StaffSignInForm(AuthenticationForm):
    """Django's sign-in (django-axes counts failures through authenticate()), refusing patients
    with a pointer to their own app."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "patient_account": (
            "This sign-in is for care staff. Patients sign in with the patient app at "
            f"{PATIENT_APP_PATH}."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not getattr(user, "is_care_staff", False):
            raise ValidationError(self.error_messages["patient_account"], code="patient_account")


class SignInCodeForm(forms.Form):
    """The second step of a staff sign-in: a code from the authenticator app, or one of the
    recovery codes given at enrolment."""

    code = forms.CharField(
        label="Code",
        max_length=64,
        strip=True,
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "aria-describedby": "code-hint",
            }
        ),
    )


class TotpEnrolForm(SignInCodeForm):
    """Confirms a new authenticator app: its first code proves it holds the secret."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        strip=True,
        error_messages={"required": "Enter the 6-digit code your authenticator app shows."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "aria-describedby": "code-hint",
            }
        ),
    )


class AlertQueueFilterForm(forms.Form):
    """Patients are chosen by id from a list, never searched by name: a name in a URL would
    land in proxy and server logs."""

    kind = forms.ChoiceField(choices=[("", "Any kind"), *AlertKind.choices], required=False)
    priority = forms.ChoiceField(
        choices=[("", "Any priority"), *AlertPriority.choices], required=False
    )
    patient = forms.UUIDField(label="Patient", required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class AlertResolveForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=STAFF_RESOLUTION_OUTCOMES)
    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done (required).",
    )


CTCAE_GRADE_CHOICES = [
    (1, "Grade 1 (mild)"),
    (2, "Grade 2 (moderate)"),
    (3, "Grade 3 (severe)"),
    (4, "Grade 4 (life-threatening)"),
    (5, "Grade 5 (death)"),
]


NO_GRADE = ("", "Choose a grade")

GradeChoices = list[tuple[Any, Any]]


class ClinicianGradeForm(forms.Form):
    """The report choices are the patient's own recent reports, set by the view; the CTCAE
    v5.0 terms offered are those of the reports' symptoms that have more than one (none: no
    term field, the symptom's usual term is graded).

    The choices a field accepts are wide (every offered term, grades 1 to 5): which grades a
    term defines, and which terms a symptom has, are the guideline module's to check (through
    the service), and its refusal is shown on the field. ``shown_terms`` and ``shown_grades``
    narrow only what the selects offer, once the report (and term) are known."""

    report = forms.ChoiceField(label="Report", choices=())
    ctcae_term = forms.ChoiceField(label="CTCAE v5.0 term", choices=(), required=False)
    # No grade is chosen for the nurse: an untouched select is a missing grade, not grade 1.
    grade = forms.TypedChoiceField(
        label="CTCAE v5.0 grade", choices=[NO_GRADE, *CTCAE_GRADE_CHOICES], coerce=int
    )
    note = forms.CharField(
        label="Note", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        report_choices: list[tuple[str, str]],
        term_choices: GradeChoices | None = None,
        shown_terms: GradeChoices | None = None,
        shown_grades: GradeChoices | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = report_choices
        if term_choices:
            self.fields["ctcae_term"].choices = term_choices
            if shown_terms is not None:
                self.fields["ctcae_term"].widget.choices = shown_terms
        else:
            del self.fields["ctcae_term"]
        if shown_grades is not None:
            self.fields["grade"].widget.choices = [NO_GRADE, *shown_grades]

    def clean_ctcae_term(self) -> str | None:
        return self.cleaned_data.get("ctcae_term") or None


class WeightForm(forms.Form):
    """A weight a nurse measured. ``client_id`` is made when the form is shown, so sending
    the same form twice stores one weight; the range and the date are checked by the
    service (backend.sideeffects.services.weight_record)."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    measured_on = BoundedDateField(
        label="Measured on (the patient's local date)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty: today.",
    )
    baseline = forms.BooleanField(
        label="Make this the new baseline (later gains are measured from it)", required=False
    )


# Tests whose row has an upper limit of normal: required for the label's liver rules
# (ULN_REQUIRED), optional for alkaline phosphatase and creatinine; counts, haemoglobin and
# creatinine clearance are read as values.
LAB_ULN_TESTS = (*ULN_REQUIRED, ALKALINE_PHOSPHATASE, CREATININE)


def lab_unit_choices(test: str) -> list[tuple[str, str]]:
    """The units a nurse picks from: one spelling per conversion (the canonical unit first;
    "umol/L" and "10*9/L" are the same units as "µmol/L" and "10^9/L", so not offered twice)."""
    seen = set()
    choices = []
    for unit, factor in units.ACCEPTED[test].items():
        if factor in seen:
            continue
        seen.add(factor)
        choices.append((unit, unit_words(unit)))
    return choices


@dataclass(frozen=True)
class LabRow:
    test: str
    name: str
    value: forms.BoundField
    unit: forms.BoundField
    uln: forms.BoundField | None
    uln_required: bool


class LabResultsForm(forms.Form):
    """Results of one day, one row per test (an empty row is not sent). ``client_id`` is made
    when the form is shown, so sending it twice stores the results once. Units, ranges, the
    ULN rules and the date are the labs service's to check; its refusal is shown on the
    field (``results[i].unit`` -> that row's unit)."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    taken_on = BoundedDateField(
        label="Taken on (the patient's local date)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for test in TESTS:
            name = str(LabTest(test).label)
            self.fields[f"{test}_value"] = forms.DecimalField(
                label=f"{name} value",
                required=False,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )
            self.fields[f"{test}_unit"] = forms.ChoiceField(
                label=f"{name} unit", choices=lab_unit_choices(test)
            )
            if test in LAB_ULN_TESTS:
                self.fields[f"{test}_uln"] = forms.DecimalField(
                    label=f"{name} upper limit of normal",
                    required=False,
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                )

    def rows(self) -> list[LabRow]:
        return [
            LabRow(
                test=test,
                name=str(LabTest(test).label),
                value=self[f"{test}_value"],
                unit=self[f"{test}_unit"],
                uln=self[f"{test}_uln"] if f"{test}_uln" in self.fields else None,
                uln_required=test in ULN_REQUIRED,
            )
            for test in TESTS
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        filled = 0
        for test in TESTS:
            value = cleaned.get(f"{test}_value")
            uln = cleaned.get(f"{test}_uln")
            if value is not None:
                filled += 1
            elif uln is not None:
                self.add_error(
                    f"{test}_value", "Give the value, or clear the upper limit of normal."
                )
        if not filled and not self.errors:
            raise ValidationError("Enter at least one result.", code="empty")
        return cleaned

    def sent_tests(self) -> list[str]:
        """The tests sent, in the order of ``results()`` (index i is ``results[i]``)."""
        return [t for t in TESTS if self.cleaned_data.get(f"{t}_value") is not None]

    def results(self) -> list[dict[str, Any]]:
        """The filled rows as the labs service's panel_inputs takes them."""
        return [
            {
                "test": test,
                "value": self.cleaned_data[f"{test}_value"],
                "unit": self.cleaned_data[f"{test}_unit"],
                "upper_limit_of_normal": self.cleaned_data.get(f"{test}_uln"),
            }
            for test in self.sent_tests()
        ]

    def field_of(self, service_field: str | None) -> str | None:
        """The form field a labs service refusal is about (None: the whole form):
        ``results[1].upper_limit_of_normal`` -> the second sent test's ULN."""
        if service_field == "taken_on":
            return "taken_on"
        match = _RESULT_FIELD.match(service_field or "")
        if match is None:
            return None
        index, part = int(match.group(1)), match.group(2)
        sent = self.sent_tests()
        if index >= len(sent):
            return None
        suffix = {"value": "value", "unit": "unit", "upper_limit_of_normal": "uln"}.get(part)
        if part == "taken_on":
            return "taken_on"
        name = f"{sent[index]}_{suffix}"
        return name if suffix and name in self.fields else f"{sent[index]}_value"


_RESULT_FIELD = re.compile(r"^results\[(\d+)\]\.(\w+)$")


COHORT_SORTS = {
    "name": "Name",
    "pdc_30": "PDC 30 days",
    "pdc_90": "PDC 90 days",
    "streak": "Current missed streak",
    "open_alerts": "Open alerts",
    "end_date": "Plan end date",
    "days_on_drug": "Days on drug",
}

PDC_BAND_CHOICES = [
    ("", "Any band"),
    ("adherent", "Adherent (90 % or more)"),
    ("suboptimal", "Sub-optimal (80 to 90 %)"),
    ("non_adherent", "Non-adherent (below 80 %)"),
    ("no_data", "No figure yet"),
]


class CohortFilterForm(forms.Form):
    care_team = forms.IntegerField(required=False, min_value=1)
    band = forms.ChoiceField(label="PDC 90-day band", choices=PDC_BAND_CHOICES, required=False)
    ending_within = forms.IntegerField(
        label="Plan ends within (days)", min_value=0, max_value=3650, required=False
    )
    sort = forms.ChoiceField(choices=list(COHORT_SORTS.items()), required=False)
    order = forms.ChoiceField(
        choices=[("asc", "Ascending"), ("desc", "Descending")], required=False
    )
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, care_team_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._care_team_ids = {team_id for team_id, _ in care_team_choices}

    def clean_care_team(self) -> int | None:
        team = self.cleaned_data.get("care_team")
        if team is not None and team not in self._care_team_ids:
            raise ValidationError("Not one of your care teams.")
        return team


def form_errors(form: forms.Form) -> list[dict[str, str]]:
    """The field and the reason of each error, for a 400 page or an htmx fragment."""
    return [
        {"field": field, "reason": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]


class PatientEnrolForm(forms.Form):
    """A new patient in one of the nurse's care teams; the checks are the enrolment service's
    (backend.accounts.services.patient_enrol), whose refusals are shown on their field."""

    display_name = forms.CharField(label="Name", max_length=150)
    medical_record_number = forms.CharField(label="Medical record number", max_length=64)
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="Where the patient lives, e.g. Europe/Madrid: reminders follow their clock.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    language = forms.ChoiceField(label="Language", choices=settings.LANGUAGES)
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        help_text="Where the care team calls the patient.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    care_team = forms.TypedChoiceField(label="Care team", coerce=int, required=False)

    def __init__(self, *args: Any, care_teams: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(team.pk, team.name) for team in care_teams]
        self.fields["care_team"].choices = choices
        if len(choices) == 1:
            self.fields["care_team"].widget = forms.HiddenInput()
            self.fields["care_team"].initial = choices[0][0]
        else:
            self.fields["care_team"].required = True

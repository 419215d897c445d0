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
from backend.common.presentation.charts import unit_words
from backend.common.presentation.wording import BAND_CHOICE_LABELS
from backend.guidelines import rules
from backend.guidelines.labs import (
    ALKALINE_PHOSPHATASE,
    CREATININE,
    TESTS,
    ULN_REQUIRED,
)
from backend.guidelines.tablets import TABLET_STRENGTHS_MG
from backend.labs import units
from backend.labs.models import LabTest

PATIENT_APP_PATH = "/app/"


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """form.fields[name], a ChoiceField: fields is typed as holding any Field."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


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
        _choice_field(self, "report").choices = report_choices
        if term_choices:
            _choice_field(self, "ctcae_term").choices = term_choices
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
    *BAND_CHOICE_LABELS.items(),
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
        _choice_field(self, "care_team").choices = choices
        if len(choices) == 1:
            self.fields["care_team"].widget = forms.HiddenInput()
            self.fields["care_team"].initial = choices[0][0]
        else:
            self.fields["care_team"].required = True


# --------------------------------------------------------------------------------------------
# Treatment plans (issue 21): the case facts, the nurse's override, dose changes, holds, stop.
# The rules (which case is valid, what an override needs, the dose levels) are the guideline
# module's and the plan services'; their refusals are shown on the field they name.
# --------------------------------------------------------------------------------------------

SETTING_WORDS = {
    "adjuvant": "Adjuvant (after complete surgery)",
    "neoadjuvant": "Neoadjuvant (before surgery)",
    "advanced": "Advanced (metastatic or inoperable)",
}
SITE_WORDS = {
    "stomach": "Stomach",
    "duodenum": "Duodenum",
    "jejunum_ileum": "Jejunum or ileum (small bowel)",
    "colon": "Colon",
    "rectum": "Rectum",
    "esophagus": "Oesophagus",
    "extra_gastrointestinal": "Outside the gut (extra-gastrointestinal)",
}
MUTATION_WORDS = {
    "kit_exon_11": "KIT exon 11",
    "kit_exon_9": "KIT exon 9",
    "kit_exon_13": "KIT exon 13",
    "kit_exon_17": "KIT exon 17",
    "kit_other": "KIT, other",
    "pdgfra_d842v": "PDGFRA D842V",
    "pdgfra_other": "PDGFRA, other",
    "sdh_deficient": "SDH-deficient",
    "nf1": "NF1",
    "braf": "BRAF",
    "ntrk": "NTRK",
    "wild_type": "Wild type",
    "unknown": "Not known yet",
}
DOSE_TIME_ATTRS = {"type": "time", "step": "60"}
CHOOSE = ("", "Choose…")


def _choices(codes: Any, words: dict[str, str]) -> list[tuple[str, str]]:
    return [CHOOSE, *((code, words.get(code, code.replace("_", " "))) for code in codes)]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _reason_field(label: str = "Reason", required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=2000,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DoseTimesMixin:
    """One or two local wall-clock times ("08:00"); the service checks them (24-hour, one per
    daily dose, distinct) and names `dose_times` or `dose_times.N` when it refuses."""

    def dose_times(self) -> list[str]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return [data[name] for name in ("dose_time_1", "dose_time_2") if data.get(name)]

    @staticmethod
    def dose_time_field(service_field: str) -> str:
        return "dose_time_2" if service_field == "dose_times.1" else "dose_time_1"


def _tablet_strengths() -> forms.TypedMultipleChoiceField:
    """Which tablets the patient has (docs/clinical-facts.md §2.6); none ticked: the service
    takes those the fewest tablets of the dose use (a dose change keeps the patient's own
    while they can still make it)."""
    return forms.TypedMultipleChoiceField(
        label="Tablets the patient has",
        choices=[(strength, f"{strength} mg tablets") for strength in TABLET_STRENGTHS_MG],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the fewest tablets for the dose.",
    )


def _dose_time(label: str, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=5,
        required=required,
        widget=forms.TextInput(attrs=DOSE_TIME_ATTRS),
    )


class PlanCreateForm(DoseTimesMixin, forms.Form):
    """A new plan: the case the guideline reads (backend.guidelines.case), the nurse's
    override of its dose, schedule or duration (with a reason), and the dose times."""

    CASE_FIELDS = (
        "setting",
        "site",
        "size_cm",
        "mitoses_per_50hpf",
        "rupture",
        "mutation",
        "age_years",
        "start_date",
    )
    OVERRIDE_FIELDS = ("dose_mg_per_day", "doses_per_day", "duration_months")

    setting = forms.ChoiceField(label="Setting", choices=())
    site = forms.ChoiceField(label="Primary site", choices=())
    size_cm = forms.FloatField(
        label="Tumour size (cm)",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    mitoses_per_50hpf = forms.IntegerField(
        label="Mitoses per 50 HPF (5 mm²)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    rupture = forms.BooleanField(label="Tumour rupture", required=False)
    mutation = forms.ChoiceField(label="Mutation", choices=())
    age_years = forms.IntegerField(
        label="Age (years)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    start_date = BoundedDateField(label="Start date", widget=_date_widget())
    override_dose_mg_per_day = forms.TypedChoiceField(
        label="Dose (mg/day)", choices=(), coerce=int, required=False, empty_value=None
    )
    override_doses_per_day = forms.TypedChoiceField(
        label="Doses per day",
        choices=[("", "As the guideline says"), (1, "Once a day"), (2, "Twice a day")],
        coerce=int,
        required=False,
        empty_value=None,
    )
    override_duration_months = forms.IntegerField(
        label="Duration (months)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    override_reason = _reason_field("Reason for departing from the guideline", required=False)
    dose_time_1 = _dose_time("First dose time", required=True)
    dose_time_2 = _dose_time("Second dose time (twice-a-day doses only)", required=False)
    tablet_strengths_mg = _tablet_strengths()

    def __init__(self, *args: Any, dose_levels: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "setting").choices = _choices(rules.SETTINGS, SETTING_WORDS)
        _choice_field(self, "site").choices = _choices(rules.SITES, SITE_WORDS)
        _choice_field(self, "mutation").choices = _choices(rules.MUTATIONS, MUTATION_WORDS)
        _choice_field(self, "override_dose_mg_per_day").choices = [
            ("", "As the guideline says"),
            *((level, f"{level} mg/day") for level in dose_levels),
        ]

    def case(self) -> dict[str, Any]:
        """The case object for the guideline (an empty optional field is left out)."""
        data = self.cleaned_data
        case: dict[str, Any] = {}
        for name in self.CASE_FIELDS:
            value = data.get(name)
            if name == "rupture":
                case[name] = bool(value)
            elif name == "start_date" and value is not None:
                case[name] = value.isoformat()
            elif value not in (None, ""):
                case[name] = value
        return case

    def override(self) -> dict[str, Any] | None:
        """None when the nurse changed nothing and gave no reason; the service then asks for
        one when the guideline's decision is not "treat"."""
        data = self.cleaned_data
        override = {
            name: data[f"override_{name}"]
            for name in self.OVERRIDE_FIELDS
            if data.get(f"override_{name}") is not None
        }
        reason = (data.get("override_reason") or "").strip()
        if not override and not reason:
            return None
        return {**override, "reason": reason}

    def field_of(self, service_field: str | None) -> str | None:
        """`case.mitoses_per_50hpf` -> mitoses_per_50hpf; `override.reason` and `override`
        -> override_reason; `override.X` -> override_X; `dose_times.N` -> that time."""
        name = service_field or ""
        if name.startswith("case."):
            field = name.removeprefix("case.")
            return field if field in self.fields else None
        if name == "override":
            return "override_reason"
        if name.startswith("override."):
            field = "override_" + name.removeprefix("override.")
            return field if field in self.fields else "override_reason"
        if name.startswith("dose_times"):
            return self.dose_time_field(name)
        return name if name == "tablet_strengths_mg" else None

    def tablet_strengths(self) -> list[int] | None:
        return self.cleaned_data.get("tablet_strengths_mg") or None


class PlanRevisionForm(DoseTimesMixin, forms.Form):
    """A dose change: the doses offered are the guideline's steps for this plan (set by the
    view); the service checks the level and the times."""

    dose_mg_per_day = forms.TypedChoiceField(label="New dose", choices=(), coerce=int)
    dose_time_1 = _dose_time("First dose time", required=True)
    dose_time_2 = _dose_time("Second dose time (twice-a-day doses only)", required=False)
    effective_date = BoundedDateField(
        label="From", required=False, widget=_date_widget(), help_text="Empty: today."
    )
    tablet_strengths_mg = _tablet_strengths()
    reason = _reason_field()

    def __init__(self, *args: Any, dose_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "dose_mg_per_day").choices = [CHOOSE, *dose_choices]

    def field_of(self, service_field: str | None) -> str | None:
        name = service_field or ""
        if name.startswith("dose_times"):
            return self.dose_time_field(name)
        if name == "doses_per_day":
            return "dose_mg_per_day"
        return name if name in self.fields else None


class PlanHoldForm(forms.Form):
    start_date = BoundedDateField(label="First day without the drug", widget=_date_widget())
    end_date = BoundedDateField(
        label="Last day without the drug",
        required=False,
        widget=_date_widget(),
        help_text="Optional: leave empty to hold until you resume the plan.",
    )
    reason = _reason_field()

    def field_of(self, service_field: str | None) -> str | None:
        return service_field if service_field in self.fields else None


class PlanResumeForm(forms.Form):
    end_date = BoundedDateField(
        label="Last day without the drug",
        widget=_date_widget(),
        help_text="The patient takes the drug again from the day after.",
    )

    def field_of(self, service_field: str | None) -> str | None:
        return service_field if service_field in self.fields else None


class PlanStopForm(forms.Form):
    reason = _reason_field()

    def field_of(self, service_field: str | None) -> str | None:
        return service_field if service_field in self.fields else None


class CareTeamContactForm(forms.Form):
    """What a care team's patients are told to call, and when; checked by the accounts
    service (backend.accounts.services.care_team_contact_update)."""

    phone = forms.CharField(
        label="Phone patients call",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    hours = forms.CharField(
        label="When it is answered",
        max_length=120,
        required=False,
        help_text="In the team's own words, e.g. Mon-Fri 08:00-15:00; otherwise the emergency "
        "number.",
    )
    emergency_number = forms.CharField(
        label="Local emergency number",
        max_length=16,
        help_text="What a patient with a red-flag symptom is told to call (112, 999, 911...).",
    )

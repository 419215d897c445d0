"""A patient's report as a FHIR R4 Bundle (type "collection") of plain JSON-able dicts.

The runtime builds dicts rather than fhir.resources models: that package is a test dependency
only, and the tests validate what this module makes against it. Every resource id is a UUID5
of a natural key (a dose's patient, date and slot; a report's id; ...), so the same fact has
the same id in every export, whatever period it was exported with, and a receiving server
updates rather than duplicates it.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.accounts.models import Patient
from backend.adherence.metrics import UNSPECIFIED_REASON, AdherenceMetrics
from backend.adherence.models import PlanRevision
from backend.adherence.selectors.doses import CalendarDose
from backend.adherence.selectors.plans import PlanSummary
from backend.alerts.models import Alert, AlertKind, AlertStatus
from backend.common.presentation.charts import LAB_THRESHOLDS, TIMES
from backend.common.presentation.labs import lab_beyond_hold, lab_x_uln
from backend.common.presentation.wording import (
    BAND_WORDS_WITH_LIMITS,
    decimal_words,
    skip_reason_words,
)
from backend.guidelines.labs import CANONICAL_UNITS, TESTS
from backend.guidelines.symptoms import CTCAE_GRADES, SYMPTOMS
from backend.labs import units
from backend.labs.fhir import LOINC_SYSTEM, LOINC_TESTS
from backend.labs.models import LabResult, LabTest
from backend.sideeffects.models import ClinicianAssessment, SideEffectReport

from .data import PatientReportData, flag_sentences, reasons_of

Resource = dict[str, Any]

# Never change: every resource id in every export past and future is derived from it.
FHIR_ID_NAMESPACE = UUID("c2e66e66-fba2-5a7b-be72-6c3f5f62d1cc")

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
REQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
# Our own code systems and identifier namespaces (URNs: nothing to resolve, nothing to host).
MRN_SYSTEM = "urn:gist-adherence:mrn"  # + ":<care team id>": numbers are unique per team
PLAN_SYSTEM = "urn:gist-adherence:treatment-plan"
DOSE_LOG_SYSTEM = "urn:gist-adherence:dose-log"
SKIP_REASON_SYSTEM = "urn:gist-adherence:dose-not-taken-reason"
SYMPTOM_SYSTEM = "urn:gist-adherence:symptom"
ALERT_SYSTEM = "urn:gist-adherence:alert"
ALERT_KIND_SYSTEM = "urn:gist-adherence:alert-kind"
# The PRO-CTCAE composite grade 0-3 (Basch et al. 2021): patient-reported, not a CTCAE grade.
COMPOSITE_GRADE_SYSTEM = "urn:gist-adherence:pro-ctcae-composite-grade"
RED_FLAG_SYSTEM = "urn:gist-adherence:red-flag"
TAKEN_LATE_EXTENSION = "urn:gist-adherence:fhir:extension:dose-taken-late"
LAB_RESULT_SYSTEM = "urn:gist-adherence:lab-result"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# The LOINC code each lab result is exported with: one of the codes backend.labs.fhir accepts
# from a lab (LOINC_TESTS), the first listed for the test, except where the canonical unit is
# a substance concentration (µmol/L), whose code is the "Moles/volume" one of those listed.
_MOLAR_LOINC = {"bilirubin_total": "14631-6", "creatinine": "14682-9"}
EXPORT_LOINC: dict[str, str] = {
    test: _MOLAR_LOINC.get(test) or next(code for code, t in LOINC_TESTS.items() if t == test)
    for test in TESTS
}
assert all(LOINC_TESTS[code] == test for test, code in EXPORT_LOINC.items())

# The canonical units (backend.guidelines.labs.CANONICAL_UNITS) as UCUM codes; each is a
# spelling backend.labs.units accepts for its tests (checked where used and in the tests).
UCUM_CODES: dict[str, str] = {
    "U/L": "U/L",
    "\u00b5mol/L": "umol/L",
    "10^9/L": "10*9/L",
    "g/dL": "g/dL",
    "mL/min": "mL/min",
}
assert set(CANONICAL_UNITS.values()) <= set(UCUM_CODES)

IMATINIB: Resource = {
    "coding": [{"system": RXNORM, "code": "282388", "display": "imatinib"}],
    "text": "imatinib",
}
ORAL_ROUTE: Resource = {
    "coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}],
    "text": "by mouth",
}

# PlanSummary.state -> MedicationRequest.status / MedicationStatement.status (same codes).
PLAN_STATUS = {
    "active": "active",
    "on_hold": "on-hold",
    "completed": "completed",
    "stopped": "stopped",
}
DOSE_KIND_ALERTS = frozenset((AlertKind.SIDE_EFFECT_NONADHERENCE, AlertKind.MISSED_DOSE_STREAK))


def patient_fhir_bundle(data: PatientReportData, *, base_url: str) -> Resource:
    """The report as a FHIR R4 collection Bundle; `base_url` prefixes every entry's fullUrl."""
    base = base_url.rstrip("/")
    patient = data.patient
    patient_ref = _reference("Patient", str(patient.pk))
    summaries = {summary.plan.pk: summary for summary in data.plans}

    resources: list[Resource] = [_patient(patient)]
    resources += [_medication_request(data, summary, patient_ref) for summary in data.plans]
    pdc = _pdc_observation(data, patient_ref)
    if data.plans:
        resources.append(_medication_statement(data, patient_ref, pdc["id"]))
    resources += [
        _medication_administration(item, summaries.get(item.plan_id), patient, patient_ref)
        for item in data.calendar
        if item.log is not None
    ]
    for report in data.reports:
        resources += _report_observations(report, patient_ref)
    resources += [lab_observation(result, patient_ref) for result in data.lab_results]
    resources.append(pdc)
    resources += [
        _flag(alert, patient_ref) for alert in data.alerts if alert.status != AlertStatus.RESOLVED
    ]
    key = f"bundle:{patient.pk}:{data.first.isoformat()}:{data.last.isoformat()}"
    return {
        "resourceType": "Bundle",
        # The same patient and period give the same identifier: a later export replaces it.
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{fhir_id(key)}"},
        "type": "collection",
        "timestamp": _instant(data.generated_at),
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def fhir_id(natural_key: str) -> str:
    """A UUID5 of the key: 36 characters of [0-9a-f-], within FHIR's id rule."""
    return str(uuid5(FHIR_ID_NAMESPACE, natural_key))


def dose_fhir_id(patient_id: object, day: date, slot: int) -> str:
    """A dose is (patient, local date, slot) everywhere in the app, so it is here too."""
    return fhir_id(f"dose:{patient_id}:{day.isoformat()}:{slot}")


def plan_fhir_id(plan_id: object) -> str:
    return fhir_id(f"plan:{plan_id}")


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


def _patient(patient: Patient) -> Resource:
    """Only what we hold: the record number, the name as the team entered it, the language."""
    language = patient.language
    return {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}],
                    "text": "Medical record number",
                },
                "system": f"{MRN_SYSTEM}:{patient.care_team_id}",
                "value": patient.medical_record_number,
            }
        ],
        "name": [{"text": patient.display_name}],
        "communication": [
            {
                "language": {
                    "coding": [
                        {
                            "system": "urn:ietf:bcp:47",
                            "code": language,
                            "display": dict(settings.LANGUAGES).get(language, language),
                        }
                    ],
                    "text": dict(settings.LANGUAGES).get(language, language),
                },
                "preferred": True,
            }
        ],
    }


def _medication_request(
    data: PatientReportData, summary: PlanSummary, patient_ref: Resource
) -> Resource:
    """One plan: the order, its regimen revisions in force by `last`, and why it was made."""
    plan = summary.plan
    revisions = _revisions_until(summary.revisions, data.last)
    end = _plan_end(summary, data.patient.time_zone)
    dosages = []
    for index, revision in enumerate(revisions):
        following = revisions[index + 1] if index + 1 < len(revisions) else None
        start = max(revision.effective_date, plan.start_date)
        until: str | None = end
        if following is not None:
            until = (following.effective_date - timedelta(days=1)).isoformat()
        dosages.append(_dosage(revision, sequence=index + 1, start=start, end=until))
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": plan_fhir_id(plan.pk),
        "identifier": [{"system": PLAN_SYSTEM, "value": str(plan.pk)}],
        "status": PLAN_STATUS[summary.state],
        "intent": "order",
        "category": [{"coding": [{"system": REQUEST_CATEGORY, "code": "community"}]}],
        "medicationCodeableConcept": IMATINIB,
        "subject": patient_ref,
        "authoredOn": _instant(plan.created_at),
        "reasonCode": [{"text": f"Gastrointestinal stromal tumour (GIST), {plan.setting}"}],
        "dosageInstruction": dosages,
        "note": _plan_notes(summary, revisions),
    }
    if summary.state == "stopped" and plan.stop_reason:
        resource["statusReason"] = {"text": plan.stop_reason}
    return resource


def _medication_statement(data: PatientReportData, patient_ref: Resource, pdc_id: str) -> Resource:
    """The period in one resource, for receivers that read statements rather than doses."""
    latest = data.plans[-1]
    return {
        "resourceType": "MedicationStatement",
        "id": fhir_id(f"statement:{data.patient.pk}:{data.first}:{data.last}"),
        "basedOn": [_reference("MedicationRequest", plan_fhir_id(s.plan.pk)) for s in data.plans],
        "status": PLAN_STATUS[latest.state],
        "medicationCodeableConcept": IMATINIB,
        "subject": patient_ref,
        "effectivePeriod": {"start": data.first.isoformat(), "end": data.last.isoformat()},
        "dateAsserted": _instant(data.generated_at),
        "derivedFrom": [_reference("Observation", pdc_id)],
        "dosage": [
            {
                "text": _dosage_text(latest.current_revision),
                "route": ORAL_ROUTE,
                "doseAndRate": [{"doseQuantity": _mg(latest.current_revision)}],
            }
        ],
        "note": [{"text": adherence_in_words(data.metrics)}],
    }


def _medication_administration(
    item: CalendarDose, summary: PlanSummary | None, patient: Patient, patient_ref: Resource
) -> Resource:
    """One logged dose (its ledger row). Its status follows the log (what happened), not the
    calendar status: a resolved row is history, so it still says what the patient did."""
    log = item.log
    assert log is not None
    dose = item.dose
    taken = log.state == "taken"
    resource: Resource = {
        "resourceType": "MedicationAdministration",
        "id": dose_fhir_id(patient.pk, dose.date, dose.slot),
        "identifier": [{"system": DOSE_LOG_SYSTEM, "value": str(log.pk)}],
        "status": "completed" if taken else "not-done",
        "medicationCodeableConcept": IMATINIB,
        "subject": patient_ref,
        # A not-done dose happened at no instant: it is dated when it was due.
        "effectiveDateTime": _instant(log.taken_at if taken and log.taken_at else dose.due_at),
    }
    if not taken:
        resource["statusReason"] = [_not_taken_reason(log.state, log.skip_reason)]
    if taken and patient.user_id is not None and log.recorded_by_id == patient.user_id:
        resource["performer"] = [{"actor": patient_ref}]
    if summary is not None:
        resource["request"] = _reference("MedicationRequest", plan_fhir_id(summary.plan.pk))
        revision = _revision_on(summary.revisions, dose.date)
        if revision is not None:
            resource["dosage"] = {
                "text": f"{_mg_text(revision)} at {_wall(dose.local_time)} ({dose.time_zone})",
                "route": ORAL_ROUTE,
                "dose": _mg(revision),
            }
    notes = []
    if taken and log.late:
        resource["extension"] = [{"url": TAKEN_LATE_EXTENSION, "valueBoolean": True}]
        notes.append(
            f"Taken late: due at {_wall(dose.local_time)} {dose.time_zone} on "
            f"{dose.date.isoformat()}."
        )
    if dose.on_hold:
        notes.append("The dose day is inside a treatment hold.")
    if log.note:
        notes.append(f"Note with the log: {log.note}")
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _report_observations(report: SideEffectReport, patient_ref: Resource) -> list[Resource]:
    """The patient's answers and, apart from them, each clinician grade derived from them:
    patient scores and CTCAE grades are different measures and never share a resource."""
    symptom = SYMPTOMS.get(report.symptom)
    label = symptom.label if symptom else report.symptom
    attributes = list(symptom.attributes) if symptom else sorted(report.patient_scores)
    attributes += sorted(set(report.patient_scores) - set(attributes))
    if symptom is None or symptom.is_pro_ctcae:
        title = f"PRO-CTCAE {label}"
    else:  # our own questions: say so rather than pass them off as the NCI item
        title = f"PRO-CTCAE-style (not a PRO-CTCAE item) {label}"
    report_id = fhir_id(f"report:{report.pk}")
    notes = []
    if report.onset_date is not None:
        notes.append(f"Onset: {report.onset_date.isoformat()}.")
    if report.note:
        notes.append(f"Patient's note: {report.note}")
    observation: Resource = {
        "resourceType": "Observation",
        "id": report_id,
        "status": "final",
        "category": [_category("survey", "Survey")],
        "code": {
            "coding": [{"system": SYMPTOM_SYSTEM, "code": report.symptom, "display": label}],
            "text": title,
        },
        "subject": patient_ref,
        "effectiveDateTime": _instant(report.reported_at),
        "issued": _instant(report.reported_at),
        "performer": [patient_ref],
        "valueInteger": report.patient_level,
        "component": [
            {
                "code": {"text": f"{title}: {attribute}"},
                "valueInteger": report.patient_scores[attribute],
            }
            for attribute in attributes
            if attribute in report.patient_scores
        ],
    }
    observation["method"] = {
        "text": "Patient-reported: the patient's own answers, not a CTCAE grade. Value: the "
        "highest answer (0 to 4; a yes/no question: 1 yes, 0 no)."
    }
    observation["interpretation"] = _patient_reported_interpretation(report)
    if notes:
        observation["note"] = [{"text": text} for text in notes]
    resources = [observation]
    if report.weight_kg is not None:
        resources.append(_weight(report, patient_ref))
    resources += [
        _assessment(assessment, label, report_id, patient_ref)
        for assessment in report.assessments.all()
    ]
    return resources


def _patient_reported_interpretation(report: SideEffectReport) -> list[Resource]:
    """The composite grade (or the yes/no answer) and the red flags of a report, each named
    as patient-reported: never a CTCAE grade."""
    if report.composite_grade is not None:
        grade = report.composite_grade
        words = f"Patient-reported PRO-CTCAE composite grade {grade} of 3 (not a CTCAE grade)"
        found: list[Resource] = [
            {
                "coding": [
                    {"system": COMPOSITE_GRADE_SYSTEM, "code": str(grade), "display": words}
                ],
                "text": words,
            }
        ]
    else:
        answer = "yes" if report.patient_level else "no"
        found = [{"text": f"Patient answered {answer} (a yes/no question; no composite grade)"}]
    for code in report.red_flags or []:
        symptom = SYMPTOMS.get(code)
        label = symptom.label if symptom else code
        words = f"Red flag reported by the patient: {label} (urgent)"
        found.append(
            {"coding": [{"system": RED_FLAG_SYSTEM, "code": code, "display": label}], "text": words}
        )
    return found


def _weight(report: SideEffectReport, patient_ref: Resource) -> Resource:
    """A weight given with a report (fluid retention) is a measurement of its own."""
    assert report.weight_kg is not None  # _report_observations checks
    return {
        "resourceType": "Observation",
        "id": fhir_id(f"weight:{report.pk}"),
        "status": "final",
        "category": [_category("vital-signs", "Vital Signs")],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}],
            "text": "Body weight (patient-reported)",
        },
        "subject": patient_ref,
        "effectiveDateTime": _instant(report.reported_at),
        "performer": [patient_ref],
        "valueQuantity": {
            "value": float(report.weight_kg),
            "unit": "kg",
            "system": UCUM,
            "code": "kg",
        },
    }


def _assessment(
    assessment: ClinicianAssessment, label: str, report_id: str, patient_ref: Resource
) -> Resource:
    grade = assessment.ctcae_grade
    resource: Resource = {
        "resourceType": "Observation",
        "id": fhir_id(f"assessment:{assessment.pk}"),
        "status": "final",
        "category": [_category("exam", "Exam")],
        "code": {"text": f"CTCAE v5.0 grade: {_term_words(assessment.ctcae_term, label)}"},
        "subject": patient_ref,
        "effectiveDateTime": _instant(assessment.created_at),
        "valueInteger": grade,
        "derivedFrom": [_reference("Observation", report_id)],
    }
    if grade in CTCAE_GRADES:
        resource["interpretation"] = [{"text": f"Grade {grade}: {CTCAE_GRADES[grade]}"}]
    if assessment.note:
        resource["note"] = [{"text": assessment.note}]
    return resource


def _term_words(term: str, label: str) -> str:
    """The CTCAE v5.0 term graded, with the symptom as reported when they differ (grades
    stored before terms were kept: the symptom)."""
    if not term or term.casefold() == label.casefold():
        return label
    return f"{term} (reported as {label})"


def _lab_quantity(test: str, value: Any) -> Resource:
    unit = CANONICAL_UNITS[test]
    return {
        "value": float(value),
        "unit": unit,
        "system": UCUM,
        "code": UCUM_CODES[unit],
    }


def lab_interpretation(result: LabResult, x_uln: float | None) -> list[Resource] | None:
    """HH (liver tests) or LL (blood counts) when this result is beyond the label's hold
    threshold of its test, with the meaning in words; H when above the upper limit of normal
    but not beyond the hold threshold; None otherwise."""
    threshold = LAB_THRESHOLDS.get(result.test)
    name = str(LabTest(result.test).label)
    if threshold is not None and lab_beyond_hold(result, x_uln):
        code = "HH" if threshold.above_is_worse else "LL"
        display = "Critical high" if code == "HH" else "Critical low"
        words = (
            f"Beyond the label's hold threshold ({name} {threshold.hold_limit}): the label "
            f"says to withhold imatinib; resume {threshold.resume_limit}."
        )
        return [
            {
                "coding": [{"system": INTERPRETATION, "code": code, "display": display}],
                "text": words,
            }
        ]
    if result.upper_limit_of_normal is not None and result.value > result.upper_limit_of_normal:
        words = "Above the upper limit of normal"
        if threshold is not None:
            words += f", not beyond the label's hold threshold ({threshold.hold_limit})"
        return [
            {
                "coding": [{"system": INTERPRETATION, "code": "H", "display": "High"}],
                "text": words + ".",
            }
        ]
    return None


def lab_observation(result: LabResult, patient_ref: Resource) -> Resource:
    """One lab result in its test's canonical unit (UCUM), with its LOINC code, the ULN as the
    reference range's high, the day taken, and an interpretation when it crosses the label's
    hold threshold (HH / LL) or the ULN (H)."""
    name = str(LabTest(result.test).label)
    loinc = EXPORT_LOINC[result.test]
    unit = CANONICAL_UNITS[result.test]
    assert units.is_accepted(result.test, UCUM_CODES[unit])
    x_uln = lab_x_uln(result)
    resource: Resource = {
        "resourceType": "Observation",
        "id": fhir_id(f"lab:{result.pk}"),
        "identifier": [{"system": LAB_RESULT_SYSTEM, "value": str(result.pk)}],
        "status": "final",
        "category": [_category("laboratory", "Laboratory")],
        "code": {
            "coding": [{"system": LOINC_SYSTEM, "code": loinc}],
            "text": name,
        },
        "subject": patient_ref,
        "effectiveDateTime": result.taken_on.isoformat(),
        "issued": _instant(result.recorded_at),
        "valueQuantity": _lab_quantity(result.test, result.value),
    }
    if result.upper_limit_of_normal is not None:
        resource["referenceRange"] = [
            {
                "high": _lab_quantity(result.test, result.upper_limit_of_normal),
                "text": "Upper limit of normal given with the result",
            }
        ]
    interpretation = lab_interpretation(result, x_uln)
    if interpretation is not None:
        resource["interpretation"] = interpretation
    notes = []
    if x_uln is not None:
        notes.append(f"{decimal_words(x_uln)} {TIMES} ULN.")
    threshold = LAB_THRESHOLDS.get(result.test)
    if threshold is not None:
        notes.append(
            f"The label's thresholds: hold {threshold.hold_limit}; resume {threshold.resume_limit}."
        )
    if result.unit_entered != result.unit:
        entered = f"Entered as {decimal_words(result.value_entered)} {result.unit_entered}"
        if result.upper_limit_of_normal_entered is not None:
            entered += f" (ULN {decimal_words(result.upper_limit_of_normal_entered)})"
        notes.append(entered + ".")
    if notes:
        resource["note"] = [{"text": " ".join(notes)}]
    return resource


def _pdc_observation(data: PatientReportData, patient_ref: Resource) -> Resource:
    """PDC as the adherence selectors define it (one definition in every export)."""
    pdc = data.metrics.pdc
    resource: Resource = {
        "resourceType": "Observation",
        "id": fhir_id(f"pdc:{data.patient.pk}:{data.first.isoformat()}:{data.last.isoformat()}"),
        "status": "final",
        "code": {"text": "Proportion of days covered (imatinib)"},
        "subject": patient_ref,
        "effectivePeriod": {"start": data.first.isoformat(), "end": data.last.isoformat()},
        "issued": _instant(data.generated_at),
        "component": [
            {
                "code": {"text": "Days with every scheduled dose taken (numerator)"},
                "valueInteger": pdc.numerator,
            },
            {
                "code": {"text": "Scheduled days, all doses recorded, not on hold (denominator)"},
                "valueInteger": pdc.denominator,
            },
        ],
        "note": [{"text": adherence_in_words(data.metrics)}],
    }
    if pdc.percent is None:
        resource["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT_REASON, "code": "not-applicable"}],
            "text": "No scheduled day with every dose recorded in the period",
        }
    else:
        resource["valueQuantity"] = {
            "value": pdc.percent,
            "unit": "%",
            "system": UCUM,
            "code": "%",
        }
        resource["interpretation"] = [
            {"text": BAND_WORDS_WITH_LIMITS.get(pdc.band or "", pdc.band or "")}
        ]
    return resource


def _flag(alert: Alert, patient_ref: Resource) -> Resource:
    """An unresolved alert: what the care team still has to act on."""
    category = "drug" if alert.kind in DOSE_KIND_ALERTS else "clinical"
    kind = dict(AlertKind.choices).get(alert.kind, alert.kind)
    return {
        "resourceType": "Flag",
        "id": fhir_id(f"alert:{alert.pk}"),
        "identifier": [{"system": ALERT_SYSTEM, "value": str(alert.pk)}],
        "status": "active",
        "category": [
            {
                "coding": [
                    {"system": FLAG_CATEGORY, "code": category},
                    {"system": ALERT_KIND_SYSTEM, "code": alert.kind, "display": kind},
                ],
                "text": f"{kind} ({alert.priority} priority)",
            }
        ],
        "code": {"text": alert.summary},
        "subject": patient_ref,
        "period": {"start": _instant(alert.opened_at)},
    }


# --------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------


def adherence_in_words(metrics: AdherenceMetrics) -> str:
    """PDC and the dose counts as one sentence, for readers that show only text."""
    pdc = metrics.pdc
    if pdc.percent is None:
        figure = "proportion of days covered not measurable (no day with every dose recorded)"
    else:
        band = BAND_WORDS_WITH_LIMITS.get(pdc.band or "", pdc.band or "")
        figure = (
            f"proportion of days covered {pdc.percent:g} % ({pdc.numerator} of "
            f"{pdc.denominator} days with every dose taken), {band}"
        )
    skipped = f"{metrics.skipped} skipped"
    if metrics.skipped_by_reason:
        reasons = ", ".join(
            f"{count} with no reason given"
            if reason == UNSPECIFIED_REASON
            else f"{count} for {skip_reason_words(reason)}"
            for reason, count in sorted(metrics.skipped_by_reason.items())
        )
        skipped += f" ({reasons})"
    total = (
        metrics.taken
        + metrics.taken_late
        + metrics.skipped
        + metrics.missed
        + metrics.pending
        + metrics.on_hold
    )
    return (
        f"{metrics.first.isoformat()} to {metrics.last.isoformat()}: {figure}. "
        f"Of {total} scheduled doses: {metrics.taken} taken on time, {metrics.taken_late} taken "
        f"late, {skipped}, {metrics.missed} missed, {metrics.pending} not yet recorded, "
        f"{metrics.on_hold} on hold."
    )


def _not_taken_reason(status: str, skip_reason: str) -> Resource:
    if status == "missed":
        return {
            "coding": [{"system": SKIP_REASON_SYSTEM, "code": "missed", "display": "Missed"}],
            "text": "Missed: not recorded as taken by the end of the dose window",
        }
    reason = skip_reason or UNSPECIFIED_REASON
    words = skip_reason_words(reason)
    return {
        "coding": [{"system": SKIP_REASON_SYSTEM, "code": reason, "display": words}],
        "text": f"Skipped by the patient: {words}",
    }


def _plan_notes(summary: PlanSummary, revisions: Sequence[PlanRevision]) -> list[Resource]:
    """Why the plan is what it is: the guideline version, its flags and its reasons by rule (in
    plain words, with their status and sources), any departure from it, the dose changes and
    the holds."""
    plan = summary.plan
    notes = [f"Recommended by the guideline module, version {plan.guideline_version}."]
    if summary.flags:
        notes.append("Flags: " + "; ".join(flag_sentences(summary.flags)) + ".")
    for reason in reasons_of(summary):
        text = f"Rule {reason.rule}: {reason.text}"
        if reason.status_words:
            text += f" Status: {reason.status_words}."
        if reason.sources:
            text += " Sources: " + "; ".join(f"{code} {title}" for code, title in reason.sources)
            text += "."
        notes.append(text)
    if plan.override:
        changed = ", ".join(
            f"{key} {value}" for key, value in sorted(plan.override.items()) if key != "reason"
        )
        notes.append(
            f"Clinician override of the recommendation ({changed or 'decision'}): "
            f"{plan.override.get('reason', '')}"
        )
    for revision in revisions[1:]:
        notes.append(
            f"From {revision.effective_date.isoformat()}: {_dosage_text(revision)}. "
            f"Reason: {revision.reason}"
        )
    for hold in summary.holds:
        end = hold.end_date.isoformat() if hold.end_date else "until ended"
        notes.append(f"Held {hold.start_date.isoformat()} to {end}: {hold.reason}")
    return [{"text": text} for text in notes]


def _dosage(revision: PlanRevision, *, sequence: int, start: date, end: str | None) -> Resource:
    bounds = {"start": start.isoformat()}
    if end is not None:
        bounds["end"] = end
    return {
        "sequence": sequence,
        "text": _dosage_text(revision),
        "timing": {
            "repeat": {
                "boundsPeriod": bounds,
                "frequency": revision.doses_per_day,
                "period": 1,
                "periodUnit": "d",
                "timeOfDay": [
                    _wall(time.fromisoformat(t), seconds=True) for t in revision.dose_times
                ],
            }
        },
        "route": ORAL_ROUTE,
        "doseAndRate": [{"doseQuantity": _mg(revision)}],
    }


def _dosage_text(revision: PlanRevision) -> str:
    """E.g. "400 mg once daily at 08:00 (local time)"; 800 mg/day reads "400 mg twice daily"."""
    per_day = revision.doses_per_day
    often = {1: "once daily", 2: "twice daily"}.get(per_day, f"{per_day} times daily")
    times = [_wall(time.fromisoformat(t)) for t in revision.dose_times]
    at = times[0] if len(times) == 1 else ", ".join(times[:-1]) + f" and {times[-1]}"
    return f"{_mg_text(revision)} {often} at {at} (local time)"


def _mg_per_dose(revision: PlanRevision) -> int | float:
    per_dose = revision.dose_mg_per_day / revision.doses_per_day
    return int(per_dose) if per_dose.is_integer() else round(per_dose, 1)


def _mg_text(revision: PlanRevision) -> str:
    return f"{_mg_per_dose(revision)} mg"


def _mg(revision: PlanRevision) -> Resource:
    return {"value": _mg_per_dose(revision), "unit": "mg", "system": UCUM, "code": "mg"}


def _revisions_until(revisions: Sequence[PlanRevision], last: date) -> list[PlanRevision]:
    """The revisions in force at some point up to `last` (the first always: it starts the plan)."""
    ordered = sorted(revisions, key=lambda r: r.number)
    return ordered[:1] + [r for r in ordered[1:] if r.effective_date <= last]


def _revision_on(revisions: Iterable[PlanRevision], day: date) -> PlanRevision | None:
    ordered = sorted(revisions, key=lambda r: r.number)
    in_force = [r for r in ordered if r.effective_date <= day]
    return in_force[-1] if in_force else (ordered[0] if ordered else None)


def _plan_end(summary: PlanSummary, time_zone: str) -> str | None:
    """The planned last day, or the instant the plan was stopped if that came first; None for
    an indefinite plan still running."""
    plan = summary.plan
    end = plan.planned_end_date.isoformat() if plan.planned_end_date else None
    if plan.stopped_at is None:
        return end
    if plan.planned_end_date is not None:
        after_end = datetime.combine(
            plan.planned_end_date + timedelta(days=1), time.min, ZoneInfo(time_zone)
        )
        if plan.stopped_at >= after_end:
            return end
    return _instant(plan.stopped_at)


def _category(code: str, display: str) -> Resource:
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}


def _reference(resource_type: str, resource_id: str) -> Resource:
    return {"reference": f"{resource_type}/{resource_id}"}


def _wall(value: time, *, seconds: bool = False) -> str:
    return value.isoformat(timespec="seconds" if seconds else "minutes")


def _instant(value: datetime) -> str:
    """ISO 8601 in UTC with its offset; a naive datetime would be ambiguous, so it is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: FHIR instants need an offset")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

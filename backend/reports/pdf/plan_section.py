"""The report's title block and its plan section (the plan, its revisions, holds, override,
flags and the guideline's reasons)."""

from typing import Any
from zoneinfo import ZoneInfo

from reportlab.platypus import Flowable, Paragraph

from backend.adherence.selectors.plans import PlanSummary
from backend.common.presentation.wording import medium_date, plan_state_words, plural

from ..data import PatientReportData, flag_sentences
from .layout import TITLE, Styles, esc, facts, local_moment


def title_section(data: PatientReportData, zone: ZoneInfo, styles: Styles) -> list[Flowable]:
    patient = data.patient
    return [
        Paragraph(esc(TITLE), styles.title),
        facts(
            [
                ("Patient", f"<b>{esc(patient.display_name)}</b>"),
                ("Record number", esc(patient.medical_record_number)),
                ("Care team", esc(patient.care_team.name)),
                (
                    "Period",
                    f"{medium_date(data.first)} to {medium_date(data.last)} "
                    f"({plural((data.last - data.first).days + 1, 'day')}; "
                    f"days and times in the patient's time zone, {esc(patient.time_zone)})",
                ),
                ("Generated", f"{local_moment(data.generated_at, zone)} ({esc(zone.key)})"),
            ],
            styles,
        ),
    ]


def override_words(override: dict[str, Any]) -> str:
    changes = []
    if "dose_mg_per_day" in override:
        changes.append(f"dose {override['dose_mg_per_day']} mg/day")
    if "doses_per_day" in override:
        changes.append(f"{override['doses_per_day']} dose(s) a day")
    if "duration_months" in override:
        changes.append(f"duration {override['duration_months']} months")
    what = "; ".join(esc(change) for change in changes) or "the guideline's decision"
    return f"{what}. Reason: {esc(override.get('reason') or 'not given')}"


def plan_section(data: PatientReportData, styles: Styles) -> list[Flowable]:
    flow: list[Flowable] = [Paragraph("Treatment plan", styles.h2)]
    summary = data.plan
    if summary is None:
        flow.append(Paragraph("No treatment plan in this period.", styles.body))
        return flow
    plan = summary.plan
    revision = summary.current_revision
    if summary.day_of_plan is None:
        day = f"— (outside the plan's dates on {medium_date(summary.today)})"
    elif summary.total_days is None:
        day = f"Day {summary.day_of_plan} (ongoing, on {medium_date(summary.today)})"
    else:
        day = f"Day {summary.day_of_plan} of {summary.total_days} (on {medium_date(summary.today)})"
    pairs = [
        ("Setting", esc(plan.setting)),
        (
            "Dose",
            f"{revision.dose_mg_per_day} mg/day at {esc(', '.join(revision.dose_times))}",
        ),
        ("Started", medium_date(plan.start_date)),
        (
            "Planned end",
            medium_date(plan.planned_end_date)
            if plan.planned_end_date
            else "ongoing (no end date)",
        ),
        ("Day of plan", day),
        ("Days on drug since start", str(summary.exposure.days_on_drug)),
        ("State", esc(plan_state_words(summary.state))),
        ("Guideline version", esc(plan.guideline_version)),
    ]
    if plan.override:
        pairs.append(("Clinician override", override_words(plan.override)))
    if summary.flags:
        pairs.append(("Flags", "<br/>".join(esc(words) for words in flag_sentences(summary.flags))))
    holds = [
        f"{medium_date(hold.start_date)} to "
        f"{medium_date(hold.end_date) if hold.end_date else 'until ended'}: {esc(hold.reason)}"
        for hold in summary.holds
    ]
    pairs.append(("Holds", "<br/>".join(holds) or "None"))
    pairs.append(
        (
            "Dose revisions",
            "<br/>".join(
                f"{r.number}. From {medium_date(r.effective_date)}: {r.dose_mg_per_day} mg/day "
                f"at {esc(', '.join(r.dose_times))}. {esc(r.reason)}"
                for r in summary.revisions
            ),
        )
    )
    flow.append(facts(pairs, styles))
    for earlier in data.plans[:-1]:
        flow.append(Paragraph(earlier_plan_words(earlier), styles.small))
    if data.reasons:
        flow.append(Paragraph("The guideline's reasons", styles.h3))
        for number, reason in enumerate(data.reasons, start=1):
            status = f" <i>({esc(reason.status_words)})</i>" if reason.status_words else ""
            flow.append(Paragraph(f"{number}. {esc(reason.text)}{status}", styles.body))
            if reason.sources:
                sources = "; ".join(f"{esc(code)}: {esc(title)}" for code, title in reason.sources)
                flow.append(Paragraph(f"Sources: {sources}", styles.small))
    return flow


def earlier_plan_words(summary: PlanSummary) -> str:
    plan = summary.plan
    end = medium_date(plan.planned_end_date) if plan.planned_end_date else "ongoing"
    state = plan_state_words(summary.state)
    return (
        f"Earlier plan in this period: {esc(plan.setting)}, {medium_date(plan.start_date)} to "
        f"{end}, {esc(state)}. The figures below cover every plan in the period."
    )

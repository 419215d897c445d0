"""A patient with two and a half months of history for the export tests: a plan made through
the API, taken, late, skipped and missed doses, a hold, side-effect reports (one severe, so an
alert), a clinician grade, and one resolved alert."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.accounts.models import Patient, User
from backend.adherence.models import DoseStatus, PlanHold, SkipReason, TreatmentPlan
from backend.adherence.services.ledger import ledger_rewrite
from backend.alerts.models import Alert
from backend.alerts.services import alert_resolve
from backend.reports.data import PatientReportData, patient_report_data
from backend.sideeffects.models import SideEffectReport
from backend.sideeffects.services import clinician_assessment_record
from tests.factories.clients import client_for
from tests.factories.doses import DoseRecord, doses_logged
from tests.factories.plans import HIGH_RISK_CASE

ZONE = "Europe/Madrid"
PLAN_START = date(2026, 9, 1)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo(ZONE))
REPORT_FIRST = date(2026, 10, 1)
REPORT_LAST = date(2026, 11, 19)
HOLD = (date(2026, 10, 20), date(2026, 10, 22))


def local(day: date, wall: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(wall), tzinfo=ZoneInfo(ZONE))


@dataclass
class History:
    patient: Patient
    plan: TreatmentPlan
    nurse: User
    severe_report: SideEffectReport
    alert: Alert


def dose_status_for(day: date) -> tuple[str, bool, str]:
    """A fixed pattern: every 7th day skipped (side effects), every 11th missed, every 5th
    taken late, the rest taken on time."""
    n = (day - PLAN_START).days
    if n % 11 == 10:
        return DoseStatus.MISSED, False, ""
    if n % 7 == 6:
        return DoseStatus.SKIPPED, False, SkipReason.SIDE_EFFECTS
    if n % 5 == 4:
        return DoseStatus.TAKEN, True, ""
    return DoseStatus.TAKEN, False, ""


@pytest.fixture
def history(nurse, patient) -> History:
    patient.time_zone = ZONE
    patient.save()
    with time_machine.travel(NOW, tick=False):
        nurse_api = client_for(nurse)
        body = {
            "case": {**HIGH_RISK_CASE, "start_date": PLAN_START.isoformat()},
            "dose_times": ["08:00"],
        }
        response = nurse_api.post(f"/api/v1/patients/{patient.pk}/plans/", body, format="json")
        assert response.status_code == 201, response.json()
        plan = TreatmentPlan.objects.get(pk=response.json()["id"])
        PlanHold.objects.create(
            plan=plan, start_date=HOLD[0], end_date=HOLD[1], reason="Grade 3 rash", created_by=nurse
        )
        ledger_rewrite(plan, from_day=HOLD[0])  # the held days' rows, as plan_hold_add does
        logs = []
        day = PLAN_START
        while day < NOW.date():
            if not HOLD[0] <= day <= HOLD[1]:
                status, late, reason = dose_status_for(day)
                taken_at = None
                if status == DoseStatus.TAKEN:
                    taken_at = local(day, "11:30" if late else "08:05").astimezone(UTC)
                logs.append(
                    DoseRecord(
                        plan,
                        day,
                        1,
                        status,
                        taken_at=taken_at,
                        late=late,
                        skip_reason=reason,
                        recorded_by=patient.user,
                    )
                )
            day += timedelta(days=1)
        doses_logged(logs)
        phone = client_for(patient.user)
        for when, answers, note in [
            (local(date(2026, 10, 5), "19:00"), {"frequency": 1, "severity": 1}, "mild"),
            (local(date(2026, 11, 10), "19:00"), {"frequency": 3, "severity": 3}, "all day"),
        ]:
            with time_machine.travel(when, tick=False):
                response = phone.post(
                    "/api/v1/me/side-effects/",
                    {
                        "client_id": str(uuid4()),
                        "symptom": "nausea",
                        "answers": answers,
                        "note": note,
                    },
                    format="json",
                )
                assert response.status_code == 201, response.json()
        severe = SideEffectReport.objects.get(patient=patient, patient_level=3)
        with time_machine.travel(local(date(2026, 11, 11), "10:00"), tick=False):
            clinician_assessment_record(report=severe, assessed_by=nurse, grade=2, note="seen")
        alert = Alert.objects.get(patient=patient, kind="severe_symptom")
        with time_machine.travel(local(date(2026, 11, 12), "09:30"), tick=False):
            alert_resolve(alert=alert, user=nurse, outcome="contacted_patient", note="Antiemetic")
        alert.refresh_from_db()
    return History(patient=patient, plan=plan, nurse=nurse, severe_report=severe, alert=alert)


@pytest.fixture
def report_data(history) -> PatientReportData:
    with time_machine.travel(NOW, tick=False):
        return patient_report_data(history.patient, REPORT_FIRST, REPORT_LAST)

"""Plans the tablet supply tests start from."""

import time_machine

from backend.adherence.models import TreatmentPlan
from tests.factories.plans import HIGH_RISK_CASE, TreatmentPlanFactory

START = "2026-03-01"


def plan_600mg(nurse, patient) -> TreatmentPlan:
    """600 mg once a day at 08:00 (Madrid) from 1 March 2026: one 400 mg and two 100 mg
    tablets a dose (docs/clinical-facts.md §2.6)."""
    with time_machine.travel("2026-03-01 07:00:00+01:00", tick=False):
        return TreatmentPlanFactory.create(
            patient=patient,
            created_by=nurse,
            case=HIGH_RISK_CASE,
            start_date=START,
            override={"dose_mg_per_day": 600, "reason": "600 mg as prescribed"},
        )

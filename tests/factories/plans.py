"""Clinical cases the plan tests start from (add "start_date" to use one), and plans made
from them by the plan service."""

from collections.abc import Sequence
from datetime import date
from typing import Any

import factory

from backend.adherence.models import TreatmentPlan
from backend.adherence.services.plans import plan_create
from tests.factories.accounts import StaffFactory, activated_patient

DEFAULT_START = date(2026, 3, 1)

# Adjuvant, high risk (modified NIH), KIT exon 11: 400 mg once a day for 36 months.
HIGH_RISK_CASE: dict[str, Any] = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
}
# Advanced, KIT exon 9: 800 mg as 400 mg twice a day, no end date.
ADVANCED_KIT_EXON_9_CASE: dict[str, Any] = {
    "setting": "advanced",
    "site": "jejunum_ileum",
    "mutation": "kit_exon_9",
}


class TreatmentPlanFactory(factory.Factory[TreatmentPlan]):
    """A plan made by the plan service, as a nurse makes one: the guideline's recommendation,
    revision 1, the dose ledger and the audit row come with it (never a bare model row).

    `case` may carry its own start_date; `start_date` (a date or "YYYY-MM-DD") replaces it."""

    class Meta:
        model = TreatmentPlan

    patient = factory.LazyFunction(activated_patient)
    created_by = factory.LazyAttribute(
        lambda plan: StaffFactory(role="nurse", care_teams=[plan.patient.care_team])
    )
    case = factory.LazyFunction(lambda: dict(HIGH_RISK_CASE))
    start_date = factory.LazyAttribute(lambda plan: plan.case.get("start_date", DEFAULT_START))
    dose_times: Sequence[str] = ("08:00",)
    override: dict[str, Any] | None = None
    tablet_strengths_mg: Sequence[int] | None = None

    @classmethod
    def _create(cls, model_class: type[TreatmentPlan], *args: Any, **fields: Any) -> TreatmentPlan:
        plan = plan_create(
            patient=fields["patient"],
            created_by=fields["created_by"],
            case={**fields["case"], "start_date": str(fields["start_date"])},
            dose_times=list(fields["dose_times"]),
            override=fields["override"],
            tablet_strengths_mg=(
                list(fields["tablet_strengths_mg"]) if fields["tablet_strengths_mg"] else None
            ),
        )
        # As stored (the ledger's writes are on the row, not on the service's instance).
        return model_class.objects.get(pk=plan.pk)

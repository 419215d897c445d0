"""Side-effect (symptom) reports recorded by the side-effects service, as the patient's phone
sends them: scored, with the alerts their answers raise and the patient's instruction."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import factory

from backend.guidelines.symptoms import SYMPTOMS
from backend.sideeffects.models import SideEffectReport
from backend.sideeffects.services import side_effect_report_record
from tests.factories.accounts import activated_patient


class SideEffectReportFactory(factory.Factory[SideEffectReport]):
    """A report through side_effect_report_record. Every answer is `level` unless `answers`
    is given; level 1 (mild) raises no alert."""

    class Meta:
        model = SideEffectReport

    class Params:
        level = 1

    patient = factory.LazyFunction(activated_patient)
    reported_by = factory.LazyAttribute(lambda report: report.patient.user)
    client_id = factory.LazyFunction(uuid.uuid4)
    symptom = "nausea"
    answers = factory.LazyAttribute(
        lambda report: dict.fromkeys(SYMPTOMS[report.symptom].attributes, report.level)
    )
    onset_date: date | None = None
    note = ""
    weight_kg: Decimal | None = None

    @classmethod
    def _create(
        cls, model_class: type[SideEffectReport], *args: Any, **fields: Any
    ) -> SideEffectReport:
        return side_effect_report_record(**fields).report

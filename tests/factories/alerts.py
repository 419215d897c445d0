"""Alerts raised by the alerts service, as the rules raise them: deduplicated onto an open
alert of the same patient, kind and symptom, with the care team's notifications in the outbox."""

from datetime import datetime
from typing import Any

import factory

from backend.alerts.models import Alert
from backend.alerts.services import alert_raise
from backend.guidelines import AlertDecision
from tests.factories.accounts import activated_patient


class AlertFactory(factory.Factory[Alert]):
    """An alert through alert_raise. The summary defaults to "<symptom or kind>: <priority>";
    `now` (default: the clock's now) is when it is raised."""

    class Meta:
        model = Alert

    patient = factory.LazyFunction(activated_patient)
    kind = "severe_symptom"
    priority = "high"
    symptom = "nausea"
    summary = factory.LazyAttribute(
        lambda alert: f"{alert.symptom or alert.kind}: {alert.priority}"
    )
    rule = factory.LazyAttribute(lambda alert: f"alert.{alert.kind}")
    sources: tuple[str, ...] = ("S20",)
    now: datetime | None = None

    @classmethod
    def _create(cls, model_class: type[Alert], *args: Any, **fields: Any) -> Alert:
        decision = AlertDecision(
            kind=fields["kind"],
            priority=fields["priority"],
            rule=fields["rule"],
            text=fields["summary"],
            sources=tuple(fields["sources"]),
        )
        return alert_raise(
            patient=fields["patient"],
            decision=decision,
            symptom=fields["symptom"],
            now=fields["now"],
        )

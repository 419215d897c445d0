"""Missed-dose streak alerts, for the worker to call after the missed-dose sweep. Set-based:
a fixed number of queries per batch of plans, whatever the number of patients."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from backend.adherence.models import DoseLog, DoseStatus, PlanStatus, TreatmentPlan
from backend.guidelines import missed_streak_alert

from .models import Alert
from .services import alert_raise, alert_settings_for

# How far back a streak is traced. Longer streaks are still reported (as "at least" this long).
STREAK_LOOKBACK_DAYS = 60


def current_missed_streak(statuses_by_day: dict[date, set[str]]) -> tuple[int, date | None]:
    """(length, first day) of the run of days with a missed dose that ends at the latest day
    with any log. Days with no log (held, not yet resolved, not scheduled) neither break nor
    extend it, as in adherence.metrics."""
    length = 0
    first = None
    for day in sorted(statuses_by_day, reverse=True):
        if DoseStatus.MISSED not in statuses_by_day[day]:
            break
        length += 1
        first = day
    return length, first


def alerts_open_for_missed_streaks(now: datetime, *, batch_size: int = 500) -> list[Alert]:
    """Open (or update) one `missed_dose_streak` alert per patient whose current streak has
    reached their care team's threshold. A growing streak updates the open alert; a streak
    after a taken dose opens a new one once the previous alert is resolved."""
    raised: list[Alert] = []
    last_pk = None
    since = (now - timedelta(days=STREAK_LOOKBACK_DAYS)).date()
    while True:
        plans = TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE).order_by("pk")
        if last_pk is not None:
            plans = plans.filter(pk__gt=last_pk)
        batch = list(plans.select_related("patient__care_team")[:batch_size])
        if not batch:
            return raised
        last_pk = batch[-1].pk
        patients = {plan.patient_id: plan.patient for plan in batch}
        days: dict[object, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
        for patient_id, day, status in DoseLog.objects.filter(
            patient_id__in=list(patients), scheduled_date__gte=since
        ).values_list("patient_id", "scheduled_date", "status"):
            days[patient_id][day].add(status)
        open_alerts = {
            alert.patient_id: alert
            for alert in Alert.objects.filter(
                patient_id__in=list(patients), kind="missed_dose_streak"
            ).exclude(status="resolved")
        }
        settings_by_team = {}
        for patient_id, statuses in days.items():
            length, first = current_missed_streak(statuses)
            patient = patients[patient_id]
            team = patient.care_team_id
            if team not in settings_by_team:
                settings_by_team[team] = alert_settings_for(patient.care_team)
            decision = missed_streak_alert(length, settings_by_team[team])
            if decision is None or first is None:
                continue
            known = open_alerts.get(patient_id)
            if (
                known is not None
                and known.details.get("streak_started") == first.isoformat()
                and (known.details.get("streak_days") == length)
            ):
                continue  # the same streak, no longer than when last seen: nothing new
            raised.append(
                alert_raise(
                    patient=patient,
                    decision=decision,
                    details={"streak_days": length, "streak_started": first.isoformat()},
                    now=now,
                )
            )
    return raised

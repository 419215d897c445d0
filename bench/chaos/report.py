"""The figures, from the run's database and the fake FCM's record (and the phones' record of
what the server acknowledged). Every "must be 0" figure names a promise of the design."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from .fcm import ChaosFcm
from .phones import Board
from .seed import PhoneSeed

MUST_BE_ZERO = (
    "acknowledged_not_stored",
    "stored_twice",
    "alerts_duplicated",
    "severe_or_red_flag_without_alert",
    "streaks_without_alert",
    "open_streak_alerts_without_streak",
    "outbox_pending_after_drain",
    "outbox_failed_transient",
    "reminders_due_never_sent",
)


def _streak_rule():
    """The streak rule of backend/alerts/streaks.py, as it stands: (a function telling whether an
    open alert's streak still stands, which rule was used). Another change may be reworking it;
    use its own functions, never a copy of the rule."""
    from backend.alerts import streaks
    from backend.alerts.services import alert_settings_for
    from backend.guidelines import missed_streak_alert

    def statuses(patient_id: UUID, since: date) -> dict[date, set[str]]:
        from backend.adherence.metrics import LOG_STATUSES
        from backend.adherence.models import ScheduledDose

        # The dose ledger's logged states (pending and held rows are no log).
        days: dict[date, set[str]] = defaultdict(set)
        for day, state in ScheduledDose.objects.filter(
            patient_id=patient_id, local_date__gte=since, state__in=LOG_STATUSES
        ).values_list("local_date", "state"):
            days[day].add(state)
        return days

    def qualifies(length: int, patient: Any) -> bool:
        return missed_streak_alert(length, alert_settings_for(patient.care_team)) is not None

    lookback = streaks.STREAK_LOOKBACK_DAYS

    def current(patient: Any, today: date) -> int:
        length, _first = streaks.current_missed_streak(
            statuses(patient.pk, today - timedelta(days=lookback))
        )
        return length

    if hasattr(streaks, "missed_streak_runs"):
        # The withdrawal rule (issue 19): an alert stands while a run of missed days since its
        # streak began still reaches the team's threshold.
        def stands(alert: Any, today: date) -> tuple[bool, int]:
            try:
                started = date.fromisoformat(alert.details["streak_started"])
            except (KeyError, TypeError, ValueError):
                started = today - timedelta(days=lookback)
            runs = streaks.missed_streak_runs(statuses(alert.patient_id, started))
            good = [length for length, _ in runs if qualifies(length, alert.patient)]
            return bool(good), (good[-1] if good else 0)

        return stands, current, "missed_streak_runs (runs since the alert's streak began)"

    def stands_current(alert: Any, today: date) -> tuple[bool, int]:
        length = current(alert.patient, today)
        return qualifies(length, alert.patient), length

    return stands_current, current, "current_missed_streak (the current streak)"


def figures(
    *,
    seeds: list[PhoneSeed],
    board: Board,
    fcm: ChaosFcm,
    run_started: float,
    reminders_until: float,
    nurse_fcm_token: str,
) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count

    from backend.accounts.models import Patient
    from backend.adherence.metrics import LOG_STATUSES
    from backend.adherence.models import DoseLogRevision, ScheduledDose, TreatmentPlan
    from backend.adherence.selectors.doses import plan_doses, zone_periods
    from backend.alerts.models import Alert
    from backend.notifications.models import Device, OutboxMessage
    from backend.sideeffects.models import SideEffectReport

    connection.close()  # a connection of the orchestrator's may have been terminated
    out: dict[str, Any] = {}
    details: dict[str, Any] = {}
    acks = board.acks

    # ---------------------------------------------------------------- items acknowledged
    dose_ids = {cid for cid, a in acks.items() if a[0].kind == "dose"}
    report_ids = {cid for cid, a in acks.items() if a[0].kind == "report"}
    device_tokens = {cid for cid, a in acks.items() if a[0].kind == "device"}
    stored_doses = {
        str(c)
        for c in ScheduledDose.objects.filter(client_id__in=dose_ids).values_list(
            "client_id", flat=True
        )
    }
    stored_reports = {
        str(c)
        for c in SideEffectReport.objects.filter(client_id__in=report_ids).values_list(
            "client_id", flat=True
        )
    }
    stored_devices = set(
        Device.objects.filter(token__in=device_tokens).values_list("token", flat=True)
    )
    missing: list[tuple[str, str | None]] = [
        *[("dose", c) for c in sorted(dose_ids - stored_doses)],
        *[("report", c) for c in sorted(report_ids - stored_reports)],
        *[("device", "…" + c[-6:]) for c in sorted(device_tokens - stored_devices)],
    ]
    # An acknowledged correction: its log (the ledger row the answer named) carries the
    # phone's note and a revision for it.
    corrections = [a[0] for a in acks.values() if a[0].kind == "correction"]
    corrected_ids = [a.object_id for a in corrections if a.object_id]
    notes = dict(ScheduledDose.objects.filter(pk__in=corrected_ids).values_list("pk", "note"))
    for ack in corrections:
        if notes.get(_uuid(ack.object_id)) != ack.body.get("note"):
            missing.append(("correction", ack.object_id))
    out["acknowledged_not_stored"] = len(missing)
    details["acknowledged_not_stored"] = missing[:20]

    # ---------------------------------------------------------------- stored twice
    patient_ids = [s.patient_id for s in seeds]
    known_dose_ids = dose_ids | {c for s in seeds for c in s.seeded_client_ids}
    phone_sent_doses = {r.client_id for r in board.records if r.kind == "dose"}
    twice: list[Any] = []
    # Taken and skipped rows are the phones' logs (missed ones the sweep's, the rest unlogged).
    unexplained = ScheduledDose.objects.filter(
        patient_id__in=patient_ids, state__in=("taken", "skipped")
    )
    for client_id, in_day in unexplained.values_list("client_id", "local_date"):
        if str(client_id) not in known_dose_ids and str(client_id) not in phone_sent_doses:
            twice.append(("dose row no phone item explains", str(client_id), str(in_day)))
    sent_reports = {r.client_id for r in board.records if r.kind == "report"}
    for client_id in SideEffectReport.objects.filter(patient_id__in=patient_ids).values_list(
        "client_id", flat=True
    ):
        if str(client_id) not in sent_reports:
            twice.append(("report row no phone item explains", str(client_id)))
    # One correction resent after a lost answer must write one revision, not two.
    per_log = Counter(
        str(log_id)
        for log_id in DoseLogRevision.objects.filter(
            dose_log__patient_id__in=patient_ids, reason="corrected by patient"
        ).values_list("dose_log_id", flat=True)
    )
    for log_id, count in per_log.items():
        if count > 1:
            twice.append(("correction revisions", log_id, count))
    for mismatch in board.replay_mismatches:
        twice.append(("replay answered another row", mismatch))
    out["stored_twice"] = len(twice)
    details["stored_twice"] = twice[:20]

    # ---------------------------------------------------------------- alerts
    alerts = list(
        Alert.objects.filter(patient_id__in=patient_ids).select_related("patient__care_team")
    )
    unresolved = Counter(
        (str(a.patient_id), a.kind, a.symptom) for a in alerts if a.status != "resolved"
    )
    duplicated: list[tuple[str, ...]] = [k for k, n in unresolved.items() if n > 1]
    # Each severe answer or red flag is one cause: the alert counts it once.
    severe_causes: Counter[tuple[str, str, str]] = Counter()
    for report in SideEffectReport.objects.filter(patient_id__in=patient_ids):
        scores = [v for k, v in (report.patient_scores or {}).items() if isinstance(v, int)]
        is_yes_no = set(report.patient_scores or {}) <= {"present", "presence"}
        if not is_yes_no and any(v >= 3 for v in scores):
            severe_causes[(str(report.patient_id), "severe_symptom", report.symptom)] += 1
        for flag in report.red_flags or []:
            severe_causes[(str(report.patient_id), "red_flag", flag)] += 1
    occurrences: Counter[tuple[str, str, str]] = Counter()
    for a in alerts:
        if a.kind in ("severe_symptom", "red_flag"):
            occurrences[(str(a.patient_id), a.kind, a.symptom)] += a.occurrences
    for key, n in occurrences.items():
        if n > severe_causes.get(key, 0):
            duplicated.append((*key, f"{n} occurrences for {severe_causes.get(key, 0)} causes"))
    out["alerts_duplicated"] = len(duplicated)
    details["alerts_duplicated"] = duplicated[:20]
    without = [
        (*key, f"{causes} causes, {occurrences.get(key, 0)} counted")
        for key, causes in severe_causes.items()
        if occurrences.get(key, 0) < causes
    ]
    out["severe_or_red_flag_without_alert"] = len(without)
    details["severe_or_red_flag_without_alert"] = without[:20]
    details["severe_causes"] = sum(severe_causes.values())

    # ---------------------------------------------------------------- streaks
    from backend.accounts.selectors import patient_local_today

    stands, current, rule = _streak_rule()
    details["streak_rule"] = rule
    open_streaks = [a for a in alerts if a.kind == "missed_dose_streak" and a.status != "resolved"]
    stale, shortened = [], []
    for alert in open_streaks:
        today = patient_local_today(alert.patient)
        ok, length = stands(alert, today)
        if not ok:
            stale.append((str(alert.patient_id), alert.details.get("streak_days"), alert.status))
        elif length != alert.details.get("streak_days"):
            shortened.append((str(alert.patient_id), alert.details.get("streak_days"), length))
    out["open_streak_alerts_without_streak"] = len(stale)
    details["open_streak_alerts_without_streak"] = stale[:20]
    details["open_streak_alerts_with_another_length"] = shortened[:20]
    has_open = {str(a.patient_id) for a in open_streaks}
    missing_streaks = []
    for patient in Patient.objects.filter(pk__in=patient_ids).select_related("care_team"):
        from backend.alerts.services import alert_settings_for
        from backend.guidelines import missed_streak_alert

        length = current(patient, patient_local_today(patient))
        if missed_streak_alert(length, alert_settings_for(patient.care_team)) and (
            str(patient.pk) not in has_open
        ):
            missing_streaks.append((str(patient.pk), length))
    out["streaks_without_alert"] = len(missing_streaks)
    details["streaks_without_alert"] = missing_streaks[:20]
    resolved_later = [
        a for a in alerts if a.kind == "missed_dose_streak" and a.status == "resolved"
    ]
    details["streak_alerts"] = {
        "open": len(open_streaks),
        "resolved_by_the_system": sum(1 for a in resolved_later if a.resolved_by_id is None),
    }

    # ---------------------------------------------------------------- outbox
    rows = OutboxMessage.objects.all()
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    out["outbox_pending_after_drain"] = by_status.get("pending", 0)
    failed = list(rows.filter(status="failed").values_list("id", "last_error"))
    out["outbox_failed_transient"] = len(failed)
    details["outbox"] = {"by_status": by_status, "failed": [(i, e[:120]) for i, e in failed[:10]]}

    # ---------------------------------------------------------------- reminders
    ok_pushes = fcm.ok_pushes()
    delivered_ids = {p.outbox_id for p in ok_pushes}
    plans = TreatmentPlan.objects.filter(patient_id__in=patient_ids).select_related("patient")
    expected = []
    for plan in plans.prefetch_related("revisions", "holds", "patient__zone_changes"):
        today = patient_local_today(plan.patient)
        for dose in plan_doses(
            plan, zone_periods(plan.patient), today - timedelta(days=1), today + timedelta(days=1)
        ):
            due = dose.due_at.timestamp()
            if plan.created_at.timestamp() < due <= reminders_until and not dose.on_hold:
                expected.append((plan.patient, dose))
    logged = set(
        ScheduledDose.objects.filter(
            patient_id__in=patient_ids, state__in=LOG_STATUSES
        ).values_list("patient_id", "local_date", "slot")
    )
    never = []
    for patient, dose in expected:
        if (patient.pk, dose.date, dose.slot) in logged:
            continue  # a log stops reminders (the run's phones never log these doses)
        dedupe_key = f"reminder:{patient.pk}:{dose.date.isoformat()}:{dose.slot}:0"
        row = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if row is None:
            never.append((str(patient.pk), str(dose.date), dose.slot, "no outbox row"))
        elif row.status != "sent":
            never.append((str(patient.pk), str(dose.date), dose.slot, row.status))
        elif row.sent_at is not None and str(row.pk) not in delivered_ids:
            never.append((str(patient.pk), str(dose.date), dose.slot, "sent, never reached FCM"))
    out["reminders_due_never_sent"] = len(never)
    details["reminders"] = {"due_in_run": len(expected), "never_sent": never[:20]}

    # ---------------------------------------------------------------- pushes twice
    per_row: dict[tuple[str, str], list[str]] = defaultdict(list)
    first_at: dict[tuple[str, str], float] = {}
    for push in ok_pushes:
        per_row[(push.outbox_id, push.token)].append(push.tag)
        first_at.setdefault((push.outbox_id, push.token), push.at)
    twice_pushed = {k: v for k, v in per_row.items() if len(v) > 1}
    # When (seconds after the phones started) each row pushed twice was first accepted: they
    # should cluster at the kills mid-send (at-least-once).
    twice_at = sorted(round(first_at[k] - run_started) for k in twice_pushed)
    details["pushes"] = {
        "requests": len(fcm.all_pushes()),
        "answers": dict(Counter(p.answered for p in fcm.all_pushes())),
        "delivered": len(ok_pushes),
        "sent_twice_for_one_row": len(twice_pushed),
        "sent_twice_with_the_same_tag": sum(1 for v in twice_pushed.values() if len(set(v)) == 1),
        "sent_twice_first_at_s": dict(Counter(twice_at)),
        "nurse_pushes": sum(1 for p in ok_pushes if p.token == nurse_fcm_token),
        "devices_deactivated": dict(
            Device.objects.filter(active=False)
            .values_list("deactivation_reason")
            .annotate(n=Count("id"))
            .values_list("deactivation_reason", "n")
        ),
    }
    out["pushes_sent_twice_for_one_row"] = len(twice_pushed)
    out["pushes_sent_twice_with_another_tag"] = (
        len(twice_pushed) - details["pushes"]["sent_twice_with_the_same_tag"]
    )

    # ---------------------------------------------------------------- phones
    outcomes = Counter(r.outcome for r in board.records)
    details["phones"] = {
        "requests": len(board.records),
        "outcomes": dict(outcomes),
        "acknowledged": dict(Counter(a[0].kind for a in acks.values())),
        "answers_treated_as_lost": board.lost_answers,
        "refused_4xx": len(board.refused),
        "refused_examples": board.refused[:5],
        "stored": {
            "dose_logs_by_phones": len(stored_doses),
            "reports": len(stored_reports),
        },
    }
    return {"figures": out, "details": details}


def _uuid(value: str | None) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return value

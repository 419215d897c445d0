"""The run's patients, written through the app's own services (enrolment, plan_create,
dose_log_record, the missed-dose sweep and the streak alerts), so every row is one the app
would write. Runs in the orchestrator with Django set up on the run's own database.

Each phone's patient is on adjuvant imatinib, once a day, since 10 days ago, in one of six
zones. About half take their dose at a local time that falls due while the run goes on (their
reminder must reach the phone; they never log that dose, so nothing stops the reminder); the
others' dose time was earlier today, and the phone logs today's dose during the run. The days
before were logged at seed time, except:

- "regular" patients leave the last one or two days for the phone to back-fill;
- "missers" left the last 3 to 5 days unlogged: the sweep marks them missed and a
  missed-dose streak alert opens at seed time. During the run the phone logs some or all of
  them late (taken, or skipped), as a phone that was offline would.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ZONES = (
    "Europe/Madrid",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Los_Angeles",
)
PASSWORD = "chaos-nurse-password-2026"  # noqa: S105 - a throwaway run database
CASE = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
}
SKIP_REASONS = ("forgot", "travel", "side_effects", "other")


@dataclass
class DoseItem:
    date: str
    slot: int
    status: str  # taken | skipped
    taken_at: str | None
    skip_reason: str
    due_at: float
    late_for_missed: bool  # the day was marked missed at seed time (or may be by now)


@dataclass
class PhoneSeed:
    index: int
    patient_id: str
    user_id: int
    token: str  # API bearer token
    fcm_token: str
    platform: str
    time_zone: str
    profile: str  # regular | misser
    dead_token: bool  # the fake FCM answers UNREGISTERED for this phone's FCM token
    reminder_due_at: float | None  # today's dose falls due in the run (never logged by the phone)
    doses: list[DoseItem] = field(default_factory=list)  # what the phone logs during the run
    seeded_client_ids: list[str] = field(default_factory=list)


def _local_time_str(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.hour:02d}:{local.minute:02d}"


def seed(
    *, phones: int, run_starts_at: float, run_seconds: float, seed_value: int
) -> tuple[list[PhoneSeed], dict[str, object]]:
    from django.conf import settings
    from django.utils import timezone

    from backend.accounts.models import Patient, User
    from backend.accounts.selectors import patient_local_today
    from backend.accounts.services import (
        auth_token_issue,
        care_team_create,
        patient_enrol,
        staff_create,
    )
    from backend.adherence.selectors.doses import plan_doses, zone_periods
    from backend.adherence.services.dose_logs import dose_log_record
    from backend.adherence.services.missed_doses import doses_mark_missed
    from backend.adherence.services.plans import plan_create
    from backend.alerts.streaks import alerts_open_for_missed_streaks
    from backend.notifications.services import device_register

    rng = random.Random(seed_value)  # noqa: S311 - a simulation
    team = care_team_create(name="Chaos team", phone="+34 900 000 000")
    nurse = staff_create(
        username="chaos.nurse", role="nurse", password=PASSWORD, care_team_name=team.name
    )
    nurse_token = f"chaos-nurse-{uuid.uuid4().hex}"
    device_register(user=nurse, token=nurse_token, platform="android")
    now = timezone.now()
    # Reminder doses fall due between 20 s after the phones start and 10 s before they stop,
    # on whole minutes (dose times are HH:MM).
    window_start = datetime.fromtimestamp(run_starts_at + 20, UTC)
    window_end = datetime.fromtimestamp(run_starts_at + run_seconds - 10, UTC)
    minutes: list[datetime] = []
    moment = window_start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment <= window_end or not minutes:  # at least one, even in a short run
        minutes.append(moment)
        moment += timedelta(minutes=1)
    seeds: list[PhoneSeed] = []
    for index in range(phones):
        zone = ZONES[index % len(ZONES)]
        patient, _code = patient_enrol(
            enrolled_by=nurse,
            display_name=f"Chaos patient {index}",
            medical_record_number=f"CHAOS-{index:04d}",
            time_zone=zone,
        )
        user = User.objects.create(
            username=f"chaos.patient.{index}", role="patient", first_name=patient.display_name
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Patient.objects.filter(pk=patient.pk).update(user=user)
        patient.refresh_from_db()
        today = patient_local_today(patient)
        reminder = bool(minutes) and index % 2 == 0
        if reminder:
            due = rng.choice(minutes)
            dose_time = _local_time_str(due, zone)
        else:
            earlier = now - timedelta(hours=rng.uniform(0.5, 3))
            local = earlier.astimezone(ZoneInfo(zone))
            dose_time = "00:00" if local.date() < today else f"{local.hour:02d}:{local.minute:02d}"
        plan = plan_create(
            patient=patient,
            created_by=nurse,
            case={**CASE, "start_date": (today - timedelta(days=10)).isoformat()},
            dose_times=[dose_time],
        )
        doses = plan_doses(plan, zone_periods(patient), today - timedelta(days=7), today)
        past = [d for d in doses if d.due_at < now]
        profile = "misser" if rng.random() < 0.3 else "regular"
        unlogged = rng.randint(3, 5) if profile == "misser" else rng.randint(1, 2)
        # Today's dose (when already due) is always the phone's to log.
        days_ago = {d: (today - d.date).days for d in past}
        phone = PhoneSeed(
            index=index,
            patient_id=str(patient.pk),
            user_id=user.pk,
            token=auth_token_issue(user=user)[1],
            fcm_token=f"chaos-{index}-{uuid.uuid4().hex}",
            platform=rng.choice(("android", "android", "ios", "web")),
            time_zone=zone,
            profile=profile,
            dead_token=rng.random() < 0.03,
            reminder_due_at=None,
        )
        for dose in doses:
            if dose.due_at >= now and plan.created_at < dose.due_at:
                phone.reminder_due_at = dose.due_at.timestamp()
        for dose in past:
            ago = days_ago[dose]
            taken_at = dose.due_at + timedelta(minutes=rng.randint(0, 90))
            taken_at = min(taken_at, now - timedelta(seconds=5))
            if ago == 0 or ago <= unlogged:
                # The phone's: logged during the run (back-filled, late for a misser).
                skipped = rng.random() < 0.15
                phone.doses.append(
                    DoseItem(
                        date=dose.date.isoformat(),
                        slot=dose.slot,
                        status="skipped" if skipped else "taken",
                        taken_at=None if skipped else taken_at.isoformat(),
                        skip_reason=rng.choice(SKIP_REASONS) if skipped else "",
                        due_at=dose.due_at.timestamp(),
                        late_for_missed=ago >= 1,
                    )
                )
                continue
            client_id = uuid.uuid4()
            dose_log_record(
                patient=patient,
                recorded_by=user,
                client_id=client_id,
                scheduled_date=dose.date,
                slot=dose.slot,
                status="taken",
                taken_at=taken_at,
            )
            phone.seeded_client_ids.append(str(client_id))
        if profile == "misser" and rng.random() < 0.35:
            # Some missers log only the oldest missed day: the streak is shortened, not gone.
            backfill = [d for d in phone.doses if d.late_for_missed]
            keep = {id(d) for d in backfill[:1]} | {
                id(d) for d in phone.doses if not d.late_for_missed
            }
            phone.doses = [d for d in phone.doses if id(d) in keep]
        seeds.append(phone)
    missed = doses_mark_missed(timezone.now())
    streaks = alerts_open_for_missed_streaks(timezone.now())
    return seeds, {
        "seeded_at": now.isoformat(),
        "nurse_fcm_token": nurse_token,
        "missed_rows_at_seed": missed,
        "streak_alerts_at_seed": len(streaks),
        "reminder_phones": sum(1 for s in seeds if s.reminder_due_at),
        "backfill_window_days": settings.DOSE_BACKFILL_DAYS,
    }

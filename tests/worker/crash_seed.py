"""Seed for the SIGKILL test (run in its own process): N patients in UTC with a plan whose
08:00 dose is due at the moment given, each with one device."""

import sys
import uuid
from datetime import datetime, timedelta

import django

django.setup()

from django.utils import timezone  # noqa: E402

from backend.accounts.models import CareTeam, Patient, User  # noqa: E402
from backend.adherence.models import PlanRevision, TreatmentPlan  # noqa: E402
from backend.adherence.services.ledger import ledger_write  # noqa: E402
from backend.notifications.models import Device  # noqa: E402

count = int(sys.argv[1])
due = datetime.fromisoformat(sys.argv[2])
team = CareTeam.objects.create(name="Crash test")
nurse = User.objects.create(username="crash-nurse", role="nurse")
users = User.objects.bulk_create(
    [User(username=f"crash-{n}", role="patient") for n in range(count)]
)
patients = Patient.objects.bulk_create(
    [
        Patient(
            user=user,
            care_team=team,
            display_name=f"P{n}",
            medical_record_number=f"C{n}",
            time_zone="UTC",
        )
        for n, user in enumerate(users)
    ]
)
start = due.date()
plans = TreatmentPlan.objects.bulk_create(
    [
        TreatmentPlan(
            patient=patient,
            setting="advanced",
            start_date=start,
            case={},
            recommendation={},
            guideline_version="test",
            created_by=nurse,
        )
        for patient in patients
    ]
)
PlanRevision.objects.bulk_create(
    [
        PlanRevision(
            plan=plan,
            number=1,
            effective_date=start,
            dose_mg_per_day=400,
            doses_per_day=1,
            dose_times=[due.time().strftime("%H:%M")],
            reason="seed",
            created_by=nurse,
        )
        for plan in plans
    ]
)
# The dose ledger as plan creation writes it, a minute before the dose is due.
ledger_write(
    TreatmentPlan.objects.filter(pk__in=[plan.pk for plan in plans]), due - timedelta(minutes=1)
)
Device.objects.bulk_create(
    [
        Device(
            user=user,
            token=f"token-{user.pk}-{uuid.uuid4().hex[:8]}",
            platform="android",
            last_seen_at=timezone.now(),
        )
        for user in users
    ]
)
print(len(plans))

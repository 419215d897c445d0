"""Demo data for `make run`: a care team, a nurse, a coordinator and three patients, each with
a treatment plan and months of dose history. The nurse and coordinator get the demo TOTP
secret (settings.DEMO_TOTP_SECRET) as their second factor; the sign-in details are printed.

Idempotent: running it again finds what is there and creates nothing twice. Development only.
"""

import os
import re
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from backend.accounts.mfa import (
    confirmed_totp_device,
    totp_device_provision,
    totp_otpauth_uri,
    totp_secret_to_hex,
)
from backend.accounts.models import CareTeam, Patient, User
from backend.accounts.roles import Role
from backend.accounts.selectors import patient_local_today
from backend.accounts.services import (
    care_team_create,
    care_team_member_add,
    patient_activate,
    patient_enrol,
)
from backend.adherence.models import TreatmentPlan
from backend.adherence.selectors.tablets import active_regimens
from backend.adherence.services.plans import plan_create, plan_hold_add
from backend.alerts.streaks import alerts_open_for_missed_streaks
from backend.caregivers.services import caregiver_accept, caregiver_invitation_issue
from backend.demo.history import dose_history_create
from backend.refills.models import SupplySource
from backend.refills.services import tablet_supply_record
from backend.sideeffects.services import side_effect_report_record

TEAM_NAME = "Demo Sarcoma Clinic"
STAFF = [("nurse.demo", Role.NURSE), ("coordinator.demo", Role.COORDINATOR)]
PATIENTS = [
    # username, display name, medical record number, time zone, language
    ("patient.ana", "Ana García", "DEMO-0001", "Europe/Madrid", "es"),
    ("patient.ben", "Ben Okafor", "DEMO-0002", "Europe/London", "en"),
    ("patient.chen", "Chen Wei", "DEMO-0003", "America/New_York", "en"),
]
# A caregiver (issue 22): Ana's daughter, who sees whether Ana's doses of today are logged.
# username, their name, the patient's record number, how the patient appears to them, language
CAREGIVER = ("carer.ana", "Lucía", "DEMO-0001", "Ana", "es")
# Per patient: the case, dose times, how many days ago the plan started, the share of doses
# taken, and a hold (days ago it started, its length) or None.
# record number -> (case, dose times, days ago, adherence, hold: (days ago, length) or None)
PLANS: dict[str, tuple[dict[str, Any], list[str], int, float, tuple[int, int] | None]] = {
    "DEMO-0001": (
        {
            "setting": "adjuvant",
            "site": "stomach",
            "size_cm": 8.5,
            "mitoses_per_50hpf": 9,
            "mutation": "kit_exon_11",
        },
        ["08:00"],
        150,
        0.95,
        None,
    ),
    "DEMO-0002": (
        {"setting": "advanced", "site": "jejunum_ileum", "mutation": "kit_exon_9"},
        ["08:00", "20:00"],
        120,
        0.84,
        None,
    ),
    "DEMO-0003": (
        {
            "setting": "adjuvant",
            "site": "jejunum_ileum",
            "size_cm": 6,
            "mitoses_per_50hpf": 7,
            "rupture": True,
            "mutation": "unknown",
        },
        ["09:00"],
        100,
        0.74,
        (40, 7),
    ),
}


DEMO_TEAM_PHONE = "+34 600 000 000"
# The demo staff's TOTP secret when the settings give none (backend/settings/local.py does:
# DEMO_TOTP_SECRET). Clearly a demo value; production settings have no demo secret at all.
DEMO_TOTP_SECRET = "DEMOGISTDEMOGISTDEMOGISTDEMOGIST"  # noqa: S105 (a published demo value)


def _base_url() -> str:
    """Where `make run` serves (gunicorn's --bind in GUNICORN_CMD_ARGS, the Makefile's
    default 127.0.0.1:8000)."""
    bind = re.search(r"--bind[= ](\S+)", os.environ.get("GUNICORN_CMD_ARGS", ""))
    address = bind.group(1) if bind else "127.0.0.1:8000"
    if address.startswith(("unix:", "fd:")) or ":" not in address:
        address = "127.0.0.1:8000"
    host, _, port = address.rpartition(":")
    if host in ("0.0.0.0", "", "[::]"):  # noqa: S104 (a bind address read, not bound)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Create demo accounts (development only); prints their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-non-debug",
            action="store_true",
            help="Run even though DEBUG is off (never on a real deployment).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["allow_non_debug"]:
            raise CommandError("seed_demo is for development only (DEBUG is off).", returncode=2)
        password = getattr(settings, "DEMO_PASSWORD", "imatinib-demo-2026")
        totp_secret = getattr(settings, "DEMO_TOTP_SECRET", "") or DEMO_TOTP_SECRET
        with transaction.atomic():
            team = CareTeam.objects.filter(name=TEAM_NAME).first() or care_team_create(
                name=TEAM_NAME
            )
            if not team.phone:
                # A number the patient app shows after a red flag (a made-up demo number).
                team.phone = DEMO_TEAM_PHONE
                team.save(update_fields=["phone"])
            staff = {}
            for username, role in STAFF:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(username=username, password=password, role=role)
                care_team_member_add(care_team=team, user=user)
                self._demo_second_factor(user, totp_secret)
                staff[role] = user
            for username, name, record_number, zone, language in PATIENTS:
                if Patient.objects.filter(care_team=team, medical_record_number=record_number):
                    continue
                _, code = patient_enrol(
                    enrolled_by=staff[Role.NURSE],
                    display_name=name,
                    medical_record_number=record_number,
                    time_zone=zone,
                    language=language,
                )
                patient_activate(invitation_code=code, password=password, username=username)
            for patient in Patient.objects.filter(care_team=team).select_related("user"):
                if (
                    patient.medical_record_number in PLANS
                    and not TreatmentPlan.objects.filter(patient=patient).exists()
                ):
                    self._plan_with_history(patient, staff[Role.NURSE])
                    self._symptoms(patient)
                    self._tablet_count(patient, staff[Role.NURSE])
            self._caregiver(team, password)
            # Open alerts for the dashboard: streaks in the histories above.
            alerts_open_for_missed_streaks(timezone.now())
        base_url = _base_url()
        self.stdout.write(f"Demo logins (password for all: {password}); open {base_url}/api/docs/")
        self.stdout.write(f"  care team:   {TEAM_NAME}")
        for username, role in STAFF:
            self.stdout.write(f"  {role:<12} {username}")
        for username, name, _, zone, _ in PATIENTS:
            self.stdout.write(f"  {'patient':<12} {username}  ({name}, {zone})")
        carer_username, carer_name, _, patient_name, _ = CAREGIVER
        self.stdout.write(
            f"  {'caregiver':<12} {carer_username}  ({carer_name}, sees {patient_name}'s doses "
            "of today in the patient app)"
        )
        self.stdout.write(
            f"Dashboard sign-in for care staff: {base_url}/dashboard/sign-in/ "
            f"(second factor {'required' if settings.STAFF_MFA_REQUIRED else 'off'})"
        )
        for username, role in STAFF:
            user = staff[role]
            device = confirmed_totp_device(user)
            self.stdout.write(
                f"  {role:<12} username {username}  password {password}  TOTP secret {totp_secret}"
            )
            if device is not None:
                self.stdout.write(f"  {'':<12} otpauth URI {totp_otpauth_uri(device)}")
        self.stdout.write(
            f"  The code: `oathtool --totp -b {totp_secret}` or an authenticator app with that "
            "secret (a demo secret: never use it for a real account)."
        )

    def _caregiver(self, team: CareTeam, password: str) -> None:
        """The demo caregiver, linked through the patient's own invitation (once)."""
        username, name, record_number, patient_name, language = CAREGIVER
        if User.objects.filter(username=username).exists():
            return
        patient = Patient.objects.get(care_team=team, medical_record_number=record_number)
        _, code = caregiver_invitation_issue(patient=patient, patient_name=patient_name)
        caregiver_accept(
            invitation_code=code,
            username=username,
            password=password,
            display_name=name,
            language=language,
        )

    def _demo_second_factor(self, user: User, secret: str) -> None:
        """The demo secret as the user's TOTP device (again if it was changed), so the printed
        secret always works."""
        device = confirmed_totp_device(user)
        if device is None or device.key != totp_secret_to_hex(secret):
            totp_device_provision(user=user, secret=secret, via="seed_demo")

    def _plan_with_history(self, patient: Patient, nurse: User) -> None:
        case, dose_times, days_ago, adherence, hold = PLANS[patient.medical_record_number]
        today = patient_local_today(patient)
        start = today - timedelta(days=days_ago)
        plan = plan_create(
            patient=patient,
            created_by=nurse,
            case={**case, "start_date": start.isoformat()},
            dose_times=dose_times,
        )
        if hold is not None:
            hold_days_ago, length = hold
            plan_hold_add(
                plan=plan,
                created_by=nurse,
                start_date=today - timedelta(days=hold_days_ago),
                end_date=today - timedelta(days=hold_days_ago - length + 1),
                reason="Grade 3 rash (demo)",
            )
        assert patient.user is not None  # every demo patient has the app
        dose_history_create(
            plan=plan,
            patient=patient,
            user=patient.user,
            until=today - timedelta(days=1),
            adherence=adherence,
            seed=days_ago,
            current_streak=adherence < 0.8,
        )

    def _symptoms(self, patient: Patient) -> None:
        """A few reports; the last patient's vomiting is severe, which opens an alert."""
        reports = {
            "DEMO-0001": [("fatigue", {"severity": 1, "interference": 1})],
            "DEMO-0002": [("limb_swelling", {"frequency": 2, "severity": 1, "interference": 1})],
            "DEMO-0003": [
                ("nausea", {"frequency": 2, "severity": 2}),
                ("vomiting", {"frequency": 3, "severity": 3}),
                ("black_stools", {"presence": 0}),
            ],
        }[patient.medical_record_number]
        assert patient.user is not None  # every demo patient has the app
        for number, (symptom, answers) in enumerate(reports):
            side_effect_report_record(
                patient=patient,
                reported_by=patient.user,
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{patient.pk}:{number}"),
                symptom=symptom,
                answers=answers,
            )

    def _tablet_count(self, patient: Patient, nurse: User) -> None:
        """A count of tablets on hand ten days ago (backend.refills): the doses logged since
        count it down, so one patient is near a refill (Today and the patient page show it)."""
        regimen = active_regimens([patient.pk]).get(patient.pk)
        if regimen is None:
            return
        per_day = regimen.tablets_per_day()
        days = {"DEMO-0001": 40, "DEMO-0002": 16}.get(patient.medical_record_number, 25)
        tablet_supply_record(
            patient=patient,
            recorded_by=nurse,
            source=SupplySource.NURSE,
            counts={str(mg): count * days for mg, count in per_day.items()},
            counted_at=timezone.now() - timedelta(days=10),
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{patient.pk}:supply"),
        )

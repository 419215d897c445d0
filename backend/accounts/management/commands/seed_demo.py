"""Demo data for `make run`: a care team, a nurse, a coordinator and three patients.

Idempotent: running it again finds what is there and creates nothing twice. Development only.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from backend.accounts.models import CareTeam, Patient, User
from backend.accounts.roles import Role
from backend.accounts.services import (
    care_team_create,
    care_team_member_add,
    patient_activate,
    patient_enrol,
)

TEAM_NAME = "Demo Sarcoma Clinic"
STAFF = [("nurse.demo", Role.NURSE), ("coordinator.demo", Role.COORDINATOR)]
PATIENTS = [
    # username, display name, medical record number, time zone, language
    ("patient.ana", "Ana García", "DEMO-0001", "Europe/Madrid", "es"),
    ("patient.ben", "Ben Okafor", "DEMO-0002", "Europe/London", "en"),
    ("patient.chen", "Chen Wei", "DEMO-0003", "America/New_York", "en"),
]


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
        with transaction.atomic():
            team = CareTeam.objects.filter(name=TEAM_NAME).first() or care_team_create(
                name=TEAM_NAME
            )
            staff = {}
            for username, role in STAFF:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(username=username, password=password, role=role)
                care_team_member_add(care_team=team, user=user)
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
        self.stdout.write(f"Demo logins (password for all: {password})")
        self.stdout.write(f"  care team:   {TEAM_NAME}")
        for username, role in STAFF:
            self.stdout.write(f"  {role:<12} {username}")
        for username, name, _, zone, _ in PATIENTS:
            self.stdout.write(f"  {'patient':<12} {username}  ({name}, {zone})")

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from backend.accounts.mfa import totp_device_provision, totp_secret_to_hex
from backend.accounts.roles import Role
from backend.accounts.services import staff_create
from backend.common.errors import ServiceValidationError


class Command(BaseCommand):
    help = (
        "Create a nurse, coordinator or admin. The password comes from --password-stdin or a "
        "prompt, never from the command line. --totp-secret BASE32 enrols the second factor. "
        "Exits 2 if the user exists or input is invalid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(Role.staff_roles()))
        parser.add_argument("--care-team", dest="care_team", help="Care team name (not admins)")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from stdin"
        )
        parser.add_argument(
            "--totp-secret",
            dest="totp_secret",
            metavar="BASE32",
            help=(
                "Enrol the second factor now: a confirmed TOTP device with this base32 secret "
                "(at least 128 bits, e.g. from `head -c 20 /dev/urandom | base32`). Without "
                "it the user sets up an authenticator app at their first dashboard sign-in."
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        secret = options.get("totp_secret")
        if secret is not None:
            try:  # Checked before anything is created or a password is asked for.
                totp_secret_to_hex(str(secret))
            except ServiceValidationError as error:
                raise CommandError(str(error), returncode=2) from None
        password = self._read_password(bool(options["password_stdin"]))
        try:
            with transaction.atomic():
                user = staff_create(
                    username=str(options["username"]),
                    role=str(options["role"]),
                    password=password,
                    care_team_name=options["care_team"] or None,  # type: ignore[arg-type]
                )
                if secret is not None:
                    totp_device_provision(user=user, secret=str(secret), via="create_staff")
        except ServiceValidationError as error:
            raise CommandError(str(error), returncode=2) from None
        teams = ", ".join(team.name for team in user.care_teams.all()) or "no care team"
        factor = " with a TOTP second factor" if secret is not None else ""
        self.stdout.write(f"Created {user.role} '{user.username}' ({teams}){factor}.")

    def _read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.", returncode=2)
        if not password:
            raise CommandError("password: must not be empty.", returncode=2)
        return password

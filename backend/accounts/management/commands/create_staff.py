import getpass
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.roles import Role
from backend.accounts.services import staff_create
from backend.common.errors import ServiceValidationError


class Command(BaseCommand):
    help = (
        "Create a nurse, coordinator or admin. The password comes from --password-stdin or a "
        "prompt, never from the command line. Exits 2 if the user exists or input is invalid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(Role.staff_roles()))
        parser.add_argument("--care-team", dest="care_team", help="Care team name (not admins)")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from stdin"
        )

    def handle(self, *args: object, **options: object) -> None:
        password = self._read_password(bool(options["password_stdin"]))
        try:
            user = staff_create(
                username=str(options["username"]),
                role=str(options["role"]),
                password=password,
                care_team_name=options["care_team"] or None,  # type: ignore[arg-type]
            )
        except ServiceValidationError as error:
            raise CommandError(str(error), returncode=2) from None
        teams = ", ".join(team.name for team in user.care_teams.all()) or "no care team"
        self.stdout.write(f"Created {user.role} '{user.username}' ({teams}).")

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

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.services import AlreadyExists, care_team_create
from backend.common.errors import ServiceValidationError


class Command(BaseCommand):
    help = "Create a care team (bootstrap for a real deployment). Exits 2 if it exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--phone", default="", help="The number patients call")
        parser.add_argument(
            "--emergency-number", default="112", help="The local emergency number (112, 999...)"
        )

    def handle(self, *args: object, name: str, **options: object) -> None:
        try:
            team = care_team_create(
                name=name,
                phone=str(options["phone"]),
                emergency_number=str(options["emergency_number"]),
            )
        except AlreadyExists as error:
            raise CommandError(error.reason, returncode=2) from None
        except ServiceValidationError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(f"Created care team '{team.name}' (id {team.pk}).")

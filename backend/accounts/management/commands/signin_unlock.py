from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.lockout import sign_in_unlock


class Command(BaseCommand):
    help = (
        "Unlock sign-in for an account (its failures from every address) and/or an address "
        "(its failures across usernames) before the cool-off ends. Audited (auth.unlocked)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="", help="The account to unlock")
        parser.add_argument("--address", default="", help="The client address to unlock")

    def handle(self, *args: object, **options: object) -> None:
        username, address = str(options["username"]), str(options["address"])
        if not username and not address:
            raise CommandError("Give --username, --address, or both.", returncode=2)
        cleared = sign_in_unlock(username=username or None, address=address or None)
        self.stdout.write(f"Cleared {cleared} failed-attempt record(s).")

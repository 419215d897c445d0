"""Walk the audit log's hash chain and report the first broken link."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backend.audit import chain
from backend.audit.models import AuditEvent

FIELDS = ("id", "previous_hash", "row_hash", *chain.HASHED_FIELDS)


def first_broken_link() -> tuple[int, str | None, int, str]:
    """(rows checked, the first broken link or None, the last row's id, its row_hash)."""
    previous_id: int | None = None
    previous_hash = chain.GENESIS_HASH
    count = 0
    rows = AuditEvent.objects.order_by("id").values(*FIELDS).iterator(chunk_size=2000)
    for row in rows:
        count += 1
        if row["previous_hash"] != previous_hash:
            before = f"row {previous_id}" if previous_id is not None else "the chain's start"
            return (
                count,
                f"row {row['id']}: previous_hash {row['previous_hash'] or '(empty)'} does not "
                f"match the row_hash of {before} ({previous_hash}): a row before it was "
                "deleted, inserted or rewritten",
                row["id"],
                row["row_hash"],
            )
        expected = chain.row_hash(row, previous_hash)
        if row["row_hash"] != expected:
            return (
                count,
                f"row {row['id']}: its content does not match its row_hash (stored "
                f"{row['row_hash'] or '(empty)'}, content gives {expected}): the row was "
                "changed after it was written, or written without the chain",
                row["id"],
                row["row_hash"],
            )
        previous_id, previous_hash = row["id"], row["row_hash"]
    return count, None, previous_id or 0, previous_hash


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain. Exit 0 with 'N rows, chain intact' (and the last "
        "row's id and hash, worth keeping outside the database), or exit 1 naming the first "
        "broken link."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count, broken, last_id, last_hash = first_broken_link()
        if broken:
            raise CommandError(f"chain broken at {broken}", returncode=1)
        self.stdout.write(f"{count} rows, chain intact")
        if count:
            self.stdout.write(f"last row {last_id}, row_hash {last_hash}")

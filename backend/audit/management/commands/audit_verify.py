"""Walk the audit log's hash chain and report the first broken link."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backend.audit import chain
from backend.audit.models import AuditEvent

FIELDS = (
    "id",
    "chain_position",
    "previous_hash",
    "row_hash",
    "content_hash",
    "link_version",
    *chain.HASHED_FIELDS,
)


def _broken(row: dict[str, Any], previous_id: int | None, previous_hash: str) -> str | None:
    """What is wrong with this row's link to the one before it (None: nothing)."""
    if row["previous_hash"] != previous_hash:
        before = f"row {previous_id}" if previous_id is not None else "the chain's start"
        return (
            f"row {row['id']}: previous_hash {row['previous_hash'] or '(empty)'} does not "
            f"match the row_hash of {before} ({previous_hash}): a row before it was "
            "deleted, inserted or rewritten"
        )
    content = chain.content_hash(row)
    if row["content_hash"] != content:
        return (
            f"row {row['id']}: its content does not match its content_hash (stored "
            f"{row['content_hash'] or '(empty)'}, content gives {content}): the row was "
            "changed after it was written"
        )
    if row["link_version"] == 1:
        expected = chain.link_hash_v1(row, previous_hash)
    else:
        expected = chain.link_hash(previous_hash, content)
    if row["row_hash"] != expected:
        return (
            f"row {row['id']}: its content does not match its row_hash (stored "
            f"{row['row_hash'] or '(empty)'}, content gives {expected}): the row was "
            "changed after it was written, or written without the chain"
        )
    return None


def first_broken_link() -> tuple[int, str | None, int, str]:
    """Walk the chained rows by chain_position: (rows checked, the first broken link or None,
    the last row's id, its row_hash)."""
    previous_id: int | None = None
    previous_hash = chain.GENESIS_HASH
    count = 0
    version_2_seen = False
    rows = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("chain_position")
        .values(*FIELDS)
        .iterator(chunk_size=2000)
    )
    for row in rows:
        count += 1
        broken = _broken(row, previous_id, previous_hash)
        if broken is None and row["chain_position"] != count:
            broken = (
                f"row {row['id']}: chain_position {row['chain_position']} where {count} "
                "belongs: positions run 1, 2, 3, ... (rows were deleted or renumbered)"
            )
        if broken is None and row["link_version"] not in chain.LINK_VERSIONS:
            broken = f"row {row['id']}: unknown link_version {row['link_version']}"
        if broken is None and row["link_version"] == 1 and version_2_seen:
            broken = (
                f"row {row['id']}: a version-1 link after version-2 links (version 1 is only "
                "for the rows chained before migration 0005)"
            )
        if broken:
            return count, broken, row["id"], row["row_hash"]
        version_2_seen = version_2_seen or row["link_version"] == 2
        previous_id, previous_hash = row["id"], row["row_hash"]
    return count, None, previous_id or 0, previous_hash


def unchained_rows() -> tuple[int, int | None]:
    """(rows without a place in the chain, the lowest such id). After a commit there are none:
    on PostgreSQL the chaining trigger runs before the commit completes."""
    unchained = AuditEvent.objects.filter(chain_position__isnull=True)
    return unchained.count(), unchained.order_by("id").values_list("id", flat=True).first()


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain. Exit 0 with 'N rows, chain intact' (and the last "
        "row's id and hash, worth keeping outside the database), or exit 1 naming the first "
        "broken link, or the rows that have no place in the chain."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count, broken, last_id, last_hash = first_broken_link()
        if broken:
            raise CommandError(f"chain broken at {broken}", returncode=1)
        unchained, first_unchained = unchained_rows()
        if unchained:
            raise CommandError(
                f"chain broken at row {first_unchained}: {unchained} rows not chained (no "
                f"chain_position; the {count} chained rows are intact): written past the "
                "chaining trigger, or not yet committed",
                returncode=1,
            )
        self.stdout.write(f"{count} rows, chain intact")
        if count:
            self.stdout.write(f"last row {last_id}, row_hash {last_hash}")

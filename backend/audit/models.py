"""The append-only record of who read, exported or changed which patient's data."""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from . import chain


class AppendOnlyError(Exception):
    pass


def _chain(events: Sequence["AuditEvent"], using: str) -> None:
    """Give each new event its content_hash. On PostgreSQL that is all: the chaining trigger
    links the rows when the transaction commits (backend/audit/chain.py). Elsewhere (SQLite)
    link them here, in order, after the current head, holding the database's write lock
    (inside the same transaction) until the rows are in."""
    connection = connections[using]
    for event in events:
        if event.occurred_at is None:
            event.occurred_at = timezone.now()
        event.content_hash = chain.content_hash(event.chain_values())
        event.link_version = chain.LINK_VERSION
        event.chain_position = None
        event.previous_hash = event.row_hash = ""
    if connection.vendor == "postgresql":
        return
    position, previous = chain.lock_and_read_head(connection)
    for event in events:
        position += 1
        event.chain_position = position
        event.previous_hash = previous
        event.row_hash = chain.link_hash(previous, event.content_hash)
        previous = event.row_hash


# The events of a read of many patients, in the patients' order (their ids, then the order of
# the chain), sharing all but the patient and the content hash. Written as Django writes an
# INSERT (it starts the statement), so what counts the log's inserts counts these.
_PATIENT_READS_SQL = """INSERT INTO {table} (occurred_at, actor_id, actor_username, actor_role,
    action, patient_id, detail, ip_address, user_agent, content_hash, chain_position,
    previous_hash, row_hash, link_version)
SELECT %s, %s, %s, %s, %s, reads.patient_id, %s::jsonb, %s::inet, %s, reads.content_hash,
       NULL, '', '', %s
FROM unnest(%s::uuid[], %s::text[]) WITH ORDINALITY AS reads(patient_id, content_hash, position)
ORDER BY reads.position"""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def bulk_create(  # type: ignore[override]
        self, objs: Iterable["AuditEvent"], *args: Any, **kwargs: Any
    ) -> list["AuditEvent"]:
        events = list(objs)
        if any(event.pk is not None for event in events):
            raise AppendOnlyError("Audit events are only ever added.")
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise AppendOnlyError("Audit events are inserted as they are, or not at all.")
        if not events:
            return []
        with transaction.atomic(using=self.db, savepoint=False):
            _chain(events, self.db)
            # django-stubs 6.1.2 leaves _Model unbound on super() in a QuerySet subclass.
            return super().bulk_create(events, *args, **kwargs)  # type: ignore[arg-type, return-value]

    def add_patient_reads(
        self,
        *,
        patient_ids: Sequence[Any],
        actor: Any,
        action: str,
        detail: dict[str, Any],
        ip_address: str | None,
        user_agent: str,
    ) -> int:
        """One event a patient, all else shared (a staff member's read of a list of patients,
        an export's patients): on PostgreSQL one INSERT of two arrays (the patients and their
        content hashes), which the chaining trigger links at commit as any other insert.
        Building a model instance an event was most of a 10,000-patient export's audit time
        (1.1 of the export's 6.2 s, issue 20). Elsewhere, bulk_create of the same events."""
        if not patient_ids:
            return 0
        shared = {
            "occurred_at": timezone.now(),
            "actor_id": actor.pk,
            "actor_username": actor.username,
            "actor_role": actor.role,
            "action": action,
            "detail": detail,
            "ip_address": ip_address,
            "user_agent": user_agent,
        }
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            self.bulk_create(
                AuditEvent(patient_id=patient_id, **shared) for patient_id in patient_ids
            )
            return len(patient_ids)
        hashes = [
            chain.content_hash({**shared, "patient_id": patient_id}) for patient_id in patient_ids
        ]
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with transaction.atomic(using=self.db, savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                _PATIENT_READS_SQL.format(table=table),
                [
                    shared["occurred_at"],
                    shared["actor_id"],
                    shared["actor_username"],
                    shared["actor_role"],
                    action,
                    json.dumps(detail),
                    ip_address or None,  # as GenericIPAddressField stores an empty address
                    user_agent,
                    chain.LINK_VERSION,
                    list(patient_ids),
                    hashes,
                ],
            )
        return len(patient_ids)


class AuditEvent(models.Model):
    """One thing a person did to patient data. Never updated, never deleted (on PostgreSQL a
    trigger refuses both, so not even a bug or a console session can rewrite history)."""

    # Set in Python (not auto_now_add, which would overwrite it after the hash is taken).
    occurred_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Kept as text too, so the record reads the same if the account is later renamed.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=64, help_text="e.g. patient.view, export.csv")
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True, help_text="What was read or changed.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # The hash chain (backend/audit/chain.py). content_hash = SHA-256 of the canonical content,
    # set at insert; chain_position, previous_hash and row_hash = SHA-256(previous_hash +
    # content_hash) are set at commit on PostgreSQL (by a trigger), at insert elsewhere.
    content_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    chain_position = models.BigIntegerField(null=True, unique=True, editable=False)
    previous_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)
    # How row_hash links: 1 for the rows chained before migration 0005, 2 since.
    link_version = models.PositiveSmallIntegerField(default=2, db_default=2, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            _chain([self], using)
            super().save(*args, **kwargs)

    def chain_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in chain.HASHED_FIELDS}

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

"""Which patients an export has passed on, so each is attributed in the audit log (and a
background job's file records them). Exact for streams a client leaves part-way: a patient
counts once the export has handed on their rows, or moved past them (a patient with no doses
in the range has no rows in the dose CSV but was part of the export)."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from backend.accounts.models import Patient

from .columns import (
    COHORT_COLUMNS,
    COHORT_PSEUDONYMISED_COLUMNS,
    DOSE_COLUMNS,
    DOSE_PSEUDONYMISED_COLUMNS,
)

# Patients written to the audit log (and a job's patient set) per insert: a 5,000-patient
# export makes 10 inserts, and a process killed mid-way loses at most one batch.
RECORD_BATCH = 500

# Every cohort export's first column is the patient's id (as str(uuid), which csv_field
# leaves as it is), or in a pseudonymised file their study id (letters, digits and a dash,
# also left as they are): that is how a row is traced to its patient (rows.patient_key).
assert COHORT_COLUMNS[0].name == DOSE_COLUMNS[0].name == "patient_id"
assert COHORT_PSEUDONYMISED_COLUMNS[0].name == DOSE_PSEUDONYMISED_COLUMNS[0].name == "study_id"


class PatientsPassed:
    """Follows an export's chunks of patients and its rows (in the same order) and hands
    `record` the patients passed on, RECORD_BATCH at a time and at `flush`."""

    def __init__(
        self,
        record: Callable[[list[Patient]], None],
        *,
        batch: int | None = None,
        key: Callable[[Patient], str] | None = None,
    ) -> None:
        self._record = record
        # A row's first value for each patient (rows.patient_key): the id, or the study id.
        self._key = key or (lambda patient: str(patient.pk))
        self._batch = batch or RECORD_BATCH
        self._chunk: list[Patient] = []
        self._positions: dict[str, int] = {}
        self._next = 0  # the first patient of the chunk not yet passed
        self._last_key: Any = None
        self._passed: list[Patient] = []
        self.total = 0

    def chunks(self, chunks: Iterable[list[Patient]]) -> Iterator[list[Patient]]:
        """The export's chunks, as they are; asking for the next one means the previous
        chunk's rows have all been handed on."""
        for chunk in chunks:
            self._pass_through(len(self._chunk))
            self._chunk = chunk
            self._positions = {self._key(patient): index for index, patient in enumerate(chunk)}
            self._next = 0
            self._last_key = None
            yield chunk
        self._pass_through(len(self._chunk))
        self._chunk = []

    def row(self, row: Sequence[Any]) -> None:
        """A row has been handed on: its patient (and any before them with no rows) passed."""
        key = row[0]
        if key == self._last_key:  # a patient's rows come together (doses: many a patient)
            return
        self._last_key = key
        position = self._positions.get(key)
        if position is not None:
            self._pass_through(position + 1)

    def _pass_through(self, end: int) -> None:
        if end <= self._next:
            return
        self._passed.extend(self._chunk[self._next : end])
        self._next = end
        if len(self._passed) >= self._batch:
            self.flush()

    def flush(self) -> None:
        """Record the patients passed and not yet recorded."""
        while self._passed:
            batch, self._passed = self._passed[: self._batch], self._passed[self._batch :]
            self._record(batch)
            self.total += len(batch)

"""Simulated phones: each behaves like the patient app's outbox (backend/patientapp/static/
patientapp/queue.js, sync.js; docs/subsystems/patient-app.md "Offline: the shell, kept reads and the
outbox"):

- every dose log, correction and report gets its client id when it is made and waits in the
  phone's outbox; items are sent oldest first, and nothing after a waiting item goes first;
- 201, or 200 for a client id the server already has, counts as sent; a timeout, a connection
  error, 408, 425, 429 or a 5xx leaves the item waiting, resent with the same client id after
  3 s, doubling (capped at 20 s here, 5 minutes in the app: the run is short);
- any other 4xx is kept as "not sent" with the server's reason (counted: the run's items are
  all valid, so each one is a finding);
- some answers are treated as lost (the phone never saw them) and the item is resent.

Every request, answer and acknowledgement is recorded for the report.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import requests

from .seed import PhoneSeed

RETRYABLE = {408, 425, 429}
REQUEST_TIMEOUT = 20.0
LOST_ANSWER_SHARE = 0.08

# (symptom, the answers' attributes). Red flags are yes/no items.
SYMPTOMS = (
    ("nausea", ("frequency", "severity")),
    ("diarrhoea", ("frequency",)),
    ("fatigue", ("severity", "interference")),
    ("vomiting", ("frequency", "severity")),
    ("muscle_cramps", None),
    ("rash", "presence"),
)
RED_FLAGS = ("fever", "chest_pain", "black_stools")


@dataclass
class Item:
    kind: str  # device | dose | correction | report
    client_id: str
    body: dict[str, Any]
    due: float  # when the phone makes it (time.time())
    hold: float = 0.0  # X-Chaos-Hold seconds (the commit-then-kill fault)
    dose_key: tuple[str, int] | None = None  # a correction: the log it corrects
    attempts: int = 0
    lost_once: bool = False


@dataclass
class Ack:
    kind: str
    client_id: str
    status: int
    at: float
    object_id: str | None
    body: dict[str, Any]
    answer: dict[str, Any]


@dataclass
class Record:
    sent: float
    done: float
    phone: int
    kind: str
    client_id: str
    outcome: str  # an HTTP status as a string, or the error's name


@dataclass
class Board:
    """What every phone writes to, for the report."""

    records: list[Record] = field(default_factory=list)
    acks: dict[str, list[Ack]] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)
    lost_answers: int = 0
    replay_mismatches: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _report_body(rng: random.Random, client_id: str, red_flag: str | None) -> dict[str, Any]:
    if red_flag:
        return {"client_id": client_id, "symptom": red_flag, "answers": {"present": True}}
    symptom, attributes = rng.choice(SYMPTOMS)
    severe = rng.random() < 0.15
    if attributes is None:
        symptom, attributes = "fatigue", ("severity", "interference")
    if attributes == "presence":
        return {"client_id": client_id, "symptom": symptom, "answers": {"present": severe}}
    answers = {name: rng.choice((0, 1, 1, 2, 2)) for name in attributes}
    if severe:
        answers[rng.choice(attributes)] = rng.choice((3, 4))
    first = attributes[0]
    if answers[first] == 0 and any(answers.values()):
        answers[first] = 1  # the later questions are asked only after a first answer above 0
    return {"client_id": client_id, "symptom": symptom, "answers": answers}


class Phone(threading.Thread):
    def __init__(
        self,
        seed: PhoneSeed,
        base_url: str,
        board: Board,
        *,
        starts_at: float,
        seconds: float,
        rng_seed: int,
    ) -> None:
        super().__init__(name=f"phone-{seed.index}", daemon=True)
        self.seed = seed
        self.base_url = base_url
        self.board = board
        self.rng = random.Random(rng_seed)  # noqa: S311 - a simulation
        self.starts_at = starts_at
        self.ends_at = starts_at + seconds
        self.planned: list[Item] = []
        self.outbox: deque[Item] = deque()
        self.log_ids: dict[tuple[str, int], str] = {}
        self.stop_making = threading.Event()
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._backoff = 3.0
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {seed.token}"
        self._plan(seconds)

    # ------------------------------------------------------------------ what the phone does

    def _plan(self, seconds: float) -> None:
        rng, seed = self.rng, self.seed
        at = self.starts_at + rng.uniform(0, 3)
        self.planned.append(
            Item(
                "device",
                seed.fcm_token,
                {"token": seed.fcm_token, "platform": seed.platform},
                at,
            )
        )
        span = seconds * 0.7
        for dose in seed.doses:
            at += rng.uniform(0.05, 1) * span / max(1, len(seed.doses))
            body: dict[str, Any] = {
                "client_id": str(uuid.uuid4()),
                "date": dose.date,
                "slot": dose.slot,
                "status": dose.status,
            }
            if dose.status == "taken":
                body["taken_at"] = dose.taken_at
            else:
                body["skip_reason"] = dose.skip_reason
            self.planned.append(
                Item("dose", body["client_id"], body, at, dose_key=(dose.date, dose.slot))
            )
        taken = [d for d in seed.doses if d.status == "taken"]
        if taken and rng.random() < 0.4:
            dose = rng.choice(taken)
            self.planned.append(
                Item(
                    "correction",
                    f"correction-{uuid.uuid4()}",
                    {"note": "Taken with food; time corrected."},
                    at + rng.uniform(1, 10),
                    dose_key=(dose.date, dose.slot),
                )
            )
        # Reports: about one every 40 s per phone, over the whole run.
        at = self.starts_at + rng.expovariate(1 / 40)
        while at < self.ends_at - 5:
            client_id = str(uuid.uuid4())
            red_flag = rng.choice(RED_FLAGS) if rng.random() < 0.03 else None
            self.planned.append(
                Item("report", client_id, _report_body(rng, client_id, red_flag), at)
            )
            at += rng.expovariate(1 / 40)
        self.planned.sort(key=lambda item: item.due)

    def add_report(self, *, red_flag: str | None = None, hold: float = 0.0) -> Item:
        """An item made now, outside the plan (a fault's trigger). A held one is a plain mild
        report (always valid, raises no alert)."""
        client_id = str(uuid.uuid4())
        if hold:
            body = {
                "client_id": client_id,
                "symptom": "nausea",
                "answers": {"frequency": 1, "severity": 1},
            }
            item = Item("report", client_id, body, time.time(), hold=hold)
            with self._lock:
                self.outbox.append(item)
            return item
        item = Item(
            "report", client_id, _report_body(self.rng, client_id, red_flag), time.time(), hold=hold
        )
        with self._lock:
            self.outbox.append(item)
        return item

    def idle(self) -> bool:
        with self._lock:
            return not self.outbox

    def pending(self) -> int:
        with self._lock:
            return len(self.outbox) + len(self.planned)

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        try:
            while True:
                now = time.time()
                with self._lock:
                    while (
                        self.planned
                        and self.planned[0].due <= now
                        and not self.stop_making.is_set()
                    ):
                        self.outbox.append(self.planned.pop(0))
                    if self.stop_making.is_set():
                        self.planned.clear()
                    head = self.outbox[0] if self.outbox else None
                if head is None:
                    if self.stop_making.is_set():
                        return
                    time.sleep(0.2)
                    continue
                if now < self._retry_at:
                    time.sleep(min(0.2, self._retry_at - now))
                    continue
                if self._send(head):
                    with self._lock:
                        self.outbox.popleft()
                    self._backoff = 3.0
        finally:
            self.stopped.set()

    def _request(self, item: Item) -> requests.Response:
        headers = {"X-Chaos-Hold": str(item.hold)} if item.hold and item.attempts == 1 else {}
        url = self.base_url
        if item.kind == "device":
            return self.session.post(
                f"{url}/api/v1/me/devices/",
                json=item.body,
                headers=headers,
                timeout=REQUEST_TIMEOUT,
            )
        if item.kind == "dose":
            return self.session.post(
                f"{url}/api/v1/me/doses/", json=item.body, headers=headers, timeout=REQUEST_TIMEOUT
            )
        if item.kind == "report":
            return self.session.post(
                f"{url}/api/v1/me/side-effects/",
                json=item.body,
                headers=headers,
                timeout=REQUEST_TIMEOUT,
            )
        assert item.dose_key is not None
        log_id = self.log_ids[item.dose_key]
        return self.session.patch(
            f"{url}/api/v1/me/doses/{log_id}/",
            json=item.body,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
        )

    def _send(self, item: Item) -> bool:
        """True when the item is done (sent or refused for good)."""
        if item.kind == "correction" and item.dose_key not in self.log_ids:
            self._record(item, time.time(), "no-log-to-correct")
            return True
        item.attempts += 1
        sent = time.time()
        try:
            response = self._request(item)
        except requests.RequestException as error:
            self._record(item, sent, type(error).__name__)
            self._wait()
            return False
        status = response.status_code
        self._record(item, sent, str(status))
        if status >= 500 or status in RETRYABLE:
            self._wait(response.headers.get("Retry-After"))
            return False
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        if status in (200, 201):
            self._acknowledged(item, status, answer)
            if not item.lost_once and self.rng.random() < LOST_ANSWER_SHARE:
                item.lost_once = True  # the answer never reached the phone: send it again
                with self.board.lock:
                    self.board.lost_answers += 1
                self._retry_at = time.time() + self.rng.uniform(0.5, 3)
                return False
            return True
        with self.board.lock:
            self.board.refused.append(
                {
                    "phone": self.seed.index,
                    "kind": item.kind,
                    "client_id": item.client_id,
                    "status": status,
                    "body": item.body,
                    "answer": answer,
                }
            )
        return True

    def _wait(self, retry_after: str | None = None) -> None:
        delay = self._backoff
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        self._retry_at = time.time() + delay
        self._backoff = min(self._backoff * 2, 20.0)

    def _acknowledged(self, item: Item, status: int, answer: dict[str, Any]) -> None:
        object_id = str(answer.get("id")) if answer.get("id") is not None else None
        if item.kind == "dose" and object_id and item.dose_key:
            self.log_ids.setdefault(item.dose_key, object_id)
        ack = Ack(item.kind, item.client_id, status, time.time(), object_id, item.body, answer)
        with self.board.lock:
            earlier = self.board.acks.setdefault(item.client_id, [])
            if earlier and earlier[0].object_id != object_id and item.kind != "correction":
                self.board.replay_mismatches.append(
                    {"client_id": item.client_id, "first": earlier[0].object_id, "then": object_id}
                )
            earlier.append(ack)

    def _record(self, item: Item, sent: float, outcome: str) -> None:
        with self.board.lock:
            self.board.records.append(
                Record(sent, time.time(), self.seed.index, item.kind, item.client_id, outcome)
            )

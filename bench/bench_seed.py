"""A realistic benchmark cohort written straight into PostgreSQL with COPY (`seed_bench`).

Why COPY and plain rows: 10,000 patients over three years is about twelve million dose logs;
model instances and INSERTs would take hours, COPY takes minutes. The rows follow the rules the
app itself uses (the guideline module's recommendation, the symptom questions, the alert rules,
dose times in the patient's own zone), so screens, workers and exports read them as their own.

How the load stays fast without dropping an index or a constraint:

- ids look random but increase (a per-table prefix drawn from the seed, then a counter), so
  every index insert lands on the rightmost page, as with UUIDv7 (the app itself uses uuid4);
- dose logs are written team by team, each team's day by day with its patients interleaved,
  so a patient's history is spread over the table as when it was logged day by day;
- dose logs go in PostgreSQL's binary COPY format, packed with `struct` (no objects per row);
- as a superuser the loading transactions run with session_replication_role = replica: the
  deferred foreign-key checks would more than double the time, and every reference is to a
  row this module has just written (the tests check them with anti-joins).

Deterministic for a seed and a day: the same --seed on the same day gives the same rows and
ids; only times measured from the clock (the newest alerts and reports, reminder times) move.
"""

from __future__ import annotations

import json
import math
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from decimal import Decimal
from random import Random
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from backend.adherence.dose_schedule import dose_due_at
from backend.adherence.guideline import guideline_recommendation
from backend.adherence.models import TreatmentPlan
from backend.adherence.services.ledger import ledger_write
from backend.alerts.models import PRIORITY_RANK
from backend.common.time import local_date
from backend.guidelines import (
    SYMPTOMS,
    AlertDecision,
    add_calendar_months,
    checked_answers,
    composite_grade,
    missed_streak_alert,
    patient_report_advice,
    severe_symptom_alert,
    side_effect_nonadherence_alert,
    summary_level,
    worsening_symptom_alert,
)
from backend.guidelines.tablets import default_tablet_strengths
from backend.sideeffects.models import SideEffectReport

TEAM_PREFIX = "Bench team "
USER_PREFIX = "bench."
DEFAULT_STAFF_PASSWORD = "bench-password-2026"  # noqa: S105 - documented bench sign-in
TEAM_SIZE = 200
MIN_PLAN_AGE_DAYS = 30
ADJUVANT_SHARE = 0.70
ADJUVANT_MONTHS = 36
# Three quarters of the cohort started about --years ago (the last twentieth of the window);
# the rest joined since, spread evenly, so some plans are young.
OLD_COHORT_SHARE = 0.75
OPEN_ALERT_SHARE = 0.10
LATE_SHARE = 0.10
SKIPPED_SHARE_OF_NOT_TAKEN = 0.55  # the rest of the doses not taken are missed
STREAKS_PER_YEAR = 1.0
REPORTS_PER_MONTH = 1.0
SIDE_EFFECT_ALERT_SHARE = 0.4  # of reports at level 2 or more: a skip for side effects nearby
ASSESSED_SHARE = 0.5  # of severe reports: a nurse's CTCAE grade

# (IANA zone, share of patients, share of them who use the app in Spanish)
ZONES: tuple[tuple[str, float, float], ...] = (
    ("Europe/Madrid", 0.25, 0.85),
    ("Europe/London", 0.20, 0.03),
    ("America/New_York", 0.20, 0.12),
    ("Asia/Kolkata", 0.10, 0.0),
    ("Pacific/Auckland", 0.10, 0.02),
    ("America/Los_Angeles", 0.15, 0.20),
)
SKIP_REASONS: tuple[tuple[str, float], ...] = (
    ("forgot", 0.35),
    ("side_effects", 0.25),
    ("travel", 0.15),
    ("ran_out", 0.10),
    ("other", 0.15),
)
REPORT_LEVELS = ((0, 0.08), (1, 0.52), (2, 0.32), (3, 0.08))  # mostly low, a few 3s
RESOLUTION_NOTES = (
    "Phoned the patient; advice given as per protocol.",
    "Called the patient, who is taking the doses again.",
    "Spoke with the patient; symptoms managed at home, review at next visit.",
    "Phoned the patient and the oncologist; no change to the plan.",
)
FIRST_NAMES = (
    "Ana", "Ben", "Chen", "Divya", "Elena", "Femi", "Grace", "Hugo", "Isabel", "Jamal",
    "Kiri", "Lucia", "Marta", "Noah", "Olivia", "Pablo", "Priya", "Rahul", "Sofia", "Tom",
    "Wiremu", "Yuki", "Zoe", "Carmen", "David", "Emma", "Jorge", "Laura", "Mei", "Sam",
)  # fmt: skip
LAST_NAMES = (
    "Garcia", "Okafor", "Wei", "Sharma", "Martin", "Adeyemi", "Smith", "Dubois", "Lopez",
    "Khan", "Ngata", "Fernandez", "Jones", "Brown", "Patel", "Sanchez", "Taylor", "Rossi",
    "Kim", "Walker", "Moreno", "Singh", "Clarke", "Ruiz", "Nguyen", "Evans", "Tane", "Diaz",
)  # fmt: skip

# Cases the guideline answers with adjuvant 400 mg once daily for 36 months ...
ADJUVANT_CASES: tuple[dict[str, Any], ...] = (
    {"site": "stomach", "size_cm": 8.5, "mitoses_per_50hpf": 9, "mutation": "kit_exon_11"},
    {"site": "stomach", "size_cm": 12, "mitoses_per_50hpf": 3, "mutation": "kit_exon_11"},
    {"site": "stomach", "size_cm": 6, "mitoses_per_50hpf": 8, "mutation": "kit_exon_11"},
    {"site": "stomach", "size_cm": 11, "mitoses_per_50hpf": 6, "mutation": "pdgfra_other"},
    {"site": "jejunum_ileum", "size_cm": 7.5, "mitoses_per_50hpf": 6, "mutation": "kit_exon_11"},
    {
        "site": "jejunum_ileum",
        "size_cm": 6,
        "mitoses_per_50hpf": 7,
        "rupture": True,
        "mutation": "unknown",
    },
    {"site": "duodenum", "size_cm": 5.5, "mitoses_per_50hpf": 11, "mutation": "kit_exon_11"},
    {"site": "rectum", "size_cm": 4, "mitoses_per_50hpf": 12, "mutation": "kit_exon_11"},
)
# ... and advanced KIT exon 9 disease with 800 mg a day, as 400 mg twice daily.
ADVANCED_CASES: tuple[dict[str, Any], ...] = (
    {"site": "jejunum_ileum", "mutation": "kit_exon_9"},
    {"site": "stomach", "mutation": "kit_exon_9"},
    {"site": "duodenum", "mutation": "kit_exon_9", "age_years": 70},
)
REGIMENS = {"adjuvant": (400, ("08:00",)), "advanced": (800, ("08:00", "20:00"))}


def _tablet_strengths(setting: str) -> tuple[int, ...]:
    """As the plan service records them when the nurse names none (a 400 mg dose: 400 mg)."""
    dose_mg, times = REGIMENS[setting]
    return default_tablet_strengths(dose_mg // len(times))


PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PG_EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
UUID_VARIANT = 0x8000_0000_0000_0000
FLUSH_ROWS = 4096

# Binary COPY of dose logs (see DOSE_COLUMNS): the varying head of a row, by status. The
# constant tail (patient, plan, recorded_by, status, reason, note) is prepared per patient.
DOSE_COLUMNS = (
    "id, client_id, scheduled_date, slot, taken_at, created_at, updated_at, late, "
    "patient_id, plan_id, recorded_by_id, status, skip_reason, note"
)
_HEAD_TAKEN = struct.Struct(">hiQQiQQiiihiqiqiqi?").pack
_HEAD_SKIPPED = struct.Struct(">hiQQiQQiiihiiqiqi?").pack
_HEAD_MISSED = struct.Struct(">hiQQiiiihiiqiqi?").pack
_PATIENT_PLAN = struct.Struct(">i16si16s").pack
_BIGINT = struct.Struct(">iq").pack
_LENGTH = struct.Struct(">i").pack
_NULL = b"\xff\xff\xff\xff"
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
_COPY_TRAILER = b"\xff\xff"


class BenchSeedRefused(Exception):
    """The database is not one this command may fill (or empty)."""


@dataclass(frozen=True)
class SeedResult:
    counts: dict[str, int]
    seconds: float
    seed: int
    foreign_keys_checked: bool


# --------------------------------------------------------------------------------------------
# Safety: only a PostgreSQL database holding nothing but bench data
# --------------------------------------------------------------------------------------------


def foreign_data(cursor: Any) -> str | None:
    """What in the database is not bench data (care teams, users), or None. Everything else a
    patient's record holds hangs off care teams and users, so these two tables decide."""
    cursor.execute(
        "SELECT name FROM accounts_careteam WHERE left(name, %s) <> %s ORDER BY name LIMIT 4",
        [len(TEAM_PREFIX), TEAM_PREFIX],
    )
    teams = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT username FROM accounts_user WHERE left(username, %s) <> %s "
        "ORDER BY username LIMIT 4",
        [len(USER_PREFIX), USER_PREFIX],
    )
    users = [row[0] for row in cursor.fetchall()]
    found = []
    if teams:
        found.append(f"care teams not named '{TEAM_PREFIX}...' (e.g. {', '.join(teams)})")
    if users:
        found.append(f"users not named '{USER_PREFIX}*' (e.g. {', '.join(users)})")
    return "; ".join(found) or None


def bench_data_present(cursor: Any) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM accounts_user) OR EXISTS (SELECT 1 FROM accounts_careteam)"
    )
    return bool(cursor.fetchone()[0])


def bench_data_reset(cursor: Any) -> None:
    """TRUNCATE users and care teams with every table that refers to them (CASCADE), after
    checking, under lock, that every row CASCADE would remove is bench data: all users and
    teams are bench ones, and every row of a table reached refers to a row reached before it.
    A row that refers to none (an audit event with no actor or patient) stops the reset."""
    cursor.execute("LOCK TABLE accounts_user, accounts_careteam IN ACCESS EXCLUSIVE MODE")
    reason = foreign_data(cursor)
    if reason:
        raise BenchSeedRefused(f"the database holds {reason}")
    cursor.execute(
        """
        WITH RECURSIVE reached(table_oid) AS (
            SELECT 'accounts_user'::regclass::oid
            UNION SELECT 'accounts_careteam'::regclass::oid
            UNION SELECT c.conrelid FROM pg_constraint c
                JOIN reached r ON c.confrelid = r.table_oid WHERE c.contype = 'f'
        )
        SELECT c.conrelid::regclass::text, a.attname, a.attnotnull
        FROM pg_constraint c
        JOIN reached r ON c.confrelid = r.table_oid
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.conrelid <> c.confrelid
        ORDER BY 1, 2
        """
    )
    references: dict[str, list[tuple[str, bool]]] = {}
    for table, column, not_null in cursor.fetchall():
        references.setdefault(table, []).append((column, not_null))
    for table, columns in references.items():
        if any(not_null for _, not_null in columns):
            continue  # every row refers to a reached (bench) row
        unlinked = " AND ".join(f'"{column}" IS NULL' for column, _ in columns)
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {unlinked})")
        if cursor.fetchone()[0]:
            raise BenchSeedRefused(
                f"{table} has rows that belong to no bench user or team; --reset would "
                "remove them too"
            )
    cursor.execute("TRUNCATE accounts_user, accounts_careteam RESTART IDENTITY CASCADE")


def can_skip_foreign_key_checks(cursor: Any) -> bool:
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return bool(cursor.fetchone()[0])


# --------------------------------------------------------------------------------------------
# The cohort in memory: one small record per patient (rows are generated from it)
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Staff:
    team_id: int
    nurse_id: int
    coordinator_id: int


@dataclass(slots=True)
class PatientPlan:
    """A patient and their plan: what every later table's rows are generated from."""

    number: int
    team: int
    zone: int
    language: str
    display_name: str
    seed: int
    start: date
    end: date | None
    today: date
    last: date  # the last day with dose logs: yesterday, or the plan's end
    setting: str
    case: int  # index into ADJUVANT_CASES / ADVANCED_CASES
    rate: float  # this patient's share of doses taken
    streaks: list[tuple[date, int]] = field(default_factory=list)
    open_kind: str = ""  # the kind of this patient's one unresolved alert, if any
    # Doses an open alert's cause fixes: "side_effects" (slot 1 skipped for side effects) or
    # "taken" (every slot: the day before an open streak, so the streak is exactly as long).
    forced: dict[date, str] = field(default_factory=dict)
    patient_id: UUID | None = None
    plan_id: UUID | None = None
    user_id: int = 0

    @property
    def active(self) -> bool:
        return self.end is None or self.end >= self.today

    @property
    def dose_count(self) -> int:
        days = (self.last - self.start).days + 1
        return max(days, 0) * len(REGIMENS[self.setting][1])


class Calendar:
    """UTC microseconds (PostgreSQL's epoch) of local midnights and dose times, per zone and
    day, computed once: the per-dose work is then a list lookup, and DST is handled by the
    app's own dose_due_at."""

    def __init__(self, first: date, last: date, now: datetime) -> None:
        self.base = first.toordinal()
        self.now_us = _us(now)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        times = sorted({t for _, regimen in REGIMENS.values() for t in regimen})
        self.midnight: list[list[int]] = []
        self.due: list[dict[str, list[int]]] = []
        for zone, _, _ in ZONES:
            self.midnight.append([_us(dose_due_at(day, wall_time(0), zone)) for day in days])
            self.due.append(
                {
                    t: [_us(dose_due_at(day, wall_time.fromisoformat(t), zone)) for day in days]
                    for t in times
                }
            )

    def midnight_us(self, zone: int, day: date) -> int:
        return self.midnight[zone][day.toordinal() - self.base]

    def due_us(self, zone: int, day: date, at: str) -> int:
        return self.due[zone][at][day.toordinal() - self.base]

    def grace_end_us(self, zone: int, day: date) -> int:
        """When the missed-dose sweep may mark `day` missed (end of day + grace)."""
        grace = settings.DOSE_MISSED_GRACE_HOURS * HOUR_US
        return self.midnight_us(zone, day + timedelta(days=1)) + grace


def _us(instant: datetime) -> int:
    return (instant - PG_EPOCH) // timedelta(microseconds=1)


def _instant(us: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=us)


class UuidSequence:
    """Increasing UUIDs with a random-looking prefix (version 4 and variant bits set)."""

    def __init__(self, rng: Random) -> None:
        self.high = (rng.getrandbits(64) & ~0xF000) | 0x4000
        self.count = 0

    def next_low(self) -> int:
        self.count += 1
        return UUID_VARIANT | self.count

    def next(self) -> UUID:
        return UUID(int=(self.high << 64) | self.next_low())


def _weighted(rng: Random, choices: Sequence[tuple[Any, float]]) -> Any:
    roll = rng.random() * sum(weight for _, weight in choices)
    for value, weight in choices:
        roll -= weight
        if roll < 0:
            return value
    return choices[-1][0]


def _poisson(rng: Random, mean: float) -> int:
    """Knuth's method; the means here are small (events per patient)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def cohort_plan(patients: int, years: float, seed: int, now: datetime) -> list[PatientPlan]:
    """Who is in the cohort, when each plan started, how adherent each patient is, where the
    missed streaks are and who has an unresolved alert. No rows yet."""
    rng = Random(seed)  # noqa: S311 - benchmark data, not security
    span = round(years * 365.25)
    teams = max(1, round(patients / TEAM_SIZE))
    cohort = []
    for number in range(1, patients + 1):
        own = Random(rng.getrandbits(64))  # noqa: S311
        zone = _weighted(own, [(n, weight) for n, (_, weight, _) in enumerate(ZONES)])
        today = local_date(now, ZONES[zone][0])
        if own.random() < OLD_COHORT_SHARE:
            age = span - own.randint(0, span // 20)
        else:
            age = own.randint(MIN_PLAN_AGE_DAYS, span)
        start = today - timedelta(days=max(age, MIN_PLAN_AGE_DAYS))
        adjuvant = own.random() < ADJUVANT_SHARE
        setting = "adjuvant" if adjuvant else "advanced"
        end = add_calendar_months(start, ADJUVANT_MONTHS) if adjuvant else None
        yesterday = today - timedelta(days=1)
        plan = PatientPlan(
            number=number,
            team=(number - 1) * teams // patients,
            zone=zone,
            language="es" if own.random() < ZONES[zone][2] else "en",
            display_name=f"{own.choice(FIRST_NAMES)} {own.choice(LAST_NAMES)}",
            seed=own.getrandbits(64),
            start=start,
            end=end,
            today=today,
            last=yesterday if end is None else min(yesterday, end),
            setting=setting,
            case=own.randrange(len(ADJUVANT_CASES if adjuvant else ADVANCED_CASES)),
            rate=own.betavariate(18, 2),
        )
        # Missed streaks of 2-6 days, about one per patient-year, ending a week or more before
        # the last logged day (a streak still running is an open alert's cause, below).
        days = (plan.last - plan.start).days + 1
        for _ in range(_poisson(own, STREAKS_PER_YEAR * days / 365.25)):
            length = own.randint(2, 6)
            latest_start = days - length - 7
            if latest_start >= 0:
                plan.streaks.append((start + timedelta(days=own.randint(0, latest_start)), length))
        cohort.append(plan)
    _choose_open_alerts(cohort, patients, rng)
    return cohort


def _choose_open_alerts(cohort: list[PatientPlan], patients: int, rng: Random) -> None:
    """round(10 %) of the patients, among those still on treatment, get one unresolved alert,
    with its cause made real: a streak up to yesterday, a recent report, a skipped dose."""
    candidates = [plan for plan in cohort if plan.active and plan.dose_count >= 8]
    wanted = min(len(candidates), round(patients * OPEN_ALERT_SHARE))
    kinds = (
        ("missed_dose_streak", 0.35),
        ("severe_symptom", 0.35),
        ("side_effect_nonadherence", 0.2),
        ("worsening_symptom", 0.1),
    )
    for plan in sorted(rng.sample(candidates, wanted), key=lambda p: p.number):
        plan.open_kind = _weighted(rng, kinds)
        if plan.open_kind == "missed_dose_streak":
            length = rng.randint(2, 4)
            plan.streaks.append((plan.last - timedelta(days=length - 1), length))
            plan.forced[plan.last - timedelta(days=length)] = "taken"
        elif plan.open_kind == "side_effect_nonadherence":
            plan.forced[plan.last] = "side_effects"


# --------------------------------------------------------------------------------------------
# COPY helpers and progress
# --------------------------------------------------------------------------------------------


class Progress:
    """One stderr line per table, rewritten in place with `\\r` as batches go in."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.table = ""
        self.total = 0
        self.started = 0.0

    def begin(self, table: str, total: int) -> None:
        self.table, self.total, self.started = table, total, time.perf_counter()
        self.update(0)

    def update(self, done: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        percent = 100.0 * done / self.total if self.total else 100.0
        self.write(
            f"\r{self.table:<28} {percent:5.1f}%  {done:>12,} / {self.total:,} rows  "
            f"{done / elapsed:>9,.0f} rows/s  {elapsed:7.1f} s"
        )

    def end(self, done: int) -> None:
        self.total = done
        self.update(done)
        self.write("\n")


def _copy_rows(cursor: Any, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    """COPY text rows (plain tuples) into a small table; returns the count."""
    count = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _text(value: str) -> bytes:
    data = value.encode()
    return _LENGTH(len(data)) + data


@transaction.atomic
def _loading_transaction(cursor: Any, skip_fk_checks: bool, work: Callable[[], None]) -> None:
    """One transaction of the load: no fsync wait at commit (a crash loses the seed, not
    consistency), and, as superuser, no foreign-key triggers."""
    cursor.execute("SET LOCAL synchronous_commit = off")
    if skip_fk_checks:
        cursor.execute("SET LOCAL session_replication_role = replica")
    work()


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


class Guideline:
    """The guideline module's answers, asked once per distinct question and kept as JSON."""

    def __init__(self) -> None:
        self._recommendations: dict[tuple[str, int, date], tuple[str, str]] = {}
        self._answers: dict[tuple[str, tuple[int, ...]], tuple[str, dict[str, int], int]] = {}
        self._advice: dict[tuple[str, str], str] = {}  # (symptom, priority) -> advice JSON

    def case(self, plan: PatientPlan) -> dict[str, Any]:
        cases = ADJUVANT_CASES if plan.setting == "adjuvant" else ADVANCED_CASES
        return {"setting": plan.setting, **cases[plan.case], "start_date": plan.start.isoformat()}

    def recommendation(self, plan: PatientPlan) -> tuple[str, str]:
        """(recommendation JSON, guideline version) for the plan's case, which includes its
        start date (review dates and the end date depend on it)."""
        key = (plan.setting, plan.case, plan.start)
        if key not in self._recommendations:
            answer = guideline_recommendation(self.case(plan))
            dose, times = REGIMENS[plan.setting]
            expected = (
                "treat",
                dose,
                len(times),
                ADJUVANT_MONTHS if plan.setting == "adjuvant" else None,
            )
            found = (
                answer["decision"],
                answer["dose_mg_per_day"],
                answer["doses_per_day"],
                answer["duration_months"],
            )
            if found != expected:
                raise RuntimeError(
                    f"the guideline now answers {found} for bench case {self.case(plan)}, not "
                    f"{expected}: update ADJUVANT_CASES / ADVANCED_CASES"
                )
            self._recommendations[key] = (json.dumps(answer), answer["guideline_version"])
        return self._recommendations[key]

    def answers(self, symptom: str, scores: tuple[int, ...]) -> tuple[str, dict[str, int], int]:
        """(scores JSON, scores, summary level), checked by the symptom module."""
        key = (symptom, scores)
        if key not in self._answers:
            attributes = SYMPTOMS[symptom].attributes
            checked = checked_answers(symptom, dict(zip(attributes, scores, strict=True)))
            self._answers[key] = (json.dumps(checked), checked, summary_level(checked))
        return self._answers[key]

    def advice(self, decision: AlertDecision, symptom: str) -> str:
        """Advice on a patient-reported alert (never withhold or reduce: no clinician grade)."""
        key = (symptom, decision.priority)
        if key not in self._advice:
            advice = patient_report_advice([symptom], decision.priority)
            self._advice[key] = json.dumps(asdict(advice))
        return self._advice[key]


def _user_row(
    user_id: int, username: str, password: str, role: str, joined: datetime, names: str = ""
) -> tuple[Any, ...]:
    first, _, last = names.partition(" ")
    # id, password, is_superuser, username, first_name, last_name, email, is_staff,
    # is_active, date_joined, role
    return (user_id, password, False, username, first, last, "", False, True, joined, role)


USER_COLUMNS = (
    "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
    "is_active, date_joined, role"
)


def _reserve_ids(cursor: Any, table: str, count: int) -> list[int]:
    """Ids from the table's identity sequence, so rows can refer to each other before COPY."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [table, count],
    )
    return [row[0] for row in cursor.fetchall()]


def write_people_and_plans(
    cursor: Any,
    cohort: list[PatientPlan],
    calendar: Calendar,
    guideline: Guideline,
    uuids: dict[str, UuidSequence],
    staff_password: str,
    progress: Progress,
) -> tuple[list[Staff], dict[str, int]]:
    """Teams, staff, memberships, patient users, patients, plans and their first revision."""
    counts: dict[str, int] = {}
    team_count = max(plan.team for plan in cohort) + 1
    opened = _instant(calendar.midnight_us(0, min(plan.start for plan in cohort)) - 30 * DAY_US)
    team_ids = _reserve_ids(cursor, "accounts_careteam", team_count)
    staff_ids = _reserve_ids(cursor, "accounts_user", 2 * team_count)
    staff = [Staff(team_ids[n], staff_ids[2 * n], staff_ids[2 * n + 1]) for n in range(team_count)]
    known_password = make_password(staff_password)
    progress.begin("care teams and staff", 4 * team_count)
    counts["care teams"] = _copy_rows(
        cursor,
        "accounts_careteam",
        "id, name, created_at, updated_at",
        ((s.team_id, f"{TEAM_PREFIX}{n + 1:03d}", opened, opened) for n, s in enumerate(staff)),
    )
    staff_rows = []
    for n, s in enumerate(staff):
        password = known_password if n == 0 else make_password(None)
        for user_id, role in ((s.nurse_id, "nurse"), (s.coordinator_id, "coordinator")):
            name = f"{FIRST_NAMES[(n * 7 + len(role)) % len(FIRST_NAMES)]} {role.title()}"
            staff_rows.append(
                _user_row(user_id, f"bench.{role}.{n + 1:03d}", password, role, opened, name)
            )
    counts["staff users"] = _copy_rows(cursor, "accounts_user", USER_COLUMNS, staff_rows)
    counts["memberships"] = _copy_rows(
        cursor,
        "accounts_careteammembership",
        "care_team_id, user_id, created_at, updated_at",
        (
            (s.team_id, user, opened, opened)
            for s in staff
            for user in (s.nurse_id, s.coordinator_id)
        ),
    )
    progress.end(4 * team_count)

    user_ids = _reserve_ids(cursor, "accounts_user", len(cohort))
    enrolled: list[int] = []
    for plan, user_id in zip(cohort, user_ids, strict=True):
        plan.user_id = user_id
        plan.patient_id = uuids["patient"].next()
        plan.plan_id = uuids["plan"].next()
        rng = Random(plan.seed)  # noqa: S311
        days_before = rng.randint(1, 14)
        clinic_hour = rng.randint(9, 16) * HOUR_US + rng.randint(0, 59) * MINUTE_US
        start_midnight = calendar.midnight_us(plan.zone, plan.start)
        enrolled.append(start_midnight - days_before * DAY_US + clinic_hour)

    progress.begin("patient users", len(cohort))
    counts["patient users"] = _copy_rows(
        cursor,
        "accounts_user",
        USER_COLUMNS,
        (
            _user_row(
                plan.user_id,
                f"bench.patient.{plan.number:06d}",
                make_password(None),
                "patient",
                _instant(at + 2 * HOUR_US),
            )
            for plan, at in zip(cohort, enrolled, strict=True)
        ),
    )
    progress.end(len(cohort))

    progress.begin("patients", len(cohort))
    counts["patients"] = _copy_rows(
        cursor,
        "accounts_patient",
        "id, created_at, updated_at, user_id, care_team_id, display_name, "
        "medical_record_number, time_zone, language, enrolled_by_id",
        (
            (
                plan.patient_id,
                _instant(at),
                _instant(at + 2 * HOUR_US),
                plan.user_id,
                staff[plan.team].team_id,
                plan.display_name,
                f"BENCH-{plan.number:06d}",
                ZONES[plan.zone][0],
                plan.language,
                staff[plan.team].nurse_id,
            )
            for plan, at in zip(cohort, enrolled, strict=True)
        ),
    )
    progress.end(len(cohort))

    progress.begin("treatment plans", len(cohort))
    counts["plans"] = _copy_rows(
        cursor,
        "adherence_treatmentplan",
        "id, created_at, updated_at, patient_id, status, setting, start_date, duration_months, "
        'planned_end_date, "case", recommendation, guideline_version, override, '
        "created_by_id, stopped_at, stopped_by_id, stop_reason",
        (
            _plan_row(plan, at + 3 * HOUR_US, calendar, guideline, staff)
            for plan, at in zip(cohort, enrolled, strict=True)
        ),
    )
    progress.end(len(cohort))

    progress.begin("plan revisions", len(cohort))
    counts["plan revisions"] = _copy_rows(
        cursor,
        "adherence_planrevision",
        "plan_id, number, effective_date, dose_mg_per_day, doses_per_day, dose_times, "
        "tablet_strengths_mg, reason, created_by_id, created_at",
        (
            (
                plan.plan_id,
                1,
                plan.start,
                REGIMENS[plan.setting][0],
                len(REGIMENS[plan.setting][1]),
                json.dumps(list(REGIMENS[plan.setting][1])),
                json.dumps(list(_tablet_strengths(plan.setting))),
                "Starting dose as recommended.",
                staff[plan.team].nurse_id,
                _instant(at + 3 * HOUR_US),
            )
            for plan, at in zip(cohort, enrolled, strict=True)
        ),
    )
    progress.end(len(cohort))
    return staff, counts


def _plan_row(
    plan: PatientPlan, created_us: int, calendar: Calendar, guideline: Guideline, staff: list[Staff]
) -> tuple[Any, ...]:
    recommendation, version = guideline.recommendation(plan)
    created = _instant(created_us)
    if plan.active:
        status, updated = "active", created
    else:
        # Closed the day after its end.
        status = "completed"
        updated = _instant(calendar.midnight_us(plan.zone, plan.last) + DAY_US + 9 * HOUR_US)
    return (
        plan.plan_id,
        created,
        updated,
        plan.patient_id,
        status,
        plan.setting,
        plan.start,
        ADJUVANT_MONTHS if plan.setting == "adjuvant" else None,
        plan.end,
        json.dumps(guideline.case(plan)),
        recommendation,
        version,
        None,
        staff[plan.team].nurse_id,
        None,
        None,
        "",
    )


def _missed_days(plan: PatientPlan) -> set[int]:
    return {
        (first + timedelta(days=n)).toordinal()
        for first, length in plan.streaks
        for n in range(length)
    }


def dose_log_chunks(
    team: list[PatientPlan], calendar: Calendar, uuids: dict[str, UuidSequence]
) -> Iterator[tuple[bytes, int]]:
    """Binary COPY data for one team's dose logs, day by day, patients interleaved:
    (bytes, rows in them). Every scheduled dose from the start to the last logged day."""
    ids, client_ids = uuids["dose"], uuids["dose client"]
    id_high, client_high = ids.high, client_ids.high
    late_after = 3 * HOUR_US
    now = calendar.now_us
    reasons = [reason for reason, _ in SKIP_REASONS]
    reason_weights = [weight for _, weight in SKIP_REASONS]
    states = []
    for plan in team:
        user = _BIGINT(8, plan.user_id)
        assert plan.patient_id is not None and plan.plan_id is not None
        who = _PATIENT_PLAN(16, plan.patient_id.bytes, 16, plan.plan_id.bytes)
        tails = {
            "taken": who + user + _text("taken") + _text("") + _text(""),
            "missed": who + _NULL + _text("missed") + _text("") + _text(""),
        }
        for reason in reasons:
            tails[reason] = who + user + _text("skipped") + _text(reason) + _text("")
        times = REGIMENS[plan.setting][1]
        states.append(
            (
                plan.start.toordinal(),
                plan.last.toordinal(),
                {day.toordinal(): reason for day, reason in plan.forced.items()},
                [(slot, calendar.due[plan.zone][at]) for slot, at in enumerate(times, 1)],
                calendar.midnight[plan.zone],
                _missed_days(plan),
                plan.rate,
                Random(plan.seed + 1),  # noqa: S311
                tails,
            )
        )
    first = min(state[0] for state in states)
    last = max(state[1] for state in states)
    base = calendar.base
    grace = settings.DOSE_MISSED_GRACE_HOURS * HOUR_US
    parts: list[bytes] = [_COPY_SIGNATURE]
    for day in range(first, last + 1):
        pg_day = day - PG_EPOCH_ORDINAL
        index = day - base
        for start, end, forced, slots, midnight, missed, rate, rng, tails in states:
            if day < start or day > end:
                continue
            random = rng.random
            in_streak = day in missed
            fixed = forced.get(day) if forced else None
            for slot, due_by_day in slots:
                due = due_by_day[index]
                if fixed is not None and (fixed == "taken" or slot == 1):
                    reason = fixed
                elif in_streak:
                    reason = "missed"
                elif random() < rate:
                    reason = "taken"
                elif random() < SKIPPED_SHARE_OF_NOT_TAKEN:
                    reason = rng.choices(reasons, reason_weights)[0]
                else:
                    reason = "missed"
                ids.count += 1
                if reason == "taken":
                    client_ids.count += 1
                    late = random() < LATE_SHARE
                    if late:
                        taken = due + late_after + int((random() - 0.5) * 40 * MINUTE_US)
                    else:
                        taken = due + int((random() * 65 - 20) * MINUTE_US)
                    logged = taken + int(random() * 90_000_000)
                    # (field count, then (length, value) per column: see _HEAD_TAKEN)
                    head = _HEAD_TAKEN(
                        14, 16, id_high, UUID_VARIANT | ids.count, 16, client_high,
                        UUID_VARIANT | client_ids.count, 4, pg_day, 2, slot, 8, taken,
                        8, logged, 8, logged, 1, late,
                    )  # fmt: skip
                elif reason == "missed":
                    # Written by the sweep once the day's grace window had ended.
                    logged = min(midnight[index + 1] + grace, now)
                    head = _HEAD_MISSED(
                        14, 16, id_high, UUID_VARIANT | ids.count, -1, 4, pg_day, 2, slot,
                        -1, 8, logged, 8, logged, 1, False,
                    )  # fmt: skip
                else:
                    client_ids.count += 1
                    logged = due + int(random() * 3 * HOUR_US)
                    head = _HEAD_SKIPPED(
                        14, 16, id_high, UUID_VARIANT | ids.count, 16, client_high,
                        UUID_VARIANT | client_ids.count, 4, pg_day, 2, slot, -1, 8, logged,
                        8, logged, 1, False,
                    )  # fmt: skip
                parts.append(head + tails[reason])
        if len(parts) >= FLUSH_ROWS:
            yield b"".join(parts), len(parts) - (parts[0] is _COPY_SIGNATURE)
            parts = []
    parts.append(_COPY_TRAILER)
    yield b"".join(parts), len(parts) - 1 - (parts[0] is _COPY_SIGNATURE)


@dataclass(slots=True)
class Report:
    """A report's row, and what an alert needs to know about it."""

    row: tuple[Any, ...]
    report_id: UUID
    symptom: str
    scores: dict[str, int]
    level: int
    at_us: int
    alerted: bool = False  # it opened an alert (care_team_alerted)


def _draw_scores(rng: Random, symptom: str, level: int) -> tuple[int, ...]:
    """Attribute scores whose highest is `level` (presence is at most 1); a first question
    that ends the symptom when 0 (frequency, presence) is at least 1 when anything is felt."""
    item = SYMPTOMS[symptom]
    tops = [min(level, question.max_score) for question in item.questions]
    scores = [rng.randint(0, top) for top in tops]
    peak = rng.randrange(len(scores))
    scores[peak] = tops[peak]
    if item.branch_attribute is not None and max(scores) > 0 and scores[0] == 0:
        scores[0] = rng.randint(1, tops[0])
    return tuple(scores)


REPORT_COLUMNS = (
    "id, client_id, symptom, patient_scores, patient_level, composite_grade, red_flags, "
    "onset_date, note, weight_kg, reported_at, patient_id, reported_by_id"
)
ALERT_COLUMNS = (
    "id, created_at, updated_at, patient_id, kind, symptom, priority, priority_rank, status, "
    "rule, summary, sources, advice, details, occurrences, opened_at, priority_since, "
    "last_seen_at, acknowledged_at, acknowledged_by_id, resolved_at, resolved_by_id, "
    "resolution_outcome, resolution_note, escalated_at"
)
# Red flags are rare and urgent: the bench's reports are the common symptoms.
SYMPTOM_CODES = tuple(
    code for code, item in SYMPTOMS.items() if code != "other" and not item.red_flag
)
GRADED_SYMPTOMS = tuple(code for code in SYMPTOM_CODES if SYMPTOMS[code].questions[0].max_score > 1)


@dataclass(slots=True)
class AlertSpec:
    """An alert before it is a row: its cause decided, its life not yet."""

    plan: PatientPlan
    decision: AlertDecision
    symptom: str
    advice: str | None
    details: dict[str, Any]
    opened_us: int
    last_seen_us: int
    occurrences: int = 1
    unresolved: bool = False


def patient_reports(
    plan: PatientPlan,
    calendar: Calendar,
    guideline: Guideline,
    uuids: dict[str, UuidSequence],
) -> tuple[list[Report], list[AlertSpec], list[Report]]:
    """The patient's side-effect reports (about one a month, mostly of their own two or three
    usual symptoms) and the alerts the real rules raise from them: severe, worsening, and, for
    some reports at level 2 or more, a dose skipped for side effects nearby."""
    rng = Random(plan.seed + 2)  # noqa: S311
    usual = rng.sample(GRADED_SYMPTOMS, 3)  # a rash comes and goes: each "yes" alerts anew
    first_us = calendar.midnight_us(plan.zone, plan.start) + 10 * HOUR_US
    end_us = min(calendar.now_us, calendar.midnight_us(plan.zone, plan.last) + DAY_US)
    if plan.open_kind:  # the open alert's cause comes last, with no report between (below)
        quiet_days = 11 if plan.open_kind == "worsening_symptom" else 3
        today_us = calendar.midnight_us(plan.zone, plan.today)  # not now: same seed, same day
        end_us = min(end_us, today_us - quiet_days * DAY_US)
    mean_gap = 30.44 * DAY_US / REPORTS_PER_MONTH
    rows: list[Report] = []
    alerts: list[AlertSpec] = []
    severe_reports: list[Report] = []
    previous: dict[str, Report] = {}
    at = first_us + int(rng.expovariate(1 / mean_gap))
    while at < end_us:
        symptom = rng.choice(usual) if rng.random() < 0.8 else rng.choice(SYMPTOM_CODES)
        level = _weighted(rng, REPORT_LEVELS)
        raised_before = len(alerts)
        report = _report(plan, rng, guideline, uuids, rows, symptom, level, at)
        severe = severe_symptom_alert(symptom, report.scores, None)
        details = {"report": str(report.report_id)}
        if severe is not None:
            severe_reports.append(report)
            alerts.append(
                AlertSpec(plan, severe, symptom, guideline.advice(severe, symptom),
                          details, at, at)
            )  # fmt: skip
        before = previous.get(symptom)
        if before is not None:
            days = (at - before.at_us) // DAY_US
            worse = worsening_symptom_alert(symptom, before.scores, report.scores, days)
        else:
            worse = worsening_symptom_alert(symptom, None, report.scores, None)
        if worse is not None:
            advice = guideline.advice(worse, symptom)
            alerts.append(AlertSpec(plan, worse, symptom, advice, details, at, at))
        if report.level >= 2 and rng.random() < SIDE_EFFECT_ALERT_SHARE:
            skipped = side_effect_nonadherence_alert({symptom: report.level})
            if skipped is not None:
                advice = guideline.advice(skipped, symptom)
                alerts.append(AlertSpec(plan, skipped, "", advice, details, at, at))
        report.alerted = len(alerts) > raised_before
        previous[symptom] = report
        at += int(rng.expovariate(1 / mean_gap)) + HOUR_US
    if plan.open_kind:
        alerts.append(_open_alert_cause(plan, rng, calendar, guideline, uuids, rows))
    return rows, alerts, severe_reports


def _report(
    plan: PatientPlan,
    rng: Random,
    guideline: Guideline,
    uuids: dict[str, UuidSequence],
    rows: list[Report],
    symptom: str,
    level: int,
    at_us: int,
) -> Report:
    scores_json, scores, level = guideline.answers(symptom, _draw_scores(rng, symptom, level))
    reported = _instant(at_us)
    onset = None
    if level > 0 and rng.random() < 0.4:
        onset = (reported - timedelta(days=rng.randint(0, 7))).date()
    weight = Decimal(f"{rng.uniform(48, 105):.1f}") if rng.random() < 0.15 else None
    report_id = uuids["report"].next()
    row = (
        report_id,
        uuids["report client"].next(),
        symptom,
        scores_json,
        level,
        composite_grade(symptom, scores),
        "[]",
        onset,
        "",
        weight,
        reported,
        plan.patient_id,
        plan.user_id,
    )
    report = Report(row, report_id, symptom, scores, level, at_us)
    rows.append(report)
    return report


def _open_alert_cause(
    plan: PatientPlan,
    rng: Random,
    calendar: Calendar,
    guideline: Guideline,
    uuids: dict[str, UuidSequence],
    rows: list[Report],
) -> AlertSpec:
    """The one unresolved alert and the recent cause behind it (reports are added to `rows`;
    the streak and the skipped dose were put in the dose logs already)."""
    now = calendar.now_us
    if plan.open_kind == "missed_dose_streak":
        started, length = plan.streaks[-1]
        decision = missed_streak_alert(length)
        assert decision is not None
        opened = min(calendar.grace_end_us(plan.zone, started + timedelta(days=1)), now)
        seen = min(calendar.grace_end_us(plan.zone, plan.last), now)
        details = {"streak_days": length, "streak_started": started.isoformat()}
        return AlertSpec(plan, decision, "", None, details, opened, seen, length - 1, True)
    symptom = rng.choice(GRADED_SYMPTOMS)
    if plan.open_kind == "severe_symptom":
        at = now - rng.randint(60, 60 * 60) * MINUTE_US
        report = _report(plan, rng, guideline, uuids, rows, symptom, 3, at)
        found = severe_symptom_alert(symptom, report.scores, None)
    elif plan.open_kind == "worsening_symptom":
        before = now - rng.randint(4 * 24, 10 * 24) * HOUR_US
        earlier = _report(plan, rng, guideline, uuids, rows, symptom, 0, before)
        at = now - rng.randint(60, 48 * 60) * MINUTE_US
        report = _report(plan, rng, guideline, uuids, rows, symptom, 2, at)
        found = worsening_symptom_alert(
            symptom, earlier.scores, report.scores, (at - before) // DAY_US
        )
    else:  # side_effect_nonadherence: after yesterday's dose skipped for side effects
        at = now - rng.randint(10, 12 * 60) * MINUTE_US
        report = _report(plan, rng, guideline, uuids, rows, symptom, 2, at)
        found = side_effect_nonadherence_alert({symptom: report.level})
    assert found is not None, plan.open_kind
    advice = guideline.advice(found, symptom)
    if plan.open_kind == "side_effect_nonadherence":
        symptom = ""
    report.alerted = True
    details = {"report": str(report.report_id)}
    return AlertSpec(plan, found, symptom, advice, details, at, at, 1, True)


def streak_alerts(plan: PatientPlan, calendar: Calendar) -> list[AlertSpec]:
    """One alert per past missed streak: opened when its second day's grace ended, seen again
    each further day (occurrences), resolved after it (see alert_row)."""
    alerts = []
    runs = sorted(plan.streaks[:-1] if plan.open_kind == "missed_dose_streak" else plan.streaks)
    merged: list[list[Any]] = []
    for first, length in runs:
        if merged and first <= merged[-1][0] + timedelta(days=merged[-1][1]):
            end = max(merged[-1][0] + timedelta(days=merged[-1][1]), first + timedelta(days=length))
            merged[-1][1] = (end - merged[-1][0]).days
        else:
            merged.append([first, length])
    for first, length in merged:
        decision = missed_streak_alert(length)
        if decision is None:
            continue
        opened = calendar.grace_end_us(plan.zone, first + timedelta(days=1))
        seen = calendar.grace_end_us(plan.zone, first + timedelta(days=length - 1))
        details = {"streak_days": length, "streak_started": first.isoformat()}
        alerts.append(AlertSpec(plan, decision, "", None, details, opened, seen, length - 1))
    return alerts


def alert_row(
    spec: AlertSpec, rng: Random, calendar: Calendar, staff: Staff, alert_id: UUID
) -> tuple[Any, ...]:
    """The row: acknowledged within hours, resolved within a day or two (never after now);
    escalated when high or urgent and not acknowledged within the escalation delay."""
    now = calendar.now_us
    opened = min(spec.opened_us, now - MINUTE_US)
    seen = max(min(spec.last_seen_us, now), opened)
    acknowledged: int | None
    resolved: int | None
    acknowledged = seen + rng.randint(5, 240) * MINUTE_US
    resolved = acknowledged + rng.randint(10, 36 * 60) * MINUTE_US
    if spec.unresolved:
        acknowledged = acknowledged if rng.random() < 0.3 and acknowledged < now else None
        resolved = None
    elif resolved > now:  # a recent cause: squeeze its handling into the time since
        acknowledged = opened + (now - opened) // 3
        resolved = opened + 2 * (now - opened) // 3
        seen = min(seen, acknowledged)
    priority = spec.decision.priority
    delay = {
        "urgent": settings.ALERT_ESCALATE_URGENT_AFTER_MINUTES,
        "high": settings.ALERT_ESCALATE_HIGH_AFTER_MINUTES,
    }.get(priority)
    escalated = None
    if delay is not None and (acknowledged or now) - opened > delay * MINUTE_US:
        escalated = _instant(opened + delay * MINUTE_US)
    status = "resolved" if resolved else "acknowledged" if acknowledged else "open"
    last_change = resolved or acknowledged or seen
    return (
        alert_id,
        _instant(opened),
        _instant(last_change),
        spec.plan.patient_id,
        spec.decision.kind,
        spec.symptom,
        priority,
        PRIORITY_RANK[priority],
        status,
        spec.decision.rule,
        spec.decision.text[:300],
        json.dumps(list(spec.decision.sources)),
        spec.advice,
        json.dumps(spec.details),
        spec.occurrences,
        _instant(opened),
        _instant(opened),
        _instant(seen),
        _instant(acknowledged) if acknowledged else None,
        staff.nurse_id if acknowledged else None,
        _instant(resolved) if resolved else None,
        staff.nurse_id if resolved else None,
        "contacted_patient" if resolved else "",
        rng.choice(RESOLUTION_NOTES) if resolved else "",
        escalated,
    )


# --------------------------------------------------------------------------------------------
# The whole seed
# --------------------------------------------------------------------------------------------


def seed_cohort(
    *,
    patients: int,
    years: float,
    seed: int,
    staff_password: str = DEFAULT_STAFF_PASSWORD,
    now: datetime | None = None,
    progress_write: Callable[[str], None] | None = None,
) -> SeedResult:
    """Fill the (checked) database with the cohort. Tables go in one after the other, dose
    logs one care team per transaction; a failure half-way leaves part of a cohort, which
    `seed_bench --reset` removes."""
    started = time.perf_counter()
    now = now or timezone.now()
    write = progress_write or (lambda text: (sys.stderr.write(text), sys.stderr.flush()))
    progress = Progress(write)
    rng = Random(seed)  # noqa: S311
    cohort = cohort_plan(patients, years, rng.getrandbits(64), now)
    uuids = {
        name: UuidSequence(rng)
        for name in ("patient", "plan", "dose", "dose client", "report", "report client", "alert")
    }
    first = min(plan.start for plan in cohort) - timedelta(days=31)
    calendar = Calendar(first, max(plan.today for plan in cohort) + timedelta(days=3), now)
    guideline = Guideline()
    counts: dict[str, int] = {}
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        skip_fk = can_skip_foreign_key_checks(cursor)
        staff: list[Staff] = []

        def people() -> None:
            made, written = write_people_and_plans(
                cursor, cohort, calendar, guideline, uuids, staff_password, progress
            )
            staff.extend(made)
            counts.update(written)

        _loading_transaction(cursor, skip_fk, people)
        counts["dose logs"] = _write_dose_logs(cursor, cohort, calendar, uuids, progress, skip_fk)
        counts.update(_write_reports_and_alerts(cursor, cohort, calendar, guideline, uuids,
                                                staff, progress, skip_fk))  # fmt: skip
        progress.begin("dose ledger (recent days)", len(cohort))
        counts["dose ledger rows"] = _write_dose_ledger(now)
        progress.end(len(cohort))
        progress.begin("ANALYZE", 1)
        cursor.execute(
            "ANALYZE accounts_user, accounts_careteam, accounts_careteammembership, "
            "accounts_patient, adherence_treatmentplan, adherence_planrevision, "
            "adherence_scheduleddose, sideeffects_sideeffectreport, "
            "sideeffects_clinicianassessment, alerts_alert"
        )
        progress.end(1)
    return SeedResult(counts, time.perf_counter() - started, seed, not skip_fk)


def _write_dose_ledger(now: datetime) -> int:
    """The active plans' unlogged dose ledger rows (today to the horizon) by the ledger's own
    writer; the logged days are already there (_write_dose_logs), and the writer leaves a row
    that exists as it is."""
    since = now.date() - timedelta(days=settings.DOSE_BACKFILL_DAYS + 2)
    with transaction.atomic():
        written = ledger_write(
            TreatmentPlan.objects.filter(
                status="active", patient__care_team__name__regex=rf"^{TEAM_PREFIX}[0-9]+$"
            ),
            now,
            since=since,
        )
    return written


# The seeded logs go through a temporary table shaped like the binary COPY rows
# (dose_log_chunks), then into the dose ledger with what each row adds: the dose time, zone,
# due instant and sweep time, computed in SQL from the plan's one revision and the patient's
# one zone (the seed's patients never move; 08:00 and 20:00 are never in a DST gap).
_SEED_DOSE_LOG_TABLE = """
    CREATE TEMPORARY TABLE IF NOT EXISTS seed_dose_log (
        id uuid, client_id uuid, scheduled_date date, slot smallint, taken_at timestamptz,
        created_at timestamptz, updated_at timestamptz, late boolean, patient_id uuid,
        plan_id uuid, recorded_by_id bigint, status varchar(10), skip_reason varchar(20),
        note text
    )
"""
_SEED_DOSE_LOGS_INTO_LEDGER = """
    INSERT INTO adherence_scheduleddose (id, patient_id, plan_id, revision_id, local_date, slot,
        local_time, time_zone, due_at, missed_after, state, client_id, taken_at, late,
        skip_reason, note, recorded_by_id, next_reminder_at, follow_ups_sent, logged_at,
        created_at, updated_at)
    SELECT log.id, log.patient_id, log.plan_id, revision.id, log.scheduled_date, log.slot,
        dose.local_time, patient.time_zone,
        (log.scheduled_date + dose.local_time) AT TIME ZONE patient.time_zone,
        ((log.scheduled_date + 1)::timestamp AT TIME ZONE patient.time_zone)
            + make_interval(hours => %s),
        log.status, log.client_id, log.taken_at, log.late, log.skip_reason, log.note,
        log.recorded_by_id, NULL, 0, log.created_at, log.created_at, log.updated_at
    FROM seed_dose_log AS log
    JOIN accounts_patient AS patient ON patient.id = log.patient_id
    JOIN adherence_planrevision AS revision
        ON revision.plan_id = log.plan_id AND revision.number = 1
    CROSS JOIN LATERAL (
        SELECT (revision.dose_times ->> (log.slot - 1))::time AS local_time
    ) AS dose
"""


def _write_dose_logs(
    cursor: Any,
    cohort: list[PatientPlan],
    calendar: Calendar,
    uuids: dict[str, UuidSequence],
    progress: Progress,
    skip_fk: bool,
) -> int:
    """Every logged dose (the plan's start to yesterday or its end) as a dose ledger row, one
    care team per transaction."""
    total = sum(plan.dose_count for plan in cohort)
    progress.begin("dose logs (ledger rows)", total)
    done = 0
    teams: dict[int, list[PatientPlan]] = {}
    for plan in cohort:
        teams.setdefault(plan.team, []).append(plan)
    cursor.execute(_SEED_DOSE_LOG_TABLE)
    for team in teams.values():

        def copy_team(team: list[PatientPlan] = team) -> None:
            nonlocal done
            cursor.execute("TRUNCATE seed_dose_log")
            with cursor.copy(f"COPY seed_dose_log ({DOSE_COLUMNS}) FROM STDIN BINARY") as copy:
                for data, rows in dose_log_chunks(team, calendar, uuids):
                    copy.write(data)
                    done += rows
                    if done % (FLUSH_ROWS * 25) < rows:
                        progress.update(done)
            cursor.execute(_SEED_DOSE_LOGS_INTO_LEDGER, [settings.DOSE_MISSED_GRACE_HOURS])

        _loading_transaction(cursor, skip_fk, copy_team)
        progress.update(done)
    cursor.execute("DROP TABLE IF EXISTS seed_dose_log")
    progress.end(done)
    if done != total:
        raise RuntimeError(f"wrote {done} dose logs, expected {total}")
    return done


def _write_reports_and_alerts(
    cursor: Any,
    cohort: list[PatientPlan],
    calendar: Calendar,
    guideline: Guideline,
    uuids: dict[str, UuidSequence],
    staff: list[Staff],
    progress: Progress,
    skip_fk: bool,
) -> dict[str, int]:
    counts = {"side-effect reports": 0, "clinician assessments": 0}
    alerts: list[AlertSpec] = []
    assessments: list[tuple[Any, ...]] = []
    expected = round(sum(plan.dose_count / len(REGIMENS[plan.setting][1]) for plan in cohort)
                     / 30.44 * REPORTS_PER_MONTH)  # fmt: skip

    def reports() -> None:
        progress.begin("side-effect reports", expected)
        # care_team_alerted is newer than this module: filled when the model has it.
        alerted = "care_team_alerted" in {f.name for f in SideEffectReport._meta.get_fields()}
        columns = REPORT_COLUMNS + (", care_team_alerted" if alerted else "")
        with cursor.copy(f"COPY sideeffects_sideeffectreport ({columns}) FROM STDIN") as copy:
            for plan in cohort:
                reports, raised, severe = patient_reports(plan, calendar, guideline, uuids)
                for report in reports:
                    copy.write_row((*report.row, report.alerted) if alerted else report.row)
                counts["side-effect reports"] += len(reports)
                alerts.extend(raised)
                alerts.extend(streak_alerts(plan, calendar))
                rng = Random(plan.seed + 4)  # noqa: S311
                nurse = staff[plan.team].nurse_id
                for report in severe:
                    if rng.random() < ASSESSED_SHARE:
                        at = _instant(min(report.at_us + rng.randint(1, 48) * HOUR_US,
                                          calendar.now_us))  # fmt: skip
                        grade = rng.randint(1, 2)
                        note = "Graded at the phone review."
                        assessments.append((report.report_id, grade, note, nurse, at, at))
                if plan.number % 200 == 0:
                    progress.update(counts["side-effect reports"])
        progress.end(counts["side-effect reports"])
        progress.begin("clinician assessments", len(assessments))
        counts["clinician assessments"] = _copy_rows(
            cursor,
            "sideeffects_clinicianassessment",
            "report_id, ctcae_grade, note, assessed_by_id, created_at, updated_at",
            assessments,
        )
        progress.end(len(assessments))

    _loading_transaction(cursor, skip_fk, reports)

    def alert_rows() -> None:
        progress.begin("alerts", len(alerts))
        alerts.sort(key=lambda spec: (spec.opened_us, spec.plan.number))
        rng = Random(cohort[0].seed + 5)  # noqa: S311
        counts["alerts"] = _copy_rows(
            cursor,
            "alerts_alert",
            ALERT_COLUMNS,
            (
                alert_row(spec, rng, calendar, staff[spec.plan.team], uuids["alert"].next())
                for spec in alerts
            ),
        )
        counts["unresolved alerts"] = sum(spec.unresolved for spec in alerts)
        progress.end(len(alerts))

    _loading_transaction(cursor, skip_fk, alert_rows)
    return counts

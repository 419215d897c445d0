"""The run: its own database and Redis, the pieces, the phones, the fault timeline, the drain
and the report. Entry point: `python -m bench.chaos` (bench/chaos/__main__.py)."""

from __future__ import annotations

import json
import os
import random
import secrets
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from .fcm import HANG, ChaosFcm
from .phones import Board, Phone
from .processes import (
    ROOT,
    Piece,
    Redis,
    Supervisor,
    alive,
    beat_command,
    children,
    kill,
    pid_of_client_port,
    web_command,
    worker_command,
)
from .report import MUST_BE_ZERO, figures

REDIS_DB = 9  # the run's broker database on its private redis-server (the cache: 10)


@dataclass
class Config:
    phones: int = 100
    seconds: float = 600.0
    profile: str = "full"  # full | short
    seed: int = 19
    web_workers: int = 4
    worker_concurrency: int = 3
    drain_seconds: float = 600.0
    sweep_every: float = 20.0
    reminders_every: float = 10.0
    heartbeat_every: float = 2.0
    out_dir: Path = field(default_factory=lambda: ROOT / "var" / "chaos")


@dataclass
class Fault:
    at: float  # seconds after the phones start
    name: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    started: float | None = None
    ended: float | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        what = {
            "gunicorn_hold_kill": "SIGKILL a gunicorn worker after its commit, before its response",
            "gunicorn_kill": "SIGKILL {count} gunicorn worker(s)",
            "redis_down": "Redis stopped (SIGKILL), {seconds:g} s down, restarted empty",
            "celery_child_kill": "SIGKILL a Celery child while it sends a push",
            "celery_main_kill": "SIGKILL the Celery worker's main process while sending",
            "beat_kill": "SIGKILL beat, restarted after {restart:g} s",
            "pg_terminate": "pg_terminate_backend: every backend of the run's database",
            "pg_restart": "PostgreSQL restart",
            "fcm_failing": "FCM failing {seconds:g} s: 503, then 429 Retry-After, then hanging",
            "storm": "storm: {web} gunicorn and {celery} Celery child kills in {seconds:g} s",
        }[self.action]
        return what.format(**self.params)


def timeline(config: Config, owns_postgres: bool) -> list[Fault]:
    if config.profile == "short":
        # The CI form: a Redis restart, a worker-child and a gunicorn kill (the one between
        # commit and response), on a 90 s run.
        scale = config.seconds / 90
        return [
            Fault(12 * scale, "gunicorn worker killed after commit", "gunicorn_hold_kill"),
            Fault(22 * scale, "Redis restart", "redis_down", {"seconds": 20 * scale}),
            Fault(52 * scale, "Celery child killed while sending", "celery_child_kill"),
            Fault(70 * scale, "gunicorn worker killed", "gunicorn_kill", {"count": 1}),
        ]
    s = config.seconds / 600
    faults = [
        Fault(25 * s, "gunicorn worker killed", "gunicorn_kill", {"count": 1}),
        Fault(40 * s, "gunicorn worker killed after commit", "gunicorn_hold_kill"),
        Fault(60 * s, "Redis restart (60 s)", "redis_down", {"seconds": 60 * s}),
        Fault(140 * s, "Celery child killed while sending", "celery_child_kill"),
        Fault(185 * s, "PostgreSQL connections terminated", "pg_terminate"),
        Fault(200 * s, "PostgreSQL restart", "pg_restart", {"skip": not owns_postgres}),
        Fault(225 * s, "beat killed", "beat_kill", {"restart": 5.0}),
        Fault(260 * s, "FCM failing", "fcm_failing", {"seconds": 60.0}),
        Fault(345 * s, "Celery main process killed while sending", "celery_main_kill"),
        Fault(400 * s, "Redis restart (30 s)", "redis_down", {"seconds": 30 * s}),
        Fault(450 * s, "kill storm", "storm", {"web": 12, "celery": 3, "seconds": 36 * s}),
        Fault(510 * s, "gunicorn worker killed after commit (2)", "gunicorn_hold_kill"),
        Fault(540 * s, "PostgreSQL connections terminated (2)", "pg_terminate"),
    ]
    return faults


def _database_urls() -> tuple[str, str, str]:
    """(the run's database URL, the server's maintenance URL, the run database's name)."""
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith("postgres"):
        raise SystemExit(
            "make chaos needs DATABASE_URL=postgres://... (its server hosts the run's database)"
        )
    parts = urlsplit(source)
    name = (parts.path.strip("/") or "gist") + "_chaos"
    name = os.environ.get("CHAOS_DATABASE", name)
    run_url = urlunsplit(parts._replace(path="/" + name))
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    return run_url, maintenance, name


def _code_state() -> dict[str, str]:
    """A digest of every source file the pieces load. A working tree shared with others may
    change during a run: gunicorn workers and Celery children respawned by the faults would
    then run other code (or a model whose migration the run's database lacks)."""
    import hashlib

    state = {}
    for folder in ("backend", "worker", "bench/chaos"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            state[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _psycopg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url


class Run:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.dir = config.out_dir / self.stamp
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "hooks").mkdir()
        self.run_url, self.maintenance_url, self.db_name = _database_urls()
        # The machine's PostgreSQL is shared (other people's databases): the run never
        # restarts it. CHAOS_OWNS_POSTGRES=1 on a server of the run's own would allow it; the
        # restart itself is not implemented yet (it needs the server's control command).
        self.owns_postgres = os.environ.get("CHAOS_OWNS_POSTGRES") == "1"
        self.faults = timeline(config, self.owns_postgres)
        self.board = Board()
        self.rng = random.Random(config.seed)  # noqa: S311 - a simulation, not a secret
        self.heartbeats: list[tuple[float, float]] = []  # (observed, last_seen_at)
        self.health: list[tuple[float, float, str]] = []  # (sent, seconds, status) of /healthz
        self.events: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self.t0 = 0.0

    # ------------------------------------------------------------------ helpers

    def say(self, text: str) -> None:
        moment = time.time()
        self.events.append((moment, text))
        since = f"{moment - self.t0:7.1f}s" if self.t0 else "  setup "
        print(f"[{since}] {text}", flush=True)

    def _env(self) -> dict[str, str]:
        assert self.redis is not None
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.settings.production",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.run_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/{REDIS_DB}",
            "CACHE_URL": f"redis://127.0.0.1:{self.redis.port}/{REDIS_DB + 1}",
            "PUSH_SENDER": "fcm",
            "FCM_ENDPOINT": self.fcm.url,
            "FCM_PROJECT_ID": "chaos-run",
            "SECURE_SSL_REDIRECT": "false",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.dir / "beat-schedule"),
            "WORKER_HEARTBEAT_INTERVAL_SECONDS": str(self.config.heartbeat_every),
            "BEAT_SWEEP_EVERY_SECONDS": str(self.config.sweep_every),
            "BEAT_REMINDERS_EVERY_SECONDS": str(self.config.reminders_every),
            "CHAOS_HOOKS": "1",
            "CHAOS_HOOK_DIR": str(self.dir / "hooks"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def _prepare_database(self) -> None:
        import psycopg

        with psycopg.connect(_psycopg_url(self.maintenance_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        import subprocess
        import sys

        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self._env(),
            check=True,
        )

    # ------------------------------------------------------------------ the run

    def main(self) -> int:
        config = self.config
        started = time.time()
        self.secret = secrets.token_urlsafe(48)
        print(
            f"make chaos: {config.phones} phones, {config.seconds:g} s, profile {config.profile}, "
            f"database {self.db_name}, output {_shown(self.dir)}",
            flush=True,
        )
        self.fcm = ChaosFcm().start()
        self.redis = Redis(self.dir)
        self.redis.start()
        self.say(f"private redis-server on port {self.redis.port} (broker db {REDIS_DB})")
        os.environ.update(self._env())
        self.code_at_start = _code_state()
        self._prepare_database()
        import django

        django.setup()
        from .seed import seed

        seed_started = time.time()
        planned_t0 = time.time() + 20 + config.phones * 0.15
        seeds, seeded = seed(
            phones=config.phones,
            run_starts_at=planned_t0,
            run_seconds=config.seconds,
            seed_value=config.seed,
        )
        for phone_seed in seeds:
            if phone_seed.dead_token:
                self.fcm.answer_token(phone_seed.fcm_token, "UNREGISTERED")
        self.say(
            f"seeded {len(seeds)} patients in {time.time() - seed_started:.1f} s: "
            f"{seeded['missed_rows_at_seed']} doses marked missed, "
            f"{seeded['streak_alerts_at_seed']} streak alerts open, "
            f"{seeded['reminder_phones']} reminders to fall due in the run"
        )
        from django.db import connection

        connection.close()
        env = self._env()
        from bench.server import free_port

        self.web_port = free_port()
        self.web = Piece(
            "gunicorn",
            web_command(self.web_port, config.web_workers),
            env,
            self.dir / "gunicorn.log",
        )
        self.worker = Piece(
            "celery-worker",
            worker_command(config.worker_concurrency),
            env,
            self.dir / "worker.log",
            restart_delay=3,
        )
        self.beat = Piece(
            "beat",
            beat_command(self.dir / "beat-schedule"),
            env,
            self.dir / "beat.log",
            restart_delay=5,
        )
        pieces = [self.web, self.worker, self.beat]
        for piece in pieces:
            piece.start()
        self.supervisor = Supervisor(pieces)
        base = f"http://127.0.0.1:{self.web_port}"
        code = 1
        try:
            self._wait_ready(base)
            self.supervisor.start()
            self._print_timeline()
            monitor = threading.Thread(target=self._monitor, name="monitor", daemon=True)
            monitor.start()
            probe = threading.Thread(target=self._probe_health, args=(base,), daemon=True)
            probe.start()
            self.t0 = time.time()
            self.phones = [
                Phone(
                    s,
                    base,
                    self.board,
                    starts_at=self.t0,
                    seconds=config.seconds,
                    rng_seed=config.seed * 1000 + s.index,
                )
                for s in seeds
            ]
            for phone in self.phones:
                phone.start()
            self.say(f"{len(self.phones)} phones started")
            threads = []
            for fault in self.faults:
                delay = self.t0 + fault.at - time.time()
                if delay > 0:
                    time.sleep(delay)
                thread = threading.Thread(
                    target=self._inject, args=(fault,), name=fault.action, daemon=True
                )
                thread.start()
                threads.append(thread)
            time.sleep(max(0.0, self.t0 + config.seconds - time.time()))
            run_ended = time.time()
            for phone in self.phones:
                phone.stop_making.set()
            self.say("phones stop making items; draining")
            for thread in threads:
                thread.join(timeout=max(1.0, run_ended + config.drain_seconds - time.time()))
            drained = self._drain(run_ended)
            self.supervisor.stop()
            result = figures(
                seeds=seeds,
                board=self.board,
                fcm=self.fcm,
                run_started=self.t0,
                # Every dose due up to 30 s before the drain ended (the reminders' tick is 10 s,
                # the outbox's 10 s) must have had its reminder.
                reminders_until=time.time() - 30,
                nurse_fcm_token=str(seeded["nurse_fcm_token"]),
            )
            result["drain"] = drained
            result["faults"] = [self._fault_summary(f) for f in self.faults]
            result["seed"] = {k: v for k, v in seeded.items() if k != "nurse_fcm_token"}
            result["config"] = {k: str(v) for k, v in asdict(config).items()}
            result["supervisor"] = [(round(t - self.t0, 1), e) for t, e in self.supervisor.events]
            result["seconds_total"] = round(time.time() - started, 1)
            now_state = _code_state()
            changed = sorted(
                name
                for name in set(self.code_at_start) | set(now_state)
                if self.code_at_start.get(name) != now_state.get(name)
            )
            result["code_changed_during_the_run"] = changed
            code = self._print_report(result)
            if changed:
                # Not the system's fault, so it does not change the exit code; but a failing
                # figure (or 5xx) after such a change may come from it: see the pieces' logs.
                print(
                    f"\nWARNING: {len(changed)} source files changed while the run went on "
                    f"(e.g. {', '.join(changed[:5])}): processes restarted by the faults ran "
                    "the new code. For figures to keep, run it on a quiet working tree.",
                    flush=True,
                )
        except Exception:  # noqa: BLE001 - the run itself broke: exit 2, stop every piece
            traceback.print_exc()
            code = 2
        finally:
            self._stop.set()
            for phone in getattr(self, "phones", []):
                phone.stop_making.set()
            self.supervisor.stop()
            for piece in (self.beat, self.worker, self.web):
                piece.stop()
            self.redis.stop()
            self.fcm.stop()
        return code

    def _wait_ready(self, base: str) -> None:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if (
                    requests.get(f"{base}/healthz", timeout=3).status_code == 200
                    and self._heartbeat() is not None
                ):
                    self.say("gunicorn answers /healthz 200 and the worker's heartbeat is in")
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("the pieces did not start: see the logs under " + str(self.dir))

    def _heartbeat(self) -> float | None:
        from django.db import DatabaseError, connection

        from backend.common.models import WorkerHeartbeat

        try:
            latest = (
                WorkerHeartbeat.objects.order_by("-last_seen_at")
                .values_list("last_seen_at", flat=True)
                .first()
            )
        except DatabaseError:  # its connection was terminated (a fault): the next poll reconnects
            connection.close()
            return None
        return latest.timestamp() if latest else None

    def _monitor(self) -> None:
        while not self._stop.wait(0.5):
            seen = self._heartbeat()
            if seen is not None and (not self.heartbeats or self.heartbeats[-1][1] != seen):
                self.heartbeats.append((time.time(), seen))

    def _probe_health(self, base: str) -> None:
        """/healthz once a second, as a load balancer would: how long it takes, what it says."""
        while not self._stop.wait(1.0):
            sent = time.time()
            try:
                outcome = str(requests.get(f"{base}/healthz", timeout=10).status_code)
            except requests.RequestException as error:
                outcome = type(error).__name__
            self.health.append((sent, time.time() - sent, outcome))

    def _print_timeline(self) -> None:
        print("\nFault timeline (seconds after the phones start):", flush=True)
        for fault in self.faults:
            note = ""
            if fault.action == "pg_restart" and fault.params.get("skip"):
                note = "  [SKIPPED: the machine's shared PostgreSQL; the run does not own it]"
            print(f"  {fault.at:6.1f}  {fault.describe()}{note}", flush=True)
        print(flush=True)

    # ------------------------------------------------------------------ faults

    def _inject(self, fault: Fault) -> None:
        fault.started = time.time()
        try:
            action: Callable[[Fault], None] = getattr(self, f"_fault_{fault.action}")
            action(fault)
        except Exception as error:  # noqa: BLE001 - a fault that could not be injected is reported
            fault.result["error"] = f"{type(error).__name__}: {error}"
            self.say(f"fault {fault.name}: could not be injected: {error}")
        fault.ended = fault.ended or time.time()

    def _idle_phone(self) -> Phone:
        idle = [p for p in self.phones if p.idle() and not p.stopped.is_set()]
        return self.rng.choice(idle or self.phones)

    def _fault_gunicorn_kill(self, fault: Fault) -> None:
        workers = children(self.web.pid or 0)
        victims = self.rng.sample(workers, min(fault.params.get("count", 1), len(workers)))
        for pid in victims:
            kill(pid)
        self.say(f"{fault.name}: SIGKILL gunicorn worker(s) {victims}")
        fault.result["killed"] = victims
        fault.result["web_recovered_s"] = self._wait_workers(fault.started or time.time())

    def _wait_workers(self, since: float) -> float | None:
        deadline = time.time() + 60
        while time.time() < deadline:
            if len([p for p in children(self.web.pid or 0) if alive(p)]) >= self.config.web_workers:
                return round(time.time() - since, 2)
            time.sleep(0.1)
        return None

    def _fault_gunicorn_hold_kill(self, fault: Fault) -> None:
        from django.db import connection

        from backend.sideeffects.models import SideEffectReport

        hooks = self.dir / "hooks"
        phone = self._idle_phone()
        item = phone.add_report(hold=30)
        deadline = time.time() + 45
        marker = None
        while time.time() < deadline and marker is None:
            found = sorted(hooks.glob("hold-*"))
            marker = found[0] if found else None
            time.sleep(0.05)
        if marker is None:
            raise RuntimeError("no request reached the hold hook")
        pid = int(marker.name.split("-", 1)[1])
        answered = marker.read_text().rsplit(" ", 1)[-1]
        committed = SideEffectReport.objects.filter(client_id=item.client_id).exists()
        connection.close()
        killed_at = time.time()
        kill(pid)
        marker.unlink(missing_ok=True)
        self.say(
            f"{fault.name}: worker {pid} held phone {phone.seed.index}'s report; "
            f"answer held: {answered}; committed before the kill: {committed}; SIGKILL"
        )
        fault.result.update(
            {
                "pid": pid,
                "held_answer": answered,
                "committed_before_kill": committed,
                "client_id": item.client_id,
            }
        )
        fault.ended = killed_at
        fault.result["web_recovered_s"] = self._wait_workers(killed_at)
        # The phone resends with the same client id: the stored report, not a second one.
        deadline = time.time() + 90
        while time.time() < deadline:
            acks = self.board.acks.get(item.client_id)
            if acks:
                fault.result["phone_acknowledged_after_s"] = round(acks[0].at - killed_at, 2)
                fault.result["phone_answer"] = acks[0].status
                break
            time.sleep(0.2)

    def _fault_redis_down(self, fault: Fault) -> None:
        self.redis.plant_sentinel()
        self.redis.kill()
        self.say(f"{fault.name}: redis-server SIGKILLed")
        time.sleep(fault.params["seconds"])
        self.redis.start()
        restarted = time.time()
        fault.ended = restarted
        empty = not self.redis.sentinel_survived()
        self.say(f"{fault.name}: redis-server restarted ({'empty' if empty else 'NOT empty'})")
        fault.result["restarted_empty"] = empty
        fault.result["worker_recovered_s"] = self._wait_heartbeat_after(restarted)
        fault.result["first_push_after_s"] = self._wait_push_after(restarted, 60)

    def _wait_heartbeat_after(self, since: float, timeout: float = 120) -> float | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            later = [seen for _, seen in self.heartbeats if seen > since]
            if later:
                return round(min(later) - since, 2)
            time.sleep(0.25)
        return None

    def _wait_push_after(self, since: float, timeout: float) -> float | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            later = [p.at for p in self.fcm.ok_pushes() if p.at > since]
            if later:
                return round(min(later) - since, 2)
            time.sleep(0.25)
        return None

    def _sending_pid(self, fault: Fault, *, main: bool) -> int:
        """Slow the fake FCM, make a push (a red flag report: an alert for the nurse), and find
        the worker process whose request is in flight."""
        self.fcm.delay_seconds = 4.0
        try:
            phone = self._idle_phone()
            phone.add_report(red_flag=self.rng.choice(("fever", "chest_pain", "black_stools")))
            deadline = time.time() + 90
            while time.time() < deadline:
                for port in self.fcm.in_flight_ports():
                    master = self.worker.pid or 0
                    candidates = [*children(master), master]
                    pid = pid_of_client_port(port, candidates)
                    if pid is not None:
                        victim = master if main else pid
                        fault.result["sending_pid"] = pid
                        kill(victim)
                        return victim
                time.sleep(0.05)
            raise RuntimeError("no push in flight within 90 s")
        finally:
            self.fcm.delay_seconds = 0.0

    def _fault_celery_child_kill(self, fault: Fault) -> None:
        pid = self._sending_pid(fault, main=False)
        killed = time.time()
        fault.ended = killed
        self.say(f"{fault.name}: SIGKILL Celery child {pid} mid-send")
        fault.result["killed"] = pid
        fault.result["worker_recovered_s"] = self._wait_heartbeat_after(killed)
        fault.result["first_push_after_s"] = self._wait_push_after(killed, 60)

    def _fault_celery_main_kill(self, fault: Fault) -> None:
        pid = self._sending_pid(fault, main=True)
        killed = time.time()
        fault.ended = killed
        self.say(f"{fault.name}: SIGKILL Celery main process {pid} while its child sends")
        fault.result["killed"] = pid
        fault.result["worker_recovered_s"] = self._wait_heartbeat_after(killed)
        fault.result["first_push_after_s"] = self._wait_push_after(killed, 90)

    def _fault_beat_kill(self, fault: Fault) -> None:
        pid = self.beat.pid or 0
        self.beat.restart_delay = fault.params.get("restart", 5.0)
        kill(pid)
        killed = time.time()
        self.say(f"{fault.name}: SIGKILL beat {pid}")
        fault.result["killed"] = pid
        fault.result["beat_recovered_s"] = self._wait_heartbeat_after(
            killed + fault.params.get("restart", 5.0)
        )

    def _fault_pg_terminate(self, fault: Fault) -> None:
        import psycopg

        with psycopg.connect(_psycopg_url(self.maintenance_url), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.db_name],
            ).fetchone()
        terminated = int(row[0]) if row else 0
        at = time.time()
        self.say(f"{fault.name}: {terminated} backends of {self.db_name} terminated")
        fault.result["terminated"] = terminated
        fault.result["worker_recovered_s"] = self._wait_heartbeat_after(at)
        fault.result["web_first_2xx_after_s"] = self._first_2xx_after(at)

    def _first_2xx_after(self, since: float, timeout: float = 60) -> float | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.board.lock:
                done = [
                    r.done
                    for r in self.board.records
                    if r.sent > since and r.outcome in ("200", "201")
                ]
            if done:
                return round(min(done) - since, 2)
            time.sleep(0.25)
        return None

    def _fault_pg_restart(self, fault: Fault) -> None:
        if fault.params.get("skip"):
            fault.result["skipped"] = (
                "PostgreSQL here is the machine's shared server (other people's databases): the "
                "run does not own it, so it is not restarted (CHAOS_OWNS_POSTGRES unset)."
            )
            self.say(f"{fault.name}: SKIPPED (shared server, not owned by the run)")
            return
        raise RuntimeError("restarting an owned PostgreSQL is not implemented")

    def _fault_fcm_failing(self, fault: Fault) -> None:
        seconds = fault.params["seconds"]
        parts = ((0.42, "UNAVAILABLE", None), (0.33, "QUOTA_EXCEEDED", 30), (0.25, HANG, None))
        for share, mode, retry_after in parts:
            self.fcm.set_mode(mode, retry_after=retry_after)
            self.say(
                f"{fault.name}: FCM answers {mode}"
                + (f" Retry-After {retry_after}" if retry_after else "")
            )
            time.sleep(seconds * share)
        self.fcm.set_mode(None)
        back = time.time()
        fault.ended = back
        self.say(f"{fault.name}: FCM answers normally again")
        fault.result["first_push_after_s"] = self._wait_push_after(back, 300)

    def _fault_storm(self, fault: Fault) -> None:
        web, celery, seconds = fault.params["web"], fault.params["celery"], fault.params["seconds"]
        steps = ["web"] * web + ["celery"] * celery
        self.rng.shuffle(steps)
        killed = {"web": 0, "celery": 0}
        for step in steps:
            if step == "web":
                workers = [p for p in children(self.web.pid or 0) if alive(p)]
                if workers and kill(self.rng.choice(workers)):
                    killed["web"] += 1
            else:
                kids = children(self.worker.pid or 0)
                if kids and kill(self.rng.choice(kids)):
                    killed["celery"] += 1
            time.sleep(seconds / len(steps))
        end = time.time()
        fault.ended = end
        self.say(
            f"{fault.name}: killed {killed['web']} gunicorn and {killed['celery']} Celery children"
        )
        fault.result["killed"] = killed
        fault.result["web_recovered_s"] = self._wait_workers(end)
        fault.result["worker_recovered_s"] = self._wait_heartbeat_after(end)

    # ------------------------------------------------------------------ drain and report

    def _drain(self, run_ended: float) -> dict[str, Any]:
        from django.db import DatabaseError, connection

        from backend.notifications.models import OutboxMessage

        deadline = run_ended + self.config.drain_seconds
        while time.time() < deadline and any(
            p.pending() for p in self.phones if not p.stopped.is_set()
        ):
            time.sleep(0.5)
        phones_done = time.time()
        waiting = sum(p.pending() for p in self.phones)
        self.say(f"phones' outboxes {'empty' if not waiting else f'still hold {waiting} items'}")
        # Two sweep cycles after the last dose log, so the streak alerts have seen them all, and
        # the reminders' and the outbox's own ticks.
        settle = phones_done + 2 * self.config.sweep_every + 5
        pending = None
        while time.time() < deadline:
            try:
                pending = OutboxMessage.objects.filter(status="pending").count()
            except DatabaseError:
                connection.close()
                pending = None
            if pending == 0 and time.time() >= settle:
                break
            time.sleep(1)
        connection.close()
        finished = time.time()
        self.say(f"drained in {finished - run_ended:.1f} s (outbox pending: {pending})")
        return {
            "seconds": round(finished - run_ended, 1),
            "phones_items_left": waiting,
            "deadline_hit": finished >= deadline,
        }

    def _fault_summary(self, fault: Fault) -> dict[str, Any]:
        start = fault.started or 0
        end = (fault.ended or start) + 5
        with self.board.lock:
            # Requests in flight when the fault began count too (they met it).
            window = [r for r in self.board.records if r.done >= start and r.sent <= end]
        five = sum(1 for r in window if r.outcome.isdigit() and int(r.outcome) >= 500)
        probes = [(took, status) for sent, took, status in self.health if start <= sent <= end]
        errors = sum(1 for r in window if not r.outcome.isdigit())
        return {
            "at": round(fault.at, 1),
            "name": fault.name,
            "what": fault.describe(),
            "window_s": round(end - start, 1) if fault.started else None,
            "phone_requests": len(window),
            "phone_5xx": five,
            "phone_connection_errors_or_timeouts": errors,
            "healthz_max_ms": round(max((t for t, _ in probes), default=0) * 1000),
            "healthz_answers": dict(Counter(status for _, status in probes)),
            **fault.result,
        }

    def _print_report(self, result: dict[str, Any]) -> int:
        figures_ = result["figures"]
        result["must_be_zero"] = list(MUST_BE_ZERO)
        failed = [name for name in MUST_BE_ZERO if figures_.get(name) != 0]
        result["passed"] = not failed
        outside = [
            r
            for r in self.board.records
            if not any(
                r.done >= (f.started or 0) and r.sent <= (f.ended or f.started or 0) + 5
                for f in self.faults
            )
        ]
        calm = [
            took
            for sent, took, _ in self.health
            if not any(
                (f.started or 0) <= sent <= (f.ended or f.started or 0) + 5 for f in self.faults
            )
        ]
        result["healthz_ms_outside_fault_windows"] = {
            "max": round(max(calm, default=0) * 1000),
            "median": round(sorted(calm)[len(calm) // 2] * 1000) if calm else None,
        }
        result["phone_5xx_outside_fault_windows"] = sum(
            1 for r in outside if r.outcome.isdigit() and int(r.outcome) >= 500
        )
        path = self.dir / "report.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        (self.config.out_dir / "latest.json").write_text(json.dumps(result, indent=2, default=str))
        print("\nFaults (5xx and connection errors the phones saw, recovery):", flush=True)
        for fault in result["faults"]:
            extras = {
                k: v
                for k, v in fault.items()
                if k not in ("at", "name", "what", "window_s", "phone_requests", "client_id")
            }
            print(
                f"  {fault['at']:6.1f}  {fault['name']}: {json.dumps(extras, default=str)}",
                flush=True,
            )
        print("\nMust be 0:", flush=True)
        for name in MUST_BE_ZERO:
            mark = "ok " if figures_.get(name) == 0 else "FAIL"
            print(f"  {mark} {name:40s} {figures_.get(name)}", flush=True)
        details = result["details"]
        print("\nAlso:", flush=True)
        print(
            f"  pushes sent twice for one outbox row   {figures_['pushes_sent_twice_for_one_row']}"
            f" (with another tag: {figures_['pushes_sent_twice_with_another_tag']})",
            flush=True,
        )
        print(
            f"  phone 5xx outside the fault windows    {result['phone_5xx_outside_fault_windows']}",
            flush=True,
        )
        print(
            "  /healthz outside the fault windows     "
            f"{json.dumps(result['healthz_ms_outside_fault_windows'])} ms",
            flush=True,
        )
        print(
            f"  phones                                 {json.dumps(details['phones']['outcomes'])}",
            flush=True,
        )
        print(
            "  acknowledged                           "
            f"{json.dumps(details['phones']['acknowledged'])}"
            f", answers treated as lost {details['phones']['answers_treated_as_lost']}"
            f", refused (4xx) {details['phones']['refused_4xx']}",
            flush=True,
        )
        print(
            f"  pushes                                 {json.dumps(details['pushes'])}", flush=True
        )
        print(
            "  outbox                                 "
            f"{json.dumps(details['outbox']['by_status'])}",
            flush=True,
        )
        print(
            f"  reminders due in the run               {details['reminders']['due_in_run']}",
            flush=True,
        )
        print(
            f"  streak alerts                          {json.dumps(details['streak_alerts'])}"
            f" ({details['streak_rule']})",
            flush=True,
        )
        print(f"  severe answers and red flags           {details['severe_causes']}", flush=True)
        print(f"  drain                                  {json.dumps(result['drain'])}", flush=True)
        print(f"  whole run                              {result['seconds_total']} s", flush=True)
        if details["phones"]["refused_4xx"]:
            print(
                f"\nNOTE: {details['phones']['refused_4xx']} phone items refused (4xx); the run's "
                "items are all valid, so each is a finding (report.json, details.phones)",
                flush=True,
            )
        for name in failed:
            print(
                f"\nFAIL {name}: {json.dumps(details.get(name, ''), default=str)[:1500]}",
                flush=True,
            )
        print(f"\nreport: {_shown(path)}", flush=True)
        print("PASSED" if not failed else f"FAILED: {', '.join(failed)}", flush=True)
        return 0 if not failed else 1

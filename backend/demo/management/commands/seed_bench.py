"""Fill an empty PostgreSQL database with a benchmark cohort, fast (COPY):

    python manage.py seed_bench --patients 10000 --years 3 [--seed 7] [--reset]

Care teams of about 200 patients, each with a nurse and a coordinator (bench.nurse.001 and
bench.coordinator.001 sign in with --staff-password), one plan per patient and its whole dose
history, side-effect reports and alerts. The generation is in bench/bench_seed.py.

Refuses any database but PostgreSQL, and any holding data that is not bench data (a care team
not named "Bench team ...", a user not named "bench.*"). Bench data already there is replaced
only with --reset.
"""

from random import SystemRandom

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from bench import bench_seed


class Command(BaseCommand):
    help = "Fill an empty PostgreSQL database with a realistic benchmark cohort (COPY)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="How many patients.")
        parser.add_argument(
            "--years",
            type=float,
            required=True,
            help="How far back the plans start (most about this long ago, some since).",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed (same seed, same day: same rows)."
        )
        parser.add_argument(
            "--staff-password",
            default=bench_seed.DEFAULT_STAFF_PASSWORD,
            help="Password of bench.nurse.001 and bench.coordinator.001 (the others have none).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete earlier bench data first (TRUNCATE)."
        )

    def handle(self, *args: object, **options: object) -> None:
        patients = int(options["patients"])  # type: ignore[call-overload]
        years = float(options["years"])  # type: ignore[arg-type]
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        if round(years * 365.25) < bench_seed.MIN_PLAN_AGE_DAYS:
            raise CommandError(
                f"--years must cover at least {bench_seed.MIN_PLAN_AGE_DAYS} days "
                "(plans are at least that old)."
            )
        if connection.vendor != "postgresql":
            raise CommandError(
                f"seed_bench needs PostgreSQL (COPY); this database is {connection.vendor}."
            )
        self._check_and_reset(bool(options["reset"]))
        seed = options["seed"]
        if seed is None:
            seed = SystemRandom().randrange(2**31)
        result = bench_seed.seed_cohort(
            patients=patients,
            years=years,
            seed=int(seed),  # type: ignore[call-overload]
            staff_password=str(options["staff_password"]),
            progress_write=self._progress,
        )
        total = sum(v for k, v in result.counts.items() if k != "unresolved alerts")
        self.stdout.write(
            f"Seeded in {result.seconds:.1f} s ({total / max(result.seconds, 1e-3):,.0f} rows/s), "
            f"seed {result.seed} (--seed {result.seed} repeats it today):"
        )
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<24} {count:>12,}")
        if not result.foreign_keys_checked:
            self.stdout.write(
                "  (foreign-key triggers were off while loading: session_replication_role)"
            )
        self.stdout.write(
            "Staff sign-in: bench.nurse.001 / bench.coordinator.001 with --staff-password."
        )

    def _check_and_reset(self, reset: bool) -> None:
        """Refuse foreign data; remove bench data with --reset, else refuse it too."""
        with transaction.atomic(), connection.cursor() as cursor:
            found = bench_seed.foreign_data(cursor)
            if found:
                raise CommandError(
                    f"Refusing: this database holds data that is not bench data: {found}. "
                    "seed_bench only fills an empty database (or one it filled itself)."
                )
            if not bench_seed.bench_data_present(cursor):
                return
            if not reset:
                raise CommandError(
                    "Refusing: bench data is already here. Use --reset to delete it and seed again."
                )
            try:
                bench_seed.bench_data_reset(cursor)
            except bench_seed.BenchSeedRefused as refused:
                raise CommandError(f"Refusing to reset: {refused}.") from None
            self.stderr.write("Deleted the earlier bench data (TRUNCATE ... CASCADE).")

    def _progress(self, text: str) -> None:
        self.stderr.write(text, style_func=str, ending="")
        self.stderr.flush()

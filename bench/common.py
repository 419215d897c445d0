"""What every benchmark shares: Django set-up against a benchmark database only, the median
of repetitions, and the result row (figure, baseline measured in the same run, ratio,
target)."""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
    # The baseline view (backend/api/bench.py) is mounted only for benchmarks.
    os.environ.setdefault("BENCH_ENDPOINTS", "true")
    import django

    django.setup()


def require_bench_database() -> str:
    """Benchmarks write and truncate: only a PostgreSQL database whose name ends in "bench"."""
    from django.conf import settings
    from django.db import connection

    name = str(settings.DATABASES["default"]["NAME"])
    if connection.vendor != "postgresql" or not name.endswith("bench"):
        raise SystemExit(
            f"refusing: benchmarks need a PostgreSQL database named *bench (DATABASE_URL), "
            f"not {connection.vendor} {name!r}"
        )
    return name


@dataclass
class Result:
    name: str
    figure: float
    unit: str
    baseline: float | None
    baseline_what: str
    target: str
    met: bool | None
    higher_is_better: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """Figure / baseline for throughputs; baseline / figure for times (so 1.0 = as fast
        as the baseline, 0.5 = half as fast, either way)."""
        if not self.baseline or not self.figure:
            return None
        if self.higher_is_better:
            return round(self.figure / self.baseline, 3)
        return round(self.baseline / self.figure, 3)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def median_seconds(action: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    """Median wall time of `repeat` runs, and all of them."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times

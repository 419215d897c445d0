"""Task entry points, one module per domain. Each loads what it needs and calls one service."""

from worker.tasks import (  # noqa: F401  (registers)
    accounts,
    adherence,
    alerts,
    caregivers,
    health,
    labs,
    notifications,
    refills,
    reports,
)

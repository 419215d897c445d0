"""Task entry points, one module per domain. Each loads what it needs and calls one service."""

from worker.tasks import adherence, alerts, health, notifications, reports  # noqa: F401  (registers)

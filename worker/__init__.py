"""Celery: the app, its queues, its beat schedule and thin task entry points."""

"""`make chaos`: the fault-injection run (issue 19, docs/reliability.md).

It starts the real pieces on a database and a Redis of its own (PostgreSQL from DATABASE_URL,
a private redis-server), drives simulated phones that behave like the patient app's outbox,
injects faults on a timeline printed at the start, drains, and reports from the database and
the fake FCM server. `python -m bench.chaos`; CHAOS_PHONES, CHAOS_SECONDS, CHAOS_PROFILE.
"""

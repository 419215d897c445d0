"""Writes for adherence: plans (plans.py), dose logs (dose_logs.py), the missed sweep
(missed_doses.py)."""

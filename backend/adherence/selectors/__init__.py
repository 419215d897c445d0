"""Reads for adherence: plans (plans.py), the dose schedule with statuses and the adherence
metrics (doses.py)."""

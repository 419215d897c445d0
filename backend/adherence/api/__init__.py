"""HTTP edge for adherence: plans and the guideline recommendation (plans.py), doses and
metrics (doses.py)."""

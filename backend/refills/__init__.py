"""Tablet supply: the tablets a patient has on hand, counted down by the doses logged taken,
with a refill reminder to the patient and a care-team alert when a dose is skipped because
the tablets ran out (issue 22)."""

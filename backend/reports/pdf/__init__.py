"""The per-patient adherence report as a PDF (document.py lays out the pages and calls each
section's module). The names callers use are re-exported here."""

from .document import patient_report_pdf
from .labs_section import HOLD_FLAG
from .layout import CALENDAR_GRID_MAX_DAYS

__all__ = ["CALENDAR_GRID_MAX_DAYS", "HOLD_FLAG", "patient_report_pdf"]

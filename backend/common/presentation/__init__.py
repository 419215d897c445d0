"""Presentation shared by the nurse's pages (backend.dashboard) and the reports
(backend.reports): chart geometry (charts.py), one lab result in words (labs.py) and the shared
words (wording.py). Pure Python that imports no app, so neither of those two apps needs the
other; only backend.guidelines (pure rules) is read, for the label's thresholds and the symptom
catalogue. The import contracts in pyproject.toml hold it to that."""

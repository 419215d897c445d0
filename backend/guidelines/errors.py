"""Errors raised by the guideline module."""

from __future__ import annotations


class CaseInvalid(ValueError):
    """The clinical case cannot be assessed as given.

    ``field`` names the input field at fault and ``reason`` says why in plain English, so an
    API layer can report it next to the right form field without parsing the message.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def __reduce__(self) -> tuple[type[CaseInvalid], tuple[str, str]]:
        # Keep the two attributes when the error crosses a process boundary (e.g. Celery).
        return (type(self), (self.field, self.reason))

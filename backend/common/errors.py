"""Errors that services raise and the API turns into 4xx responses naming the field."""


class ServiceValidationError(Exception):
    """A rule of the domain refused the input. `field` names the input that was wrong."""

    def __init__(self, field: str | None, reason: str, *, code: str = "invalid") -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
        self.code = code


class Conflict(ServiceValidationError):
    """The input is valid but clashes with what is stored (answered with 409)."""

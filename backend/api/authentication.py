"""Bearer-token authentication for phones (django-rest-knox, see docs/adr/0001)."""

from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from backend.accounts.session_timeout import staff_token_expiry, staff_token_outlived


class BearerTokenAuthentication(TokenAuthentication):
    """Knox's token check, answering 401 (not 500) for a header that is not valid UTF-8, with
    staff tokens held to the staff session limits (idle and absolute, session_timeout.py)."""

    def authenticate_credentials(self, token: bytes):  # type: ignore[override]
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)

    def renew_token(self, auth_token) -> None:  # type: ignore[no-untyped-def]
        if not auth_token.user.is_care_staff:
            super().renew_token(auth_token)
            return
        now = timezone.now()
        if staff_token_outlived(created=auth_token.created, now=now):
            auth_token.delete()
            raise exceptions.AuthenticationFailed("Session expired: sign in again.")
        new_expiry = staff_token_expiry(created=auth_token.created, now=now)
        if (new_expiry - auth_token.expiry).total_seconds() > 60:
            auth_token.expiry = new_expiry
            auth_token.save(update_fields=["expiry"])

"""Bearer-token authentication for phones (django-rest-knox, see docs/adr/0001)."""

from knox.auth import TokenAuthentication
from rest_framework import exceptions


class BearerTokenAuthentication(TokenAuthentication):
    """Knox's token check, answering 401 (not 500) for a header that is not valid UTF-8."""

    def authenticate_credentials(self, token: bytes):  # type: ignore[override]
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)

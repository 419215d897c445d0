"""Bearer-token authentication for phones (django-rest-knox, see docs/adr/0001).

Knox's own check costs an API request two queries and, once a minute, a write: the token rows
by key prefix (with the user), then every token of the user, to delete the expired ones on the
spot. Here a request costs one query: the token rows by key prefix with the user, and a
patient's profile and care team joined in (patient_of_user, which most patient endpoints call
next, then reads nothing). Expired tokens are refused as before but deleted by an hourly task
(services.auth_tokens_delete_expired). Renewal writes at most once a minute per token.
"""

import binascii
from datetime import datetime, timedelta
from hmac import compare_digest

from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken, get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from backend.accounts.models import User
from backend.accounts.session_timeout import staff_token_expiry, staff_token_outlived

from .permissions import refuse_caregiver_outside

INVALID_TOKEN = "Invalid token."  # noqa: S105 (a message, not a password)


class BearerTokenAuthentication(TokenAuthentication):
    """Knox's token check in one query, answering 401 (not 500) for a header that is not valid
    UTF-8, with staff tokens held to the staff session limits (idle and absolute,
    session_timeout.py)."""

    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        authenticated = super().authenticate(request)
        if authenticated is not None:
            refuse_caregiver_outside(authenticated[0], _view_of(request))
        return authenticated

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        try:
            token_text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        now = timezone.now()
        candidates = (
            get_token_model()
            .objects.filter(token_key=token_text[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user__patient_profile__care_team")
        )
        digest = None
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < now:
                continue  # refused; left for the hourly cleanup, not deleted per request
            if digest is None:
                try:
                    digest = hash_token(token_text)
                except (TypeError, binascii.Error):
                    raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
            if compare_digest(digest, auth_token.digest):
                user, auth_token = self.validate_user(auth_token)
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return user, auth_token
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)

    def renew_token(self, auth_token: AuthToken) -> None:
        """Moves the expiry on: a patient's TOKEN_TTL from now (never past
        AUTO_REFRESH_MAX_TTL after sign-in), a staff member's idle limit (never past the
        absolute one, after which the token is deleted and refused)."""
        now = timezone.now()
        if auth_token.user.is_care_staff:
            if staff_token_outlived(created=auth_token.created, now=now):
                auth_token.delete()
                raise exceptions.AuthenticationFailed("Session expired: sign in again.")
            new_expiry = staff_token_expiry(created=auth_token.created, now=now)
        else:
            new_expiry = now + knox_settings.TOKEN_TTL
            max_ttl = knox_settings.AUTO_REFRESH_MAX_TTL
            if max_ttl is not None:
                new_expiry = min(new_expiry, auth_token.created + max_ttl)
        _token_expiry_move(auth_token, new_expiry)


def _token_expiry_move(auth_token: AuthToken, new_expiry: datetime) -> None:
    """Writes the new expiry only when it moves by more than MIN_REFRESH_INTERVAL (60 s), so a
    busy token costs at most one write a minute. The condition is in the UPDATE itself: two
    concurrent requests on one token write once, and a token deleted meanwhile (signed out
    on another request) is simply not updated."""
    interval = timedelta(seconds=knox_settings.MIN_REFRESH_INTERVAL)
    if new_expiry - auth_token.expiry <= interval:
        return
    unchanged_for_a_minute = get_token_model().objects.filter(
        pk=auth_token.pk, expiry__lt=new_expiry - interval
    )
    unchanged_for_a_minute.update(expiry=new_expiry)
    auth_token.expiry = new_expiry


def _view_of(request: Request) -> object:
    return (getattr(request, "parser_context", None) or {}).get("view")


class CheckedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (staff browsers), refusing a caregiver outside their
    views as the bearer tokens do."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        authenticated = super().authenticate(request)
        if authenticated is not None:
            refuse_caregiver_outside(authenticated[0], _view_of(request))
        return authenticated

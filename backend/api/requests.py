"""The request type of API views behind the default IsAuthenticated permission."""

from rest_framework.request import Request

from backend.accounts.models import User


class AuthenticatedRequest(Request):
    """For mypy: past IsAuthenticated, request.user is a User, never AnonymousUser. Not
    instantiated; DRF's Request is what views receive."""

    user: User

"""API clients signed in the way a phone or the dashboard's script signs in: with a bearer
token issued by the accounts service, so a test goes through the same authentication."""

from rest_framework.test import APIClient

from backend.accounts.models import User


def client_for(user: User) -> APIClient:
    """An API client signed in as `user` with a real bearer token."""
    from backend.accounts.services import auth_token_issue

    _, token = auth_token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client

"""In CI the suite must run on PostgreSQL and Redis, never on the embedded defaults."""

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI promises PostgreSQL and Redis")
@pytest.mark.django_db
def test_ci_uses_postgres_and_redis() -> None:
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")

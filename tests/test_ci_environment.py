"""In CI the suite must run on PostgreSQL and Redis, never on the embedded defaults."""

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(
    not os.environ.get("REQUIRE_POSTGRES_AND_REDIS"),
    reason="only .ci/run promises PostgreSQL and Redis (it sets REQUIRE_POSTGRES_AND_REDIS)",
)
@pytest.mark.django_db
def test_ci_uses_postgres_and_redis() -> None:
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")

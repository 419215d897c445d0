"""seed_bench refuses any database but PostgreSQL (it loads with COPY), before touching it."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backend.accounts.models import User


@pytest.mark.django_db
def test_refuses_a_database_that_is_not_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed_bench", patients=1, years=1)
    assert not User.objects.exists()

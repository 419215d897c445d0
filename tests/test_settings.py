"""Production settings refuse to boot without their secrets; with them, check --deploy is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "backend.settings.production",
    "SECRET_KEY": "x7Qp-2mZr9_LwV4tKc8YhN3bFj6Ds1GaUe5oXi0RqTnMlBkPvSdWgHyCzEuJfA",
    "ALLOWED_HOSTS": "gist.example.org",
    "DATABASE_URL": "postgres://gist:pw@127.0.0.1:5432/gist",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "PUSH_SENDER": "console",
}


def run_django(env_overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    for key, value in {**PRODUCTION, **env_overrides}.items():
        if value is not None:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "PUSH_SENDER"],
)
def test_production_refuses_to_start_without(missing: str) -> None:
    result = run_django({missing: None}, "check")
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_refuses_an_empty_value() -> None:
    result = run_django({"SECRET_KEY": "   "}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_a_short_secret_key() -> None:
    result = run_django({"SECRET_KEY": "short"}, "check")
    assert result.returncode != 0
    assert "at least 50" in result.stderr


def test_check_deploy_prints_no_warnings() -> None:
    result = run_django({}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_development_defaults_need_no_environment(tmp_path: Path) -> None:
    env_overrides: dict[str, str | None] = dict.fromkeys(PRODUCTION)
    env_overrides["DJANGO_SETTINGS_MODULE"] = "backend.settings.local"
    result = run_django(env_overrides, "diffsettings", "--all")
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.sqlite3" in result.stdout
    assert "CELERY_BROKER_URL = 'filesystem://'" in result.stdout


def test_production_refuses_the_cache_in_the_brokers_database() -> None:
    result = run_django({"CACHE_URL": PRODUCTION["REDIS_URL"]}, "check")
    assert result.returncode != 0
    assert "must not be the broker's Redis database" in result.stderr


def test_invalid_guideline_settings_stop_every_process() -> None:
    result = run_django(
        {"DJANGO_SETTINGS_MODULE": "backend.settings.local", "GUIDELINE_SETTINGS": '{"x": 1}'},
        "diffsettings",
    )
    assert result.returncode != 0
    assert "GUIDELINE_SETTINGS is not valid" in result.stderr


def test_production_sees_that_a_url_without_a_database_number_is_database_0() -> None:
    result = run_django(
        {"REDIS_URL": "redis://127.0.0.1:6379", "CACHE_URL": "redis://127.0.0.1:6379/0"}, "check"
    )
    assert result.returncode != 0
    assert "must not be the broker's Redis database" in result.stderr


def _setting_values(env_overrides: dict[str, str | None], *names: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(repr(getattr(settings, {name!r}, None)))" for name in names
    )
    result = run_django(env_overrides, "shell", "--no-startup", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-len(names) :]


def test_production_requires_the_staff_second_factor_whatever_the_environment() -> None:
    """Issue 18: on in production even if the environment says otherwise; no demo secret."""
    for value in (None, "false"):
        assert _setting_values(
            {"STAFF_MFA_REQUIRED": value}, "STAFF_MFA_REQUIRED", "DEMO_TOTP_SECRET"
        ) == ["True", "None"]


def test_development_requires_the_staff_second_factor_with_a_demo_secret() -> None:
    env_overrides: dict[str, str | None] = dict.fromkeys(PRODUCTION)
    env_overrides["DJANGO_SETTINGS_MODULE"] = "backend.settings.local"
    required, secret = _setting_values(env_overrides, "STAFF_MFA_REQUIRED", "DEMO_TOTP_SECRET")
    assert required == "True"
    assert "DEMO" in secret


def test_only_the_test_suite_turns_the_staff_second_factor_off() -> None:
    from django.conf import settings

    assert settings.STAFF_MFA_REQUIRED is False
    assert "django_otp.middleware.OTPMiddleware" in settings.MIDDLEWARE
    settings_dir = ROOT / "backend" / "settings"
    turned_off = [
        path.name
        for path in settings_dir.glob("*.py")
        if "STAFF_MFA_REQUIRED = False" in path.read_text()
    ]
    assert turned_off == ["test.py"]


def test_production_database_connections_give_up_on_a_silent_server() -> None:
    """A dropped network fails a new connection after DATABASE_CONNECT_TIMEOUT_SECONDS, as in
    development; a connect_timeout in DATABASE_URL wins."""
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS'].get('connect_timeout'))"
    )

    def connect_timeout(env_overrides: dict[str, str | None]) -> str:
        result = run_django(env_overrides, "shell", "--no-startup", "-v", "0", "-c", code)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()[-1]

    assert connect_timeout({}) == "5"
    assert connect_timeout({"DATABASE_CONNECT_TIMEOUT_SECONDS": "2"}) == "2"
    url = PRODUCTION["DATABASE_URL"] + "?connect_timeout=9"
    assert connect_timeout({"DATABASE_URL": url}) == "9"
